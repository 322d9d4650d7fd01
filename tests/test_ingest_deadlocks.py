"""Two hubs commit batches of the same vessels at the same moment on PostgreSQL: no deadlock, and
every row right. A third connection holds one row so that the two writers line up behind it
deterministically (each has locked what comes before it in its own order) before it lets go."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from seaLink.store.batch import BatchPlan, Heard
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.ingest_writes import IngestWriter
from seaLink.store.tables import Position, VesselState
from seaLink.wire.payloads import Fix
from tests.conftest import small_fleet
from tests.test_ingest import wait_for

VESSELS = [f"V{i}" for i in range(1, 6)]
MIDDLE = "V3"
T0 = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)


@pytest.fixture
async def pg_fleet(pg_database: str) -> AsyncIterator[str]:
    db = Database(pg_database)
    await db.drop_all()
    await db.create_all()
    await import_fleet(db, small_fleet())
    await db.dispose()
    yield pg_database


def _fix_ts(vid: str) -> datetime:
    return T0 + timedelta(seconds=int(vid[1:]))


def _fixes_plan(order: list[str]) -> BatchPlan:
    """The same uplinks delivered to both hubs (a redelivery after a broker restart or while a
    dead hub's session is adopted), in the order each hub got them."""
    plan = BatchPlan()
    for vid in order:
        ts = _fix_ts(vid)
        plan.add_fix(vid, Fix(ts=ts, lat=23.3, lon=117.6, sog=5.0, cog=90.0), "mqtt", T0)
        plan.hear(vid, Heard(ts, "mqtt", False))
    return plan


def _status_plan(order: list[str], at: datetime) -> BatchPlan:
    """Link status changes of the same vessels, in the order each hub got them."""
    plan = BatchPlan()
    for vid in order:
        plan.status[vid] = ("offline", at)
    return plan


async def _lock_waits(probe: Database) -> int:
    async with probe.engine.connect() as conn:
        n = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return int(n or 0)


async def _hold_vessel_row(conn: AsyncConnection) -> None:
    await conn.execute(
        text("SELECT 1 FROM vessel_state WHERE vessel_id = :v FOR UPDATE"), {"v": MIDDLE}
    )


async def _hold_position_key(conn: AsyncConnection) -> None:
    """An uncommitted insert of the middle vessel's fix: both writers' inserts of it wait."""
    row = _fixes_plan([MIDDLE]).positions
    await conn.execute(Position.__table__.insert(), row)  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", ["redelivered fixes", "link status"])
async def test_two_writers_with_the_same_vessels_in_opposite_orders_both_commit(
    pg_fleet: str, case: str
) -> None:
    later = T0 + timedelta(minutes=5)
    if case == "redelivered fixes":
        plans = (_fixes_plan(VESSELS), _fixes_plan(VESSELS[::-1]))
        hold = _hold_position_key
    else:
        plans = (_status_plan(VESSELS, T0), _status_plan(VESSELS[::-1], later))
        hold = _hold_vessel_row
    dbs = [Database(pg_fleet) for _ in range(4)]  # two hubs, the one in the way, a probe
    writers = [IngestWriter(dbs[0]), IngestWriter(dbs[1])]
    blocker, probe = dbs[2], dbs[3]
    try:
        async with blocker.engine.connect() as conn:
            await conn.begin()
            await hold(conn)
            commits = [
                asyncio.create_task(w.commit(p)) for w, p in zip(writers, plans, strict=True)
            ]

            async def both_waiting() -> bool:
                assert not any(c.done() for c in commits), "a writer did not wait"
                return await _lock_waits(probe) >= 2

            await wait_for(both_waiting, timeout=60)
            await conn.rollback()
        # Before rows were ordered, one writer now deadlocked with the other and was rolled back.
        await asyncio.wait_for(asyncio.gather(*commits), 60)
        assert [w.conflicts for w in writers] == [0, 0]

        vs = VesselState.__table__  # type: ignore[attr-defined]
        async with probe.engine.connect() as conn:
            states = {
                r[0]: r[1:]
                for r in (
                    await conn.execute(
                        select(vs.c.vessel_id, vs.c.fix_ts, vs.c.last_heard, vs.c.link_status,
                               vs.c.status_ts)
                    )
                ).all()
            }  # fmt: skip
            positions = (
                await conn.execute(select(Position.vessel_id, Position.ts))  # type: ignore[call-overload]
            ).all()
        if case == "redelivered fixes":
            assert sorted(positions) == sorted((v, _fix_ts(v)) for v in VESSELS)  # each once
            assert {v: states[v][:2] for v in VESSELS} == {
                v: (_fix_ts(v), _fix_ts(v)) for v in VESSELS
            }
        else:
            assert {v: states[v][2:] for v in VESSELS} == {v: ("offline", later) for v in VESSELS}
    finally:
        for db in dbs:
            await db.dispose()


async def test_a_batch_rolled_back_as_a_deadlock_victim_is_written_again(pg_fleet: str) -> None:
    """Another writer that orders differently (here, by hand) still meets the ingest writer in a
    circle: PostgreSQL rolls the batch back and the writer runs it again, storing it once."""
    writer_db, other, probe = Database(pg_fleet), Database(pg_fleet), Database(pg_fleet)

    def slow_detection(dbapi_conn: Any, _record: Any) -> None:
        # The writer's backend is the one that finds the deadlock (the other waits longer).
        cur = dbapi_conn.cursor()
        cur.execute("SET deadlock_timeout = '5s'")
        cur.close()

    event.listen(writer_db.engine.sync_engine, "connect", slow_detection)
    writer = IngestWriter(writer_db)
    plan = _fixes_plan(VESSELS)
    try:
        async with other.engine.connect() as conn:
            await conn.begin()
            await conn.execute(text("SET LOCAL deadlock_timeout = '60s'"))
            await _hold_vessel_row(conn)  # the writer stops here, holding V1 and V2
            commit = asyncio.create_task(writer.commit(plan))

            async def writer_waiting() -> bool:
                assert not commit.done(), "the writer did not wait"
                return await _lock_waits(probe) >= 1

            await wait_for(writer_waiting, timeout=60)
            # Now the other wants V1, which the writer holds: a circle.
            await conn.execute(
                text("UPDATE vessel_state SET terminal = 'other' WHERE vessel_id = 'V1'")
            )
            await conn.commit()
        await asyncio.wait_for(commit, 60)
        assert writer.conflicts == 1
        vs = VesselState.__table__  # type: ignore[attr-defined]
        async with probe.engine.connect() as conn:
            positions = (
                await conn.execute(select(Position.vessel_id, Position.ts))  # type: ignore[call-overload]
            ).all()
            rows = (await conn.execute(select(vs.c.vessel_id, vs.c.fix_ts, vs.c.terminal))).all()
        assert sorted(positions) == sorted((v, _fix_ts(v)) for v in VESSELS)
        fixes = {r[0]: r[1] for r in rows}
        assert {v: fixes[v] for v in VESSELS} == {v: _fix_ts(v) for v in VESSELS}
        assert ("V1", _fix_ts("V1"), "other") in rows  # the other's write stands too
    finally:
        for db in (writer_db, other, probe):
            await db.dispose()
