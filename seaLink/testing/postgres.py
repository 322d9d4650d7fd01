"""A private PostgreSQL server on a free port, for tests and benchmarks that must restart it.

The machine's shared server must never be restarted by a test, so a chaos run makes its own:
`initdb` into a temp folder and `pg_ctl` on a free loopback port. PostgreSQL refuses to run as
root, so when we are root the programs run as the `postgres` OS user (who owns the folder).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from seaLink.testing.mosquitto import free_port

PG_BIN = Path(os.environ.get("SEALINK_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"


class PrivatePostgres:
    """One throw-away cluster: `start`, `restart` (fast shutdown, as an operator would), `stop`."""

    def __init__(self, workdir: Path | None = None, port: int | None = None) -> None:
        """`workdir` must be reachable by the `postgres` user (a fresh /tmp folder by default)."""
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="sealink-pg-"))
        self.datadir = self.workdir / "data"
        self.sockdir = self.workdir / "sock"
        self.logfile = self.workdir / "postgres.log"
        self.port = port or free_port()
        self.restarts = 0
        self._as_root = os.geteuid() == 0

    @property
    def admin_url(self) -> str:
        """libpq / asyncpg form, for the database `postgres`."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy form the hub takes (`SEALINK_STORE__URL`)."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        cmd = list(args)
        if self._as_root:
            cmd = ["runuser", "-u", OS_USER, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        if done.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({done.returncode}): "
                f"{done.stderr.decode(errors='replace')}\n{log}"
            )

    def init(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sockdir.mkdir(exist_ok=True)
        if self._as_root:
            pw = pwd.getpwnam(OS_USER)
            os.chmod(self.workdir, 0o755)
            for p in (self.workdir, self.sockdir):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        # trust on loopback: a private, throw-away server that listens on 127.0.0.1 only.
        self._run(
            str(PG_BIN / "initdb"),
            "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        if not self.datadir.exists():
            self.init()
        # fsync stays on: a restart must keep every committed row, as a real server does.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sockdir} "
            "-c max_connections=200 -c shared_buffers=64MB"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        if (self.datadir / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stop (fast: open sessions are cut, as in a failover or an upgrade) and start again."""
        self.stop("fast")
        self.start()
        self.restarts += 1

    def create_database(self, name: str) -> None:
        self._run(
            str(PG_BIN / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            name,
        )

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextmanager
def private_postgres(workdir: Path | None = None) -> Iterator[PrivatePostgres]:
    """A started private server, removed (data and all) on exit."""
    pg = PrivatePostgres(workdir)
    try:
        pg.start()
        yield pg
    finally:
        pg.remove()
