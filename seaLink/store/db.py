"""Engine creation and the few dialect differences (SQLite WAL pragmas, conflict clauses)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, event, inspect, literal, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.schema import CreateColumn
from sqlalchemy.sql.dml import Insert
from sqlmodel import SQLModel

from seaLink.errors import ConfigError
from seaLink.store import tables  # noqa: F401

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the API read while the ingest writer commits; NORMAL is durable across a process
    # crash (kill -9), which is the failure we guard against; busy_timeout serialises writers.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _add_missing_columns(conn: Connection) -> None:
    """Add the columns a newer SeaLink declares to the tables an older one created (create_all
    makes missing tables only): a nullable one as it is, one that must have a value with its
    default as the existing rows' value. A missing column with no default is a schema this
    cannot upgrade: the start stops and says which."""
    found = inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    for table in SQLModel.metadata.sorted_tables:
        if not found.has_table(table.name):
            continue
        have = {c["name"] for c in found.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            ddl = str(CreateColumn(column).compile(dialect=conn.dialect))
            if not column.nullable and column.server_default is None:
                default = getattr(column.default, "arg", None)
                if default is None or callable(default):
                    raise ConfigError(f"table {table.name} lacks column {column.name}: recreate it")
                value = literal(default, column.type).compile(
                    dialect=conn.dialect, compile_kwargs={"literal_binds": True}
                )
                ddl += f" DEFAULT {value}"
            conn.execute(text(f"ALTER TABLE {quote(table.name)} ADD COLUMN {ddl}"))
            log.warning("store: added column %s.%s", table.name, column.name)


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

    async def create_all(self) -> None:
        async with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # Several hubs starting together on an empty database would race to create the same
                # tables; one at a time (the lock ends with the transaction).
                await conn.execute(text("SELECT pg_advisory_xact_lock(7312026)"))
            await conn.run_sync(SQLModel.metadata.create_all)
            await conn.run_sync(_add_missing_columns)

    async def drop_all(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.drop_all)

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
