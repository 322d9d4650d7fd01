"""History benchmark: a year of positions, three track queries, and the ingest rate beside them.

    python -m bench.history [--db sqlite|postgres|both] [--vessels 500] [--days 365]
                            [--interval-min 30] [--seconds 5]

It loads `vessels x days x 24*60/interval-min` fixes, spread over the year before now (PostgreSQL:
one partition per month, as the hub makes them), then for each query prints its median and p95
time over `--seconds` of repeats while an ingest writer commits batches of 500 fixes, as the
hub's ingest writer does, and that writer's rate (and its rate with no query running):
  * one boat's 24-hour track (queries.track), half a year back;
  * the fleet's latest positions (queries.list_vessels: the vessel_state table);
  * a grid's boats in an area at a past time (queries.boats_in_area_at), 100 days back.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, text, update

from bench._common import machine, percentile
from seaLink.domain.fleetgen import generate_fleet
from seaLink.domain.ports import load_zones_document, ports_from_geojson
from seaLink.store import partitions, queries
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.tables import Position, VesselState

PG_ADMIN = os.environ.get("SEALINK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
_p: Any = Position.__table__  # type: ignore[attr-defined]
_vs: Any = VesselState.__table__  # type: ignore[attr-defined]
COLUMNS = ["vessel_id", "ts", "lat", "lon", "sog", "cog", "nav_state", "backfill", "link",
           "received_at"]  # fmt: skip
INGEST_BATCH = 500


def _where(k: int, step: int) -> tuple[float, float]:
    """A boat's position at its step-th fix: circling its own patch east of Nan'ao."""
    a = step / 40.0 + k
    return 23.0 + (k % 40) * 0.01 + 0.05 * math.sin(a), 117.2 + (k // 40) * 0.01 + 0.05 * math.cos(
        a
    )


def _rows(ids: list[str], start: datetime, end: datetime, every: timedelta) -> Any:
    """Fixes in time order, one per boat per `every`, as tuples of COLUMNS."""
    step, ts = 0, start
    while ts < end:
        for k, vid in enumerate(ids):
            lat, lon = _where(k, step)
            yield (vid, ts, lat, lon, 4.5, 90.0, "fishing", False, "mqtt", ts)
        step += 1
        ts += every


async def _load_pg(db: Database, ids: list[str], start: datetime, end: datetime,
                   every: timedelta) -> int:  # fmt: skip
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        total, chunk = 0, []
        for row in _rows(ids, start, end, every):
            chunk.append(row)
            if len(chunk) >= 200_000:
                await driver.copy_records_to_table("position", records=chunk, columns=COLUMNS)
                total += len(chunk)
                chunk = []
        if chunk:
            await driver.copy_records_to_table("position", records=chunk, columns=COLUMNS)
            total += len(chunk)
    return total


def _load_sqlite(path: str, ids: list[str], start: datetime, end: datetime,
                 every: timedelta) -> int:  # fmt: skip
    # The store's own text form of a UTC time (SQLAlchemy's SQLite DATETIME), so that ranges
    # compare as the hub's queries expect.
    def text(ts: datetime) -> str:
        return ts.strftime("%Y-%m-%d %H:%M:%S.%f")

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    sql = f"INSERT INTO position ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    total, chunk = 0, []
    for r in _rows(ids, start, end, every):
        chunk.append((*r[:1], text(r[1]), *r[2:9], text(r[9])))
        if len(chunk) >= 100_000:
            conn.executemany(sql, chunk)
            conn.commit()
            total += len(chunk)
            chunk = []
    conn.executemany(sql, chunk)
    conn.commit()
    conn.close()
    return total + len(chunk)


class IngestWriter:
    """Commits batches of fresh fixes as fast as the store takes them, counting them."""

    def __init__(self, db: Database, ids: list[str]) -> None:
        self.db, self.ids, self.count, self._ts = db, ids, 0, datetime.now(UTC)

    async def run(self) -> None:
        while True:
            self._ts += timedelta(seconds=1)
            rows = [
                {
                    "vessel_id": self.ids[k % len(self.ids)],
                    "ts": self._ts + timedelta(microseconds=k),
                    "lat": 23.3,
                    "lon": 117.6,
                    "sog": 4.0,
                    "cog": 90.0,
                    "nav_state": "fishing",
                    "backfill": False,
                    "link": "mqtt",
                    "received_at": self._ts,
                }
                for k in range(INGEST_BATCH)
            ]
            async with self.db.engine.begin() as conn:
                await conn.execute(self.db.insert_ignore(_p), rows)
            self.count += len(rows)


async def _measure(
    writer: IngestWriter, seconds: float, query: Callable[[], Awaitable[Any]] | None
) -> tuple[list[float], float]:
    """Query times (ms) and the writer's rate (fixes/s) over `seconds`."""
    times: list[float] = []
    start, counted = time.perf_counter(), writer.count
    while time.perf_counter() - start < seconds:
        if query is None:
            await asyncio.sleep(0.1)
            continue
        t0 = time.perf_counter()
        await query()
        times.append((time.perf_counter() - t0) * 1000)
    return times, (writer.count - counted) / (time.perf_counter() - start)


async def _size(db: Database) -> float:
    """Bytes the database takes on disk."""
    if db.dialect == "postgresql":
        async with db.engine.connect() as conn:
            got = await conn.execute(text("SELECT pg_database_size(current_database())"))
            return float(got.scalar_one())
    path = Path(db.url.split("///", 1)[1])
    return float(sum(f.stat().st_size for f in path.parent.glob(path.name + "*")))


async def run(url: str, label: str, args: argparse.Namespace) -> None:
    db = Database(url)
    try:
        await db.drop_all()
        await db.create_all()
        fleet = generate_fleet(args.vessels, ports_from_geojson(load_zones_document()), seed=7)
        await import_fleet(db, fleet)
        ids = [v.id for v in fleet.vessels]
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(days=args.days)
        every = timedelta(minutes=args.interval_min)
        if db.dialect == "postgresql":
            month = partitions.month_start(start)
            while month <= partitions.add_months(partitions.month_start(end), 2):
                async with db.engine.begin() as conn:
                    await conn.run_sync(partitions.ensure_month, month)
                month = partitions.add_months(month, 1)
        t0 = time.perf_counter()
        if db.dialect == "postgresql":
            rows = await _load_pg(db, ids, start, end, every)
            async with db.engine.connect() as conn:
                await conn.execute(text("ANALYZE position"))
        else:
            rows = await asyncio.to_thread(
                _load_sqlite, url.split("///", 1)[1], ids, start, end, every
            )
        load_s = time.perf_counter() - t0
        last = end - every
        async with db.engine.begin() as conn:
            await conn.execute(
                update(_vs)
                .where(_vs.c.vessel_id == bindparam("vid"))
                .values(fix_ts=last, last_heard=last, lat=bindparam("lat"), lon=bindparam("lon")),
                [
                    {"vid": vid, "lat": _where(k, 0)[0], "lon": _where(k, 0)[1]}
                    for k, vid in enumerate(ids)
                ],
            )
        print(f"\n{label}: {rows:,} fixes ({args.vessels} boats x {args.days} days, one per "
              f"{args.interval_min:g} min) loaded in {load_s:.0f} s ({rows / load_s:,.0f}/s); "
              f"{await _size(db) / 2**30:.2f} GiB on disk")  # fmt: skip
        grid = fleet.vessels[0].grid_id
        mid = end - timedelta(days=min(182, args.days // 2))
        past = end - timedelta(days=min(100, args.days - 1))
        checks: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("one boat's 24 h track", lambda: queries.track(db, ids[0], since=mid - timedelta(hours=24), until=mid)),
            ("the fleet's latest positions", lambda: queries.list_vessels(db)),
            ("a grid's boats in an area, 100 days back",
             lambda: queries.boats_in_area_at(db, grid, (22.9, 117.0, 23.6, 117.9), past)),
        ]  # fmt: skip
        writer = IngestWriter(db, ids)
        task = asyncio.create_task(writer.run())
        try:
            await _measure(writer, 1.0, None)  # warm up
            _, idle = await _measure(writer, args.seconds, None)
            print(f"  ingest alone: {idle:,.0f} fixes/s")
            for name, q in checks:
                found = await q()
                times, rate = await _measure(writer, args.seconds, q)
                print(f"  {name:<42} median {statistics.median(times):7.1f} ms  "
                      f"p95 {percentile(times, 95):7.1f} ms  ({len(found)} rows, {len(times)} runs)"
                      f"  ingest meanwhile {rate:,.0f} fixes/s")  # fmt: skip
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await db.dispose()


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--vessels", type=int, default=500)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--interval-min", type=float, default=30.0)
    p.add_argument("--seconds", type=float, default=5.0, help="measuring time per query")
    args = p.parse_args()
    print(machine())
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="sealink-history-") as tmp:
            path = Path(tmp) / "history.db"
            await run(f"sqlite+aiosqlite:///{path}", "SQLite", args)
    if args.db in ("postgres", "both"):
        import asyncpg

        name = f"sealink_history_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        try:
            await run(f"{base}/{name}", "PostgreSQL", args)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
