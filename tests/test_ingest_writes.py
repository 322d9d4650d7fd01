"""The ingest writer's cheap paths store exactly what SQLAlchemy would, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from seaLink.store.batch import BatchPlan, Heard
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.ingest_writes import IngestWriter
from seaLink.store.raw_rows import RawRows
from seaLink.store.tables import Position, VesselState
from seaLink.wire.payloads import Fix, NavState
from tests.conftest import small_fleet

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


def _rows(vessel_id: str) -> list[dict[str, Any]]:
    received = datetime(2026, 11, 1, 9, 30, 0, 123456, tzinfo=UTC)
    return [
        {"vessel_id": vessel_id, "ts": T0, "lat": 23.1, "lon": 117.2, "sog": 4.5, "cog": 180.0,
         "nav_state": "fishing", "backfill": False, "link": "mqtt", "received_at": received},
        # an offset that is not UTC, microseconds, no speed or course, a backfilled fix
        {"vessel_id": vessel_id, "ts": datetime(2026, 11, 1, 16, 1, 2, 5, tzinfo=BEIJING),
         "lat": -0.000001, "lon": 179.999999, "sog": None, "cog": None, "nav_state": None,
         "backfill": True, "link": "ais", "received_at": received},
    ]  # fmt: skip


async def _raw(db: Database, sql: str) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.exec_driver_sql(sql)).all()]


async def test_positions_bound_raw_are_stored_as_sqlalchemy_stores_them(clean_store: str) -> None:
    db = Database(clean_store)
    try:
        table = Position.__table__  # type: ignore[attr-defined]
        async with db.engine.begin() as conn:
            await conn.execute(db.insert_ignore(table), _rows("A"))
            await RawRows(db, db.insert_ignore(table)).execute(conn, _rows("B"))
            # A redelivery through the raw path is ignored like any other.
            await RawRows(db, db.insert_ignore(table)).execute(conn, _rows("B"))
        cols = "ts, lat, lon, sog, cog, nav_state, backfill, link, received_at"
        a = await _raw(db, f"SELECT {cols} FROM position WHERE vessel_id = 'A' ORDER BY ts")
        b = await _raw(db, f"SELECT {cols} FROM position WHERE vessel_id = 'B' ORDER BY ts")
        assert len(a) == 2
        assert a == b  # the very values in the database, not as SQLAlchemy reads them back
        async with db.engine.connect() as conn:
            read = (await conn.execute(select(table.c.ts).where(table.c.vessel_id == "B"))).all()
        assert sorted(r[0] for r in read) == [T0, datetime(2026, 11, 1, 8, 1, 2, 5, tzinfo=UTC)]
    finally:
        await db.dispose()


def _fix(minutes: int, lat: float, *, backfill: bool = False) -> Fix:
    return Fix(ts=T0 + timedelta(minutes=minutes), lat=lat, lon=117.3, sog=3.0, cog=90.0,
               state=NavState.FISHING, backfill=backfill)  # fmt: skip


async def _state(db: Database, vid: str) -> dict[str, Any]:
    vs = VesselState.__table__  # type: ignore[attr-defined]
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(vs).where(vs.c.vessel_id == vid))).one()
    return dict(row._mapping)


async def test_latest_fix_and_last_heard_move_forward_each_on_its_own(clean_store: str) -> None:
    db = Database(clean_store)
    await import_fleet(db, small_fleet())
    writer = IngestWriter(db)
    try:
        first = BatchPlan()
        first.add_fix("V1", _fix(10, 23.10), "mqtt", T0)
        first.hear("V1", Heard(T0 + timedelta(minutes=10), "mqtt"))
        first.add_fix("V2", _fix(10, 23.20, backfill=True), "mqtt", T0)  # a fix, no sign of life
        first.hear("V3", Heard(T0 + timedelta(minutes=5), "beidou"))  # a sign of life, no fix
        await writer.commit(first)
        await writer.commit(first)  # a redelivered batch changes nothing

        v1, v2, v3 = [await _state(db, v) for v in ("V1", "V2", "V3")]
        assert (v1["fix_ts"], v1["lat"], v1["nav_state"]) == (
            T0 + timedelta(minutes=10),
            23.10,
            "fishing",
        )
        assert (v1["last_heard"], v1["last_link"]) == (T0 + timedelta(minutes=10), "mqtt")
        assert (v2["fix_ts"], v2["lat"], v2["last_heard"]) == (
            T0 + timedelta(minutes=10),
            23.20,
            None,
        )
        assert (v3["fix_ts"], v3["lat"]) == (None, None)
        assert (v3["last_heard"], v3["last_link"]) == (T0 + timedelta(minutes=5), "beidou")

        later = BatchPlan()
        later.add_fix("V1", _fix(5, 23.05), "mqtt", T0)  # older than the stored fix: kept out
        later.hear("V1", Heard(T0 + timedelta(minutes=20), "ais"))  # newer sign of life: taken
        later.add_fix("V3", _fix(1, 23.30), "mqtt", T0)  # first fix of V3, older than heard
        later.hear("V3", Heard(T0 + timedelta(minutes=1), "mqtt"))  # older than heard: kept out
        await writer.commit(later)

        v1, v3 = await _state(db, "V1"), await _state(db, "V3")
        assert (v1["fix_ts"], v1["lat"]) == (T0 + timedelta(minutes=10), 23.10)
        assert (v1["last_heard"], v1["last_link"]) == (T0 + timedelta(minutes=20), "ais")
        assert (v3["fix_ts"], v3["lat"], v3["sog"]) == (T0 + timedelta(minutes=1), 23.30, 3.0)
        assert (v3["last_heard"], v3["last_link"]) == (T0 + timedelta(minutes=5), "beidou")
    finally:
        await db.dispose()
