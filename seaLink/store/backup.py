"""`sealink db backup PATH` and `sealink db restore PATH`.

SQLite: the online backup API copies the database page by page in one read transaction, a
consistent snapshot taken while the hub goes on writing (in WAL mode a reader never blocks the
writer); the copy is a single file (journal mode DELETE), checked, then renamed into place.
PostgreSQL: pg_dump's custom format (a consistent snapshot too; the hub keeps running), restored
by pg_restore in one transaction. A restore wants the hub stopped: it replaces every table.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from seaLink.errors import StoreError
from seaLink.store import schema


class BackupError(StoreError):
    """A backup or restore could not be made; the message says why."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return Path(url.database)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=15)
    conn.execute("PRAGMA busy_timeout=15000")
    return conn


def _revision_of(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute(f"SELECT version_num FROM {schema.VERSION_TABLE}").fetchone()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row else None


def _sqlite_backup(url: URL, dest: Path) -> str:
    source = _sqlite_path(url)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    src = _connect(source)
    try:
        out = sqlite3.connect(part)
        try:
            src.backup(out)  # all pages in one step: one snapshot, never restarted by a write
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            if out.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"the copy at {part} fails its check")
            revision = _revision_of(out)
        finally:
            out.close()
    finally:
        src.close()
    os.replace(part, dest)
    return f"backed up {source} (revision {revision or 'none'}) to {dest}"


def _sqlite_restore(url: URL, backup: Path) -> str:
    target = _sqlite_path(url)
    with contextlib.closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as src:
        try:
            ok = src.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{backup} is not a SQLite database: {exc}") from None
        if not ok:
            raise BackupError(f"{backup} fails its check: not restored")
        revision = _revision_of(src)
        _refuse_unknown(revision, backup)
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = _connect(target)
        try:
            _refuse_live_hub_sqlite(dst)
            src.backup(dst)  # through the target's own journal: never a half-copied file
        finally:
            dst.close()
    return f"restored {target} from {backup} (revision {revision})"


def _refuse_unknown(revision: str | None, backup: Path) -> None:
    if revision is None:
        raise BackupError(f"{backup} has no schema revision: not a SeaLink backup")
    if revision not in schema.known_revisions():
        raise BackupError(
            f"{backup} has schema revision {revision}, which this SeaLink does not know"
        )


def _refuse_live_hub_sqlite(conn: sqlite3.Connection) -> None:
    recent = (datetime.now(UTC) - timedelta(seconds=30)).replace(tzinfo=None).isoformat(" ")
    try:
        live = conn.execute(
            "SELECT hub_id FROM hub_member WHERE heartbeat_at > ?", (recent,)
        ).fetchall()
    except sqlite3.DatabaseError:
        return  # no such table: an empty database
    if live:
        raise BackupError(f"hub {live[0][0]} is running on this database: stop it first")


def _pg_env(url: URL) -> tuple[dict[str, str], str]:
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
    ):
        if value is not None:
            env[key] = str(value)
    if not url.database:
        raise BackupError("the database URL names no database")
    return env, url.database


def _run(args: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupError(f"{args[0]} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run([tool, *args[1:]], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()[-2000:]}")


def _pg_backup(url: URL, dest: Path) -> str:
    env, name = _pg_env(url)
    part = dest.with_name(dest.name + ".part")
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={part}", name], env)
    os.replace(part, dest)
    return f"backed up PostgreSQL database {name} to {dest}"


def _refuse_live_sessions_pg(url: URL) -> None:
    import psycopg

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, connect_timeout=10) as conn:
        others = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    if others and others[0]:
        raise BackupError(
            f"{others[0]} other sessions are connected to {url.database}: stop the hub first"
        )


def _pg_restore(url: URL, backup: Path) -> str:
    env, name = _pg_env(url)
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    _refuse_live_sessions_pg(url)
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",  # all or nothing
            "--exit-on-error",
            f"--dbname={name}",
            str(backup),
        ],
        env,
    )
    return f"restored PostgreSQL database {name} from {backup}"


def backup(store_url: str, dest: Path) -> str:
    url = make_url(store_url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        return _sqlite_backup(url, dest)
    return _pg_backup(url, dest)


def restore(store_url: str, backup_path: Path) -> str:
    url = make_url(store_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_restore(url, backup_path)
    return _pg_restore(url, backup_path)
