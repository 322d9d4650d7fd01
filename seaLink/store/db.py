"""Engine creation and the few dialect differences (SQLite WAL pragmas, conflict clauses)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import Insert
from sqlmodel import SQLModel

from seaLink.errors import ConfigError
from seaLink.store import one_trip, schema, tables, wal  # noqa: F401
from seaLink.store.write_gate import WriteGate
from seaLink.store.write_gate import install as install_write_gate

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the API read while the ingest writer commits; NORMAL is durable across a process
    # crash (kill -9), which is the failure we guard against; busy_timeout serialises writers.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA foreign_keys=ON")
    # A broadcast's bookkeeping and acknowledgements change thousands of pages a transaction:
    # with the default 2 MB the cache spilled mid-transaction (16 MB: -17% an ack at 50,000).
    cur.execute("PRAGMA cache_size=-16384")
    wal.pragmas(cur)
    cur.close()


class Database:
    """One async engine and the helpers that hide dialect differences."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        max_overflow: int = 10,
        name: str = "sealink",
    ) -> None:
        parsed = make_url(url)
        self.url = url
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            if parsed.drivername != "sqlite+aiosqlite":
                raise ConfigError(
                    f"SQLite URLs must use sqlite+aiosqlite://, got {parsed.drivername}"
                )
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        elif self.dialect == "postgresql":
            if parsed.drivername != "postgresql+asyncpg":
                raise ConfigError(
                    f"PostgreSQL URLs must use postgresql+asyncpg://, got {parsed.drivername}"
                )
            # Named, so that an operator (and the suite's connection count) can tell whose
            # connections pg_stat_activity lists.
            kwargs.update(
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=True,
                connect_args={"server_settings": {"application_name": name[:63]}},
            )
        else:
            raise ConfigError(f"unsupported database {self.dialect!r}: use SQLite or PostgreSQL")
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            one_trip.install(self.engine)
            self.write_gate: WriteGate | None = WriteGate()
            install_write_gate(self.engine, self.write_gate)
        else:
            self.write_gate = None

    @property
    def sqlite_file(self) -> str | None:
        """The SQLite store's file; None for PostgreSQL or a store in memory."""
        name = make_url(self.url).database
        return name if self.dialect == "sqlite" and name and name != ":memory:" else None

    @property
    def where(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    async def create_all(self) -> None:
        """Make the schema ready: create it at the newest revision on an empty database, accept
        it at that revision, and otherwise stop with a `SchemaError` that names
        `sealink db upgrade` (seaLink.store.schema)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(schema.prepare, self.where)

    async def upgrade(self, target: str = "head", report: Callable[[str], Any] = print) -> str:
        """`sealink db upgrade`: bring the schema to `target` (the newest by default)."""
        async with self.engine.begin() as conn:
            return await conn.run_sync(lambda c: schema.upgrade(c, target, report))

    async def schema_state(self) -> schema.SchemaState:
        async with self.engine.connect() as conn:
            return await conn.run_sync(schema.read_state)

    async def drop_all(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.drop_all)
            await conn.execute(text(f"DROP TABLE IF EXISTS {schema.VERSION_TABLE}"))

    async def dispose(self) -> None:
        await self.engine.dispose()

    def insert(self, table: Table) -> Insert:
        """A dialect-specific INSERT that supports ON CONFLICT clauses."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def insert_ignore(self, table: Table) -> Insert:
        """INSERT ... ON CONFLICT DO NOTHING: redelivered rows are stored once."""
        ins = self.insert(table)
        return ins.on_conflict_do_nothing()  # type: ignore[attr-defined, no-any-return]
