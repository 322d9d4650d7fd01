"""The test fixtures' store reset: every test starts empty at the newest schema, whatever the test
before it left behind (rows, counters, partitions, or a changed schema)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import inspect, text

from seaLink.store import partitions, schema
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.testing.store_reset import StoreReset
from tests.conftest import small_fleet

DEAD_LETTER = (
    "INSERT INTO dead_letter (received_at, topic, reason, detail, payload, payload_bytes)"
    " VALUES (CURRENT_TIMESTAMP, 't', 'bad_json', 'd', 'p', 1)"
)


async def _scalar(url: str, sql: str) -> int:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            return int((await conn.execute(text(sql))).scalar_one())
    finally:
        await db.dispose()


async def _run(url: str, *sql: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            for statement in sql:
                await conn.execute(text(statement))
    finally:
        await db.dispose()


async def _columns(url: str, table: str) -> set[str]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            found = await conn.run_sync(lambda c: inspect(c).get_columns(table))
            return {col["name"] for col in found}
    finally:
        await db.dispose()


async def _version(url: str) -> str | None:
    db = Database(url)
    try:
        return (await db.schema_state()).version
    finally:
        await db.dispose()


async def test_each_test_starts_empty_at_head_whatever_the_last_one_left(
    store_url: str, tmp_path: Path
) -> None:
    (tmp_path / "templates").mkdir()
    reset = StoreReset(tmp_path / "templates")
    await reset.prepare(store_url)
    fresh_columns = await _columns(store_url, "vessel")
    postgres = store_url.startswith("postgresql")

    # A test's leftovers: rows, serials moved on, and (on PostgreSQL) a month a hub made.
    db = Database(store_url)
    await import_fleet(db, small_fleet())
    if postgres:
        async with db.engine.begin() as conn:
            await conn.run_sync(partitions.ensure_month, date(2031, 5, 1))
    await db.dispose()
    await _run(store_url, DEAD_LETTER, DEAD_LETTER)
    assert await _scalar(store_url, "SELECT count(*) FROM vessel") == 5

    await reset.prepare(store_url)
    assert await _scalar(store_url, "SELECT count(*) FROM vessel") == 0
    assert await _scalar(store_url, "SELECT count(*) FROM grid") == 0
    assert await _scalar(store_url, "SELECT count(*) FROM dead_letter") == 0
    assert await _version(store_url) == schema.head()
    # Serials restart: the first row after a reset gets the id a fresh schema gives it.
    await _run(store_url, DEAD_LETTER)
    assert await _scalar(store_url, "SELECT max(id) FROM dead_letter") == 1
    if postgres:
        tables = "SELECT count(*) FROM pg_tables WHERE tablename = '{}'"
        assert await _scalar(store_url, tables.format("position_y2031m05")) == 0
        # The default partition is part of the schema and stays.
        assert await _scalar(store_url, tables.format("position_default")) == 1

    # A test that changed the schema: the next one gets it rebuilt, not merely emptied.
    await _run(store_url, "ALTER TABLE vessel ADD COLUMN left_behind INTEGER")
    await reset.prepare(store_url)
    assert await _columns(store_url, "vessel") == fresh_columns
    assert await _scalar(store_url, "SELECT count(*) FROM dead_letter") == 0

    # A test that dropped everything (as the migration tests do): rebuilt at head.
    db = Database(store_url)
    await db.drop_all()
    await db.dispose()
    await reset.prepare(store_url)
    assert await _version(store_url) == schema.head()
    assert await _columns(store_url, "vessel") == fresh_columns
