"""SQLite statements run in one trip to aiosqlite's thread, with the adapter's results."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    text,
    update,
)  # fmt: skip
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from seaLink.store import one_trip
from seaLink.store.db import Database
from seaLink.store.raw_rows import RawRows
from seaLink.store.tables import Position

META = MetaData()
BOAT = Table(
    "boat", META, Column("id", Integer, primary_key=True), Column("name", String, unique=True)
)


@pytest.fixture(params=["one trip", "adapter"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """The same statements through the one-trip path and through SQLAlchemy's own adapter."""
    eng = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    if request.param == "one trip":
        one_trip.install(eng)
    async with eng.begin() as conn:
        await conn.run_sync(META.create_all)
    yield eng
    await eng.dispose()


class Trips:
    """Counts the functions aiosqlite queues to its threads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.n = 0
        queue = aiosqlite.Connection._execute

        async def counted(conn: Any, fn: Any, *a: Any, **k: Any) -> Any:
            self.n += 1
            return await queue(conn, fn, *a, **k)

        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)


async def test_rows_counts_and_ids_are_what_the_adapter_gives(engine: Any) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(insert(BOAT).values(name="粤汕渔01"))
        assert first.inserted_primary_key == (1,)
        many = await conn.execute(insert(BOAT), [{"name": f"粤汕渔{i:02}"} for i in range(2, 7)])
        assert many.rowcount == 5
        changed = await conn.execute(
            update(BOAT).where(BOAT.c.id > 4).values(name=BOAT.c.name + "号")
        )
        assert changed.rowcount == 2
        none = await conn.execute(update(BOAT).where(BOAT.c.id > 100).values(name="x"))
        assert none.rowcount == 0
    async with engine.connect() as conn:
        rows = (await conn.execute(select(BOAT).order_by(BOAT.c.id))).all()
        assert [tuple(r) for r in rows] == [(1, "粤汕渔01"), (2, "粤汕渔02"), (3, "粤汕渔03"),
                                            (4, "粤汕渔04"), (5, "粤汕渔05号"), (6, "粤汕渔06号")]  # fmt: skip
        assert (await conn.execute(select(BOAT).where(BOAT.c.id > 9))).all() == []
        assert (await conn.exec_driver_sql("SELECT count(*) FROM boat")).scalar() == 6
        assert list((await conn.execute(text("SELECT name FROM boat WHERE id = 1"))).keys()) == [
            "name"
        ]
        streamed = [r async for r in await conn.stream(select(BOAT.c.id).order_by(BOAT.c.id))]
        assert [r[0] for r in streamed] == [1, 2, 3, 4, 5, 6]


async def test_errors_are_the_adapters_and_the_transaction_rolls_back(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(BOAT).values(name="A"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(BOAT).values(name="B"))
            await conn.execute(insert(BOAT).values(name="A"))  # unique
    with pytest.raises(OperationalError, match="no such table"):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT * FROM nowhere"))
    async with engine.connect() as conn:
        assert (await conn.execute(select(BOAT.c.name))).scalars().all() == ["A"]


async def test_a_statement_is_one_trip_to_the_database_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    eng = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    one_trip.install(eng)
    try:
        async with eng.begin() as conn:
            await conn.run_sync(META.create_all)
        async with eng.connect() as conn:
            await conn.execute(select(BOAT))  # the connection made and ready
            trips = Trips(monkeypatch)
            for _ in range(10):
                await conn.execute(select(BOAT).where(BOAT.c.id == 1))
            assert trips.n == 10  # the adapter alone: 40 (cursor, execute, fetch, close)
        trips.n = 0
        async with eng.connect() as conn:
            await conn.execute(select(BOAT))
        async with eng.begin() as conn:
            await conn.execute(select(BOAT))
        assert trips.n == 2  # no rollback or commit of a transaction that never opened
        async with eng.begin() as conn:
            await conn.execute(insert(BOAT).values(name="A"))
        assert trips.n == 4  # a write's transaction is committed
        with pytest.raises(RuntimeError):
            async with eng.begin() as conn:
                await conn.execute(insert(BOAT).values(name="B"))
                raise RuntimeError("and rolled back")
        async with eng.connect() as conn:
            assert (await conn.execute(select(BOAT.c.name))).scalars().all() == ["A"]
    finally:
        await eng.dispose()


async def test_a_transactions_statements_go_in_one_trip_and_keep_the_write_gate(
    clean_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`executemany_all`: every step written in order in the caller's transaction (one trip on
    SQLite), a refused row rolls the whole transaction back as SQLAlchemy's IntegrityError, and
    two writers at once on SQLite take turns at the gate instead of meeting SQLite's lock."""
    db = Database(clean_store)
    pos: Any = Position.__table__  # type: ignore[attr-defined]
    insert_fix = RawRows(db, pos.insert())
    t0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)

    def fixes(vessel: str, n: int, start: int = 0) -> list[dict[str, Any]]:
        return [{"vessel_id": vessel, "ts": t0 + timedelta(seconds=start + i), "lat": 23.1,
                 "lon": 117.2, "sog": None, "cog": None, "nav_state": None, "backfill": False,
                 "link": "mqtt", "received_at": t0} for i in range(n)]  # fmt: skip

    async def count(vessel: str) -> int:
        async with db.engine.connect() as conn:
            q = select(func.count()).select_from(pos).where(pos.c.vessel_id == vessel)
            return int((await conn.execute(q)).scalar_one())

    try:
        async with db.engine.begin() as conn:  # the connection made, its pragmas set
            await conn.execute(select(pos.c.vessel_id).limit(1))
        trips = Trips(monkeypatch)
        async with db.engine.begin() as conn:
            await one_trip.executemany_all(conn, db, [insert_fix.step(fixes("A", 300)),
                                                     insert_fix.step([]),
                                                     insert_fix.step(fixes("B", 2))])  # fmt: skip
        if db.dialect == "sqlite":
            assert trips.n == 2  # the statements; the commit (the pool's reset: nothing open)
            assert db.write_gate is not None
            async with db.engine.begin() as conn:
                await one_trip.executemany_all(conn, db, [insert_fix.step(fixes("B", 1, 9))])
                # the gate is this transaction's until its commit, as for SQLAlchemy's writes
                held = (await conn.get_raw_connection()).dbapi_connection
                assert held is not None and db.write_gate.holder is held
            assert db.write_gate.holder is None
        assert (await count("A"), await count("B")) == (300, 3 if db.dialect == "sqlite" else 2)
        with pytest.raises(IntegrityError):  # (vessel, ts) is the fix's key: a copy is refused
            async with db.engine.begin() as conn:
                await one_trip.executemany_all(
                    conn, db, [insert_fix.step(fixes("C", 5)), insert_fix.step(fixes("A", 1))]
                )
        assert await count("C") == 0  # rolled back with the refused row

        async def writer(vessel: str) -> None:
            for k in range(10):
                async with db.engine.begin() as conn:
                    await one_trip.executemany_all(
                        conn, db, [insert_fix.step(fixes(vessel, 50, k * 50))]
                    )
                    await asyncio.sleep(0.01)  # the write lock held across a turn of the loop

        await asyncio.gather(writer("D"), writer("E"))
        assert (await count("D"), await count("E")) == (500, 500)
    finally:
        await db.dispose()
