"""An empty store at the newest schema for every test, without rebuilding the schema each time.

Dropping and creating every table took ~0.3 s per PostgreSQL test and ~0.16 s per SQLite test,
several minutes of a suite that is CPU-bound on two cores. So:

- SQLite: the schema is built once per session in a template file, and each test gets a copy.
- PostgreSQL: the database keeps its tables between tests and is emptied (rows deleted, sequences
  restarted, the monthly `position` partitions a hub made dropped) - but only while its schema
  is exactly the one built from the models: a test that changed a column, an index or the
  revision leaves a different fingerprint, and the next test then gets a full rebuild. A test can
  never inherit another's schema change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from seaLink.store import partitions, schema
from seaLink.store.db import Database

# Everything a test could change in the schema, monthly partitions aside (a hub makes them at
# start; they are dropped on reset). Rows of alembic_version count: a stamp is part of it.
_FINGERPRINT = text(
    r"""
    SELECT md5(coalesce((SELECT string_agg(x, '|' ORDER BY x) FROM (
        SELECT c.relname || ':' || c.relkind::text || ':' || a.attname || ':'
               || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull::text || ':'
               || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS x
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
         WHERE c.relkind IN ('r', 'p', 'v', 'm') AND c.relname !~ '^position_y[0-9]{4}m[0-9]{2}$'
        UNION ALL
        SELECT 'i:' || indexdef FROM pg_indexes
         WHERE schemaname = 'public' AND tablename !~ '^position_y[0-9]{4}m[0-9]{2}$'
        UNION ALL
        SELECT 'k:' || conrelid::regclass::text || ':' || conname || ':' || pg_get_constraintdef(oid)
          FROM pg_constraint
         WHERE connamespace = 'public'::regnamespace
           AND conrelid::regclass::text !~ '^position_y[0-9]{4}m[0-9]{2}$'
        UNION ALL
        SELECT 't:' || tgrelid::regclass::text || ':' || tgname FROM pg_trigger
         WHERE NOT tgisinternal
        UNION ALL
        SELECT 's:' || sequencename FROM pg_sequences WHERE schemaname = 'public'
        UNION ALL
        SELECT 'f:' || p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    ) parts), '')) || ':' || coalesce((SELECT string_agg(version_num, ',') FROM alembic_version), '')
    """
)


def _fingerprint(conn: Connection) -> str:
    if schema.VERSION_TABLE not in _table_names(conn):
        return ""
    return str(conn.execute(_FINGERPRINT).scalar_one())


def _table_names(conn: Connection) -> set[str]:
    rows = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    return {r[0] for r in rows}


def _empty(conn: Connection) -> None:
    """Rows out, counters back to 1, run-time partitions gone: what a rebuild would leave."""
    for name in sorted(_table_names(conn)):
        if partitions.is_month_table(name):
            conn.execute(text(f'DROP TABLE "{name}"'))
    # DELETE, children first: on tables this small it takes ~10 ms where one TRUNCATE of them
    # all took ~90 ms (a new file per table).
    for table in reversed(SQLModel.metadata.sorted_tables):
        conn.execute(text(f'DELETE FROM "{table.name}"'))
    conn.execute(
        text(
            "SELECT setval(c.oid, 1, false) FROM pg_class c"
            " WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
        )
    )


def _copy(template: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)


class StoreReset:
    """One per test session: hands each test an empty store at the newest revision."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._sqlite_template: Path | None = None
        self._pg_built: dict[str, str] = {}  # database url -> fingerprint right after a build

    async def prepare(self, url: str) -> None:
        if make_url(url).get_backend_name() == "sqlite":
            await self._sqlite(url)
        else:
            await self._postgres(url)

    async def _sqlite(self, url: str) -> None:
        target = Path(make_url(url).database or "")
        if self._sqlite_template is None:
            template = self._workdir / "template.db"
            db = Database(f"sqlite+aiosqlite:///{template}")
            await db.create_all()
            await db.dispose()  # the last connection's close folds the WAL into the file
            self._sqlite_template = template
        _copy(self._sqlite_template, target)

    async def _postgres(self, url: str) -> None:
        db = Database(url)
        try:
            async with db.engine.begin() as conn:
                found = await conn.run_sync(_fingerprint)
                if found and found == self._pg_built.get(url):
                    await conn.run_sync(_empty)
                    return
            await db.drop_all()
            await db.create_all()
            async with db.engine.connect() as conn:
                self._pg_built[url] = await conn.run_sync(_fingerprint)
        finally:
            await db.dispose()
