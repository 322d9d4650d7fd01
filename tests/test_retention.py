"""Position retention on both databases: fixes past the cutoff leave `position` (whole months on
PostgreSQL, batches on SQLite), one fix per vessel and period stays in the archive."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from seaLink.store import partitions, queries
from seaLink.store.db import Database
from seaLink.store.retention import PositionRetention, period_of
from seaLink.store.tables import Position, PositionArchive

POS = Position.__table__  # type: ignore[attr-defined]
ARCH = PositionArchive.__table__  # type: ignore[attr-defined]
EVERY = 600


def _fixes() -> list[dict[str, object]]:
    """Two boats, a fix every 4 minutes for an hour on one day of June, July and August, one fix
    years before (outside every partition) and one this month."""
    rows = []
    starts = [datetime(2026, m, 10, 8, 0, tzinfo=UTC) for m in (6, 7, 8)]
    starts.append(datetime(2020, 1, 5, 3, 0, tzinfo=UTC))
    # September has no partition yet on PostgreSQL: its fixes wait in the default one until
    # retention makes the month, and move into it then.
    starts.append(datetime(2026, 9, 14, 23, 0, tzinfo=UTC))
    for vessel in ("V1", "V2"):
        for start in starts:
            count = 1 if start.year == 2020 or start.month == 9 else 15
            for k in range(count):
                ts = start + timedelta(minutes=4 * k)
                rows.append({"vessel_id": vessel, "ts": ts, "lat": 23.0 + k / 100, "lon": 117.0,
                             "link": "mqtt", "received_at": ts, "backfill": False})  # fmt: skip
    return rows


async def test_retention_removes_what_is_past_and_archives_one_fix_per_period(
    clean_store: str,
) -> None:
    db = Database(clean_store)
    now = datetime(2026, 9, 15, tzinfo=UTC)
    cutoff = now - timedelta(days=45)  # 1 August
    fixes = _fixes()
    try:
        pg = db.dialect == "postgresql"
        if pg:
            for m in (6, 7, 8):
                async with db.engine.begin() as conn:
                    await conn.run_sync(partitions.ensure_month, date(2026, m, 1))
        async with db.engine.begin() as conn:
            await conn.execute(POS.insert(), fixes)
        retention = PositionRetention(db, keep_days=45, archive_every_s=EVERY, batch=7)
        done = await retention.run_once(now)

        past = [f for f in fixes if f["ts"] < cutoff]  # type: ignore[operator]
        assert done.rows_deleted == (2 if pg else len(past))  # PostgreSQL: the default partition
        async with db.engine.connect() as conn:
            kept = (await conn.execute(select(POS.c.vessel_id, POS.c.ts))).all()
            archived = (await conn.execute(select(ARCH))).mappings().all()
            if pg:
                months = await conn.run_sync(partitions.months)
                in_default = (
                    await conn.execute(text("SELECT count(*) FROM position_default"))
                ).scalar_one()
        assert sorted(kept) == sorted(
            (f["vessel_id"], f["ts"])
            for f in fixes
            if f["ts"] >= cutoff  # type: ignore[operator]
        )
        periods = {(f["vessel_id"], period_of(f["ts"], EVERY)) for f in past}  # type: ignore[arg-type]
        assert sorted((a["vessel_id"], a["period"]) for a in archived) == sorted(periods)
        by_key = {(f["vessel_id"], f["ts"]): f for f in past}
        for a in archived:  # each archived fix is one of its period's own
            source = by_key[(a["vessel_id"], a["ts"])]
            assert period_of(a["ts"], EVERY) == a["period"] and a["lat"] == source["lat"]
        if pg:
            assert done.months_dropped == [date(2026, 6, 1), date(2026, 7, 1)]
            assert months == [date(2026, m, 1) for m in (8, 9, 10, 11)]
            assert in_default == 0

        # A past track reads the archive where the full one is gone: June's hour, one fix per
        # period, in order.
        june = await queries.track(db, "V1", since=datetime(2026, 6, 10, tzinfo=UTC),
                                   until=datetime(2026, 6, 11, tzinfo=UTC))  # fmt: skip
        want = sorted(a["ts"] for a in archived if a["vessel_id"] == "V1" and a["ts"].month == 6)
        assert [f["ts"] for f in june] == [t.isoformat().replace("+00:00", "Z") for t in want]
        assert len(june) == 6  # 08:00-08:56 in 10-minute periods

        # The archive's own limit.
        trim = PositionRetention(db, archive_days=30)
        assert (await trim.run_once(now)).archive_deleted == len(periods)
    finally:
        await db.dispose()


async def test_batched_retention_on_sqlite_lets_the_ingest_writer_commit_between_batches(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/r.db")
    await db.create_all()
    old = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [{"vessel_id": f"V{k % 50}", "ts": old + timedelta(seconds=k), "lat": 23.0, "lon": 117.0,
             "link": "mqtt", "received_at": old, "backfill": False} for k in range(6000)]  # fmt: skip
    commits: list[str] = []  # who committed, in order
    try:
        async with db.engine.begin() as conn:
            await conn.execute(POS.insert(), rows)
        retention = PositionRetention(db, keep_days=30, batch=500)
        done = asyncio.Event()

        async def ingest() -> None:
            k = 0
            while not done.is_set():
                ts = datetime(2026, 9, 1, tzinfo=UTC) + timedelta(seconds=k)
                async with db.engine.begin() as conn:
                    await conn.execute(db.insert_ignore(POS), [{**rows[0], "ts": ts}])
                commits.append("ingest")
                k += 1
                await asyncio.sleep(0)

        writer = asyncio.create_task(ingest())
        result = await retention.run_once(datetime(2026, 9, 2, tzinfo=UTC))
        done.set()
        await writer
        assert result.rows_deleted == 6000
        async with db.engine.connect() as conn:
            left = (
                await conn.execute(select(POS.c.ts).where(POS.c.ts < old + timedelta(days=1)))
            ).all()
        assert left == []
        # The writer went on committing while the 12 batches ran (it stops at its next commit
        # once retention is done): it never waited for the whole deletion.
        assert len(commits) >= 12
    finally:
        await db.dispose()


async def test_a_month_behind_a_long_query_is_dropped_next_round_not_waited_for(
    pg_database: str,
) -> None:
    db = Database(pg_database)
    reader = Database(pg_database)
    now = datetime(2026, 9, 15, tzinfo=UTC)
    try:
        await db.drop_all()
        await db.create_all()
        async with db.engine.begin() as conn:
            await conn.run_sync(partitions.ensure_month, date(2026, 6, 1))
            await conn.execute(POS.insert(), [f for f in _fixes() if f["ts"].month == 6])  # type: ignore[attr-defined]
        retention = PositionRetention(db, keep_days=45, archive_every_s=EVERY)
        async with reader.engine.connect() as long_query:
            await long_query.execute(select(POS.c.ts).limit(1))  # its transaction holds a lock
            first = await retention.run_once(now)
        assert first.months_dropped == [] and first.rows_archived == 0
        second = await retention.run_once(now)
        assert second.months_dropped == [date(2026, 6, 1)] and second.rows_archived > 0
    finally:
        await reader.dispose()
        await db.dispose()


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_a_fix_routed_while_its_month_is_being_made_is_written_again_not_lost(
    clean_store: str,
) -> None:
    """CI saw a fix dead-lettered `store_refused` with PostgreSQL's "new row for relation
    position_default violates partition constraint": an insert that saw the partitions from
    before the retention loop made the fix's month. The ingest writer runs such a batch again
    (as a deadlock), it is never the data's fault. The error here is the server's own: a row for
    a month that has its partition, put in the default one."""
    from sqlalchemy.exc import DBAPIError

    from seaLink.store.outage import is_write_conflict

    db = Database(clean_store)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(partitions.ensure_month, date(2026, 6, 1))
        row = _fixes()[0]
        with pytest.raises(DBAPIError) as raised:
            async with db.engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO position_default (vessel_id, ts, lat, lon, link, received_at,"
                        " backfill) VALUES (:vessel_id, :ts, :lat, :lon, :link, :received_at,"
                        " :backfill)"
                    ),
                    row,
                )
        assert "violates partition constraint" in str(raised.value)
        assert is_write_conflict(raised.value)
        # Any other broken check stays the data's fault (found and dead-lettered, not retried).
        with pytest.raises(DBAPIError) as other:
            async with db.engine.begin() as conn:
                await conn.execute(text("CREATE TEMP TABLE t (x int CHECK (x > 0))"))
                await conn.execute(text("INSERT INTO t VALUES (-1)"))
        assert not is_write_conflict(other.value)
    finally:
        await db.dispose()
