"""The schema's version: Alembic revisions (seaLink/store/migrations/versions) on the hub's own
async engine.

- A database with no SeaLink table is created at the newest revision (the models' `create_all`,
  then stamped): a fresh install, and every test store, never replays the history.
- A database at the newest revision is used as it is.
- Anything else (an older revision, or tables from before migrations) stops the hub with a
  message that names `sealink db upgrade`: the hub never changes a schema by itself, so an
  operator can take a backup first.
- `upgrade` brings any of them to the newest revision; a database from before migrations is
  adopted first (the baseline's columns it lacks are added, then it is stamped 0001).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, create_engine, inspect, literal, text
from sqlalchemy.schema import CreateColumn
from sqlmodel import SQLModel

from seaLink.errors import StoreError
from seaLink.store import migrations, tables  # noqa: F401  (tables: the models' metadata)

log = logging.getLogger(__name__)

VERSION_TABLE = "alembic_version"
BASELINE = "0001"
# Taken by whoever creates or upgrades the schema on PostgreSQL: hubs starting together on an
# empty database, or a hub starting during `sealink db upgrade`, wait for each other.
SCHEMA_LOCK = 7312026


class SchemaError(StoreError):
    """The database's schema is not the one this SeaLink's code was written for."""


@dataclass(frozen=True)
class SchemaState:
    version: str | None  # None: no alembic_version table (empty, or from before migrations)
    tables: frozenset[str]  # SeaLink's tables found

    @property
    def empty(self) -> bool:
        return self.version is None and not self.tables


# Tables in the project's database that are not ours: APScheduler keeps the training jobs in
# its own table and creates it itself; a migration must never drop or change it.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    """What autogenerate compares: not the monthly partitions of `position`, which the store
    makes and drops at run time (seaLink.store.partitions), nor another library's tables."""
    if type_ != "table" or name is None:
        return True
    if name in FOREIGN_TABLES:
        return False
    return not (name.startswith("position_") and name != "position_archive")


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str:
    """The newest revision: the schema this code reads and writes."""
    rev = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert rev is not None
    return rev


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def read_state(conn: Connection) -> SchemaState:
    found = set(inspect(conn).get_table_names())
    version = None
    if VERSION_TABLE in found:
        version = MigrationContext.configure(conn).get_current_revision()
    ours = frozenset(found & set(SQLModel.metadata.tables))
    return SchemaState(version, ours)


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})"))


def explain(state: SchemaState, where: str) -> str:
    """Why this code cannot use the database, and the command that fixes it."""
    if state.version is not None and state.version not in known_revisions():
        return (
            f"the database at {where} has schema revision {state.version}, which this SeaLink does "
            f"not know (its newest is {head()}): it was upgraded by a newer SeaLink; run that one"
        )
    found = (
        f"schema revision {state.version}" if state.version else "a schema from before migrations"
    )
    return (
        f"the database at {where} has {found}; this SeaLink needs revision {head()}: "
        "back it up (`sealink db backup PATH`) and run `sealink db upgrade`"
    )


def prepare(conn: Connection, where: str) -> SchemaState:
    """At start: create an empty database at head, accept one at head, refuse anything else."""
    _lock(conn)
    state = read_state(conn)
    if state.empty:
        SQLModel.metadata.create_all(conn)
        command.stamp(alembic_config(conn), "head")
        log.info("store: created the schema at revision %s", head())
        return read_state(conn)
    if state.version != head():
        raise SchemaError(explain(state, where))
    return state


@cache
def _baseline_columns() -> dict[str, set[str]]:
    """The tables and columns of revision 0001, read by building it in a scratch SQLite."""
    engine = create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), BASELINE)
            found = inspect(conn)
            return {
                t: {c["name"] for c in found.get_columns(t)}
                for t in found.get_table_names()
                if t != VERSION_TABLE
            }
    finally:
        engine.dispose()


def _adopt(conn: Connection) -> None:
    """Bring tables that `create_all` made before migrations to the baseline: the tables it
    lacks are created, and the columns it lacks are added (a nullable one as it is, one that
    must have a value with the code's default as the existing rows' value). A missing column
    with no default is a schema this cannot upgrade: it stops and says which."""
    baseline = _baseline_columns()
    found = inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    existing = set(found.get_table_names())
    missing_tables = [
        SQLModel.metadata.tables[t] for t in baseline if t not in existing
    ]  # a table the old code did not have yet: as the baseline made it
    if missing_tables:
        baseline_md = MetaData()
        for t in missing_tables:
            t.to_metadata(baseline_md)
        baseline_md.create_all(conn)
    for name, columns in baseline.items():
        if name not in existing:
            continue
        table = SQLModel.metadata.tables[name]
        have = {c["name"] for c in found.get_columns(name)}
        for column in table.columns:
            if column.name in have or column.name not in columns:
                continue
            ddl = str(CreateColumn(column).compile(dialect=conn.dialect))
            if not column.nullable and column.server_default is None:
                default = getattr(column.default, "arg", None)
                if default is None or callable(default):
                    raise SchemaError(f"table {name} lacks column {column.name}: recreate it")
                value = literal(default, column.type).compile(
                    dialect=conn.dialect, compile_kwargs={"literal_binds": True}
                )
                ddl += f" DEFAULT {value}"
            conn.execute(text(f"ALTER TABLE {quote(name)} ADD COLUMN {ddl}"))
            log.info("store: added column %s.%s", name, column.name)


def upgrade(conn: Connection, target: str = "head", report: Callable[[str], Any] = log.info) -> str:
    """Bring the database to `target` (the newest revision by default); returns the revision."""
    _lock(conn)
    state = read_state(conn)
    cfg = alembic_config(conn)
    if state.empty:
        SQLModel.metadata.create_all(conn)
        command.stamp(cfg, "head")
        report(f"created the schema at revision {head()}")
        return head()
    if state.version is None:
        _adopt(conn)
        command.stamp(cfg, BASELINE)
        report(f"adopted a schema from before migrations as revision {BASELINE}")
    elif state.version not in known_revisions():
        raise SchemaError(explain(state, str(conn.engine.url)))
    before = read_state(conn).version
    command.upgrade(cfg, target)
    after = read_state(conn).version
    assert after is not None
    report(
        f"upgraded from revision {before} to {after}"
        if before != after
        else f"already at revision {after}"
    )
    return after
