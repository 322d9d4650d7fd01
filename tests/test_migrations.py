"""Schema migrations on SQLite and PostgreSQL: the revisions build the models' schema, a database
of the previous release keeps every row through `sealink db upgrade`, and a hub will not start on
an old schema."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Boolean, DateTime, Float, Integer, MetaData, String, Table, select, text
from sqlmodel import SQLModel

from seaLink.store import schema
from seaLink.store.db import Database
from seaLink.store.schema import SchemaError

ROOT = Path(__file__).resolve().parents[1]


async def _at(db: Database, revision: str) -> None:
    """Build the schema as the revisions make it (not create_all), up to `revision`."""
    await db.drop_all()
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(schema.alembic_config(c), revision))


async def test_the_revisions_build_the_schema_the_models_declare(clean_store: str) -> None:
    db = Database(clean_store)
    try:
        await _at(db, "head")
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"include_name": schema.include_name}),
                    SQLModel.metadata,
                )
            )
        assert diff == []
    finally:
        await db.dispose()


def _value(table: Table, column: Any, sqlite: bool, i: int) -> Any:
    """A value of the column's type; every string column of every table gets the same one, so
    the foreign keys between the tables hold."""
    kind = column.type
    if isinstance(kind, DateTime):
        ts = datetime(2026, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)
        return ts.replace(tzinfo=None) if sqlite else ts
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer):
        return 1
    if isinstance(kind, Float):
        return 22.5 + i
    if isinstance(kind, String):
        word = "x" if column.primary_key or column.foreign_keys else "粤南澳渔"
        return word[: kind.length] if kind.length else word
    raise AssertionError(f"no test value for {table.name}.{column.name}: {kind!r}")


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


async def test_a_database_of_the_previous_release_keeps_every_row_through_the_upgrade(
    clean_store: str,
) -> None:
    db = Database(clean_store)
    sqlite = db.dialect == "sqlite"
    # Fixes over three months, one of them long before the rest (its own partition).
    fix_times = [datetime(2026, 1, 31, 23, 59, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)]
    fix_times += [
        datetime(2024, 7, 1, 12, tzinfo=UTC) + timedelta(minutes=10 * k) for k in range(3)
    ]
    try:
        await _at(db, "0001")  # what the previous release made
        old = MetaData()
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: old.reflect(c))
            written: dict[str, list[dict[str, Any]]] = {}
            for table in old.sorted_tables:
                if table.name == schema.VERSION_TABLE or table.name in schema.FOREIGN_TABLES:
                    continue  # (the training scheduler's table, if an earlier test made it)
                rows = [{c.name: _value(table, c, sqlite, 0) for c in table.columns}]
                if table.name == "position":
                    naive = [t.replace(tzinfo=None) if sqlite else t for t in fix_times]
                    rows = [{**rows[0], "ts": t, "lat": 22.0 + k} for k, t in enumerate(naive)]
                await conn.execute(table.insert(), rows)
                written[table.name] = rows
        ours = set(old.tables) - {schema.VERSION_TABLE} - schema.FOREIGN_TABLES
        assert set(written) == ours  # a row in every table

        with pytest.raises(SchemaError, match="sealink db upgrade"):
            await db.create_all()  # the new hub's start
        said: list[str] = []
        assert await db.upgrade(report=said.append) == schema.head()
        assert said == [f"upgraded from revision 0001 to {schema.head()}"]
        await db.create_all()  # now it starts

        async with db.engine.connect() as conn:
            for name, rows in written.items():
                table = old.tables[name]
                order = [c for c in table.primary_key.columns]
                got = (await conn.execute(select(table).order_by(*order))).mappings().all()
                want = sorted(rows, key=lambda r: tuple(_normal(r[c.name]) for c in order))
                assert [{k: _normal(v) for k, v in r.items()} for r in got] == [
                    {k: _normal(v) for k, v in r.items()} for r in want
                ], name
            if not sqlite:
                months = set(
                    (
                        await conn.execute(
                            text(
                                "SELECT c.relname FROM pg_inherits i JOIN pg_class c"
                                " ON c.oid = i.inhrelid WHERE i.inhparent = 'position'::regclass"
                            )
                        )
                    ).scalars()
                )
                assert {"position_y2024m07", "position_y2026m01", "position_y2026m02"} <= months
                in_default = (
                    await conn.execute(text("SELECT count(*) FROM position_default"))
                ).scalar_one()
                assert in_default == 0  # every fix went to its month
    finally:
        await db.dispose()


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEALINK_STORE__URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "seaLink.cli", "db", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_sealink_db_current_and_upgrade_on_an_old_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    db = Database(url)
    try:
        await _at(db, "0001")
    finally:
        await db.dispose()
    before = _cli(url, "current")
    assert before.returncode == 1, before.stderr
    assert "0001" in before.stdout and "sealink db upgrade" in before.stdout
    done = _cli(url, "upgrade")
    assert done.returncode == 0, done.stderr
    assert f"to {schema.head()}" in done.stdout
    after = _cli(url, "current")
    assert after.returncode == 0 and f"revision {schema.head()} (the newest)" in after.stdout


async def test_the_hub_will_not_start_on_an_old_schema_and_says_what_to_run(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    db = Database(url)
    try:
        await _at(db, "0001")
    finally:
        await db.dispose()
    env = {**os.environ, "SEALINK_STORE__URL": url, "PYTHONPATH": str(ROOT),
           "SEALINK_MQTT__URL": "mqtt://127.0.0.1:9"}  # fmt: skip
    hub = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "seaLink.cli", "hub"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert hub.returncode == 1
    assert "schema revision 0001" in hub.stderr and "`sealink db upgrade`" in hub.stderr


async def test_delivery_times_an_older_hub_wrote_as_python_text_become_the_stores_text(
    tmp_path: Path,
) -> None:
    """Revision 0007 (SQLite): sends and answers were stored in Python's text; after the upgrade
    every time of a delivery is the text the store writes, and reads back as the same instant."""
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    db = Database(url)
    store_text = "2026-03-14 09:26:53.589000"
    python_text = {
        "sent_at": "2026-03-14 09:26:53.589000+00:00",
        "delivered_at": "2026-03-14 09:27:00+00:00",  # a whole second: no fraction
        "read_at": None,
        "acked_at": "2026-03-14 09:28:00.000005+00:00",
    }
    try:
        await _at(db, "0006")
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO delivery (msg_id, vessel_id, grid_id, kind, priority, payload,"
                    " state, rank, copies, attempts, next_attempt_at, queued_at, sent_at,"
                    " delivered_at, read_at, acked_at, last_error) VALUES ('M1', 'V1', 'G01',"
                    " 'notice', 5, '{}', 'acknowledged', 4, 'mqtt', 1, :q, :q, :s, :d, :r, :a, '')"
                ),
                {"q": store_text, "s": python_text["sent_at"], "d": python_text["delivered_at"],
                 "r": python_text["read_at"], "a": python_text["acked_at"]},
            )  # fmt: skip
        assert await db.upgrade() == schema.head()
        async with db.engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT queued_at, sent_at, delivered_at, read_at, acked_at FROM delivery")
                )
            ).one()
    finally:
        await db.dispose()
    assert tuple(row) == (
        store_text,
        store_text,
        "2026-03-14 09:27:00.000000",
        None,
        "2026-03-14 09:28:00.000005",
    )
