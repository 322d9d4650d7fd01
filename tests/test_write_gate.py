"""The SQLite write gate (seaLink/store/write_gate.py), on a real SQLite file through the hub's own
`Database`: writers queue in the hub instead of polling SQLite's lock, the distress lane's writes
go first, reads never wait, and no way out of a transaction (commit, rollback, timeout,
cancellation) leaves the gate held."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.exc import OperationalError

from seaLink.store.db import Database
from seaLink.store.write_gate import WriteGate, mark_urgent

_meta = MetaData()
_log = Table(
    "gate_log",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("who", String(20), nullable=False),
)


@pytest.fixture
async def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/gate.db")
    async with database.engine.begin() as conn:
        await conn.run_sync(_meta.create_all)
    yield database
    await database.dispose()


def _gate(db: Database) -> WriteGate:
    assert db.write_gate is not None
    return db.write_gate


async def _order(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(select(_log.c.who).order_by(_log.c.id))).scalars())


async def _writer(db: Database, who: str, started: asyncio.Event | None = None) -> None:
    if started is not None:
        started.set()
    async with db.engine.begin() as conn:
        await conn.execute(_log.insert().values(who=who))


async def _queued(gate: WriteGate, n: int) -> None:
    while len(gate._waiters) < n:
        await asyncio.sleep(0.01)


async def _holding(db: Database, who: str, release: asyncio.Event) -> None:
    """A long write transaction: it holds the gate across awaits until `release`."""
    async with db.engine.begin() as conn:
        await conn.execute(_log.insert().values(who=who))
        await release.wait()


async def test_writers_queue_in_the_hub_and_an_urgent_one_goes_first(db: Database) -> None:
    gate = _gate(db)
    release = asyncio.Event()

    async def urgent() -> None:
        mark_urgent()  # this task only, as the distress lane marks its own
        await _writer(db, "distress")

    first = asyncio.create_task(_holding(db, "holder", release))
    await asyncio.wait_for(_until_held(gate), 10)
    normal = []
    for i in range(3):  # one at a time: the order they reach the gate is the order they came
        normal.append(asyncio.create_task(_writer(db, f"normal-{i}")))
        await asyncio.wait_for(_queued(gate, i + 1), 10)
    late = asyncio.create_task(urgent())
    await asyncio.wait_for(_queued(gate, 4), 10)
    release.set()
    await asyncio.wait_for(asyncio.gather(first, late, *normal), 10)
    # The distress came last and was written right after the transaction it found in progress;
    # the others in the order they came.
    assert await _order(db) == ["holder", "distress", "normal-0", "normal-1", "normal-2"]
    assert gate.holder is None


async def _until_held(gate: WriteGate) -> None:
    while gate.holder is None:
        await asyncio.sleep(0.01)


async def test_reads_do_not_wait_for_the_gate(db: Database) -> None:
    gate = _gate(db)
    release = asyncio.Event()

    task = asyncio.create_task(_holding(db, "uncommitted", release))
    await asyncio.wait_for(_until_held(gate), 10)
    # WAL: a reader sees the last commit at once, while the writer holds the gate.
    assert await asyncio.wait_for(_order(db), 5) == []
    release.set()
    await task
    assert await _order(db) == ["uncommitted"]


async def test_a_rollback_hands_the_gate_on(db: Database) -> None:
    gate = _gate(db)
    with pytest.raises(RuntimeError):
        async with db.engine.begin() as conn:
            await conn.execute(_log.insert().values(who="rolled-back"))
            raise RuntimeError("the caller's own failure")
    assert gate.holder is None
    await asyncio.wait_for(_writer(db, "next"), 5)
    assert await _order(db) == ["next"]


async def test_a_writer_that_waits_too_long_gets_sqlites_error_and_the_gate_is_not_lost(
    db: Database,
) -> None:
    gate = _gate(db)
    gate.timeout_s = 0.3
    release = asyncio.Event()

    task = asyncio.create_task(_holding(db, "slow", release))
    await asyncio.wait_for(_until_held(gate), 10)
    with pytest.raises(OperationalError, match="database is locked"):
        await _writer(db, "impatient")
    release.set()
    await task
    await asyncio.wait_for(_writer(db, "after"), 5)
    assert await _order(db) == ["slow", "after"]
    assert gate.holder is None and not [w for w in gate._waiters if not w[2].done()]


async def test_a_writer_cancelled_while_waiting_leaves_no_trace(db: Database) -> None:
    gate = _gate(db)
    release = asyncio.Event()

    task = asyncio.create_task(_holding(db, "holder", release))
    await asyncio.wait_for(_until_held(gate), 10)
    waiting = asyncio.create_task(_writer(db, "cancelled"))
    await asyncio.wait_for(_queued(gate, 1), 10)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await task
    await asyncio.wait_for(_writer(db, "after"), 5)
    assert await _order(db) == ["holder", "after"]
    assert gate.holder is None


async def test_a_writer_cancelled_as_the_gate_reaches_it_passes_it_on() -> None:
    gate = WriteGate()
    a, b, c = object(), object(), object()
    await gate.acquire(a)
    second = asyncio.create_task(gate.acquire(b))
    third = asyncio.create_task(gate.acquire(c))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    gate.release(a)  # handed to b, whose task is cancelled before it runs again
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    await asyncio.wait_for(third, 5)
    assert gate.holder is c


async def test_statements_that_write_nothing_take_no_turn(db: Database) -> None:
    gate = _gate(db)
    async with db.engine.begin() as conn:
        await conn.execute(select(_log.c.id))
        await conn.execute(text("PRAGMA user_version"))
        assert gate.holder is None
        await conn.execute(_log.insert().values(who="w"))
        assert gate.holder is not None
    assert gate.holder is None


async def test_postgresql_is_not_gated(pg_database: str) -> None:
    database = Database(pg_database)
    try:
        assert database.write_gate is None
    finally:
        await database.dispose()
