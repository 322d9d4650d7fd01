"""The hub's ingest path without the broker: CPU per position, steady on a busy machine.

    python -m bench.ingest_pipeline [--vessels 200] [--batches 21] [--batch 5000] [--db sqlite|postgres]
        [--uplink position|ack] [--profile N]

A real hub (SQLite or PostgreSQL store, zone watch, contact watch, outbox) is prepared without a
broker, and batches shaped like those of a flood (`bench.ingest`'s payloads, the same vessels)
are fed straight to `IngestPipeline.process`, then the zone watch is let to finish. It prints the
process CPU (all threads) per position, which the other programs on a shared machine hardly
change, so it is the guide while working; `bench.ingest` gives the end-to-end figures.
`--profile N` prints the N costliest functions (cProfile, cumulative).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.ingest import drop_pg, pg_url
from seaLink.domain.fleetgen import generate_fleet
from seaLink.domain.messaging import BroadcastKind, Target
from seaLink.domain.ports import load_zones_document, ports_from_geojson
from seaLink.domain.roles import Principal, Role
from seaLink.links.mqtt_link import RawUplink
from seaLink.runtime import Hub
from seaLink.services.broadcasts import BroadcastSpec
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.tables import Delivery

PREFIX = "bench/v1"


def batches(
    vessel_ids: list[str], n_batches: int, size: int, base: datetime | None = None
) -> list[list[RawUplink]]:
    """Each vessel's fixes in time order, interleaved across vessels as a flood delivers them."""
    base = base or datetime(2026, 11, 1, tzinfo=UTC)
    out: list[list[RawUplink]] = []
    j = 0
    for _ in range(n_batches):
        batch = []
        for _ in range(size):
            k = j % len(vessel_ids)
            step = j // len(vessel_ids)
            vid = vessel_ids[k]
            ts = (base + timedelta(seconds=step)).strftime("%Y-%m-%dT%H:%M:%SZ")
            lat = 23.0 + (k % 50) * 0.01 + step * 1e-5
            payload = f'{{"ts":"{ts}","lat":{lat:.5f},"lon":117.3,"sog":4.2,"cog":180.0,"state":"fishing"}}'
            topic = f"{PREFIX}/vessels/{vid}/up/position"
            mid = j % 65535 + 1
            batch.append(
                RawUplink(topic, payload.encode(), mid, 1, False, None, time.monotonic(), 1)
            )
            j += 1
        out.append(batch)
    return out


async def ack_batches(hub: Hub, size: int) -> list[list[RawUplink]]:
    """A notice to every vessel, then each vessel's `delivered` and `acknowledged` of it, in the
    order a fleet that confirms at once sends them (the traffic of `bench.broadcast`)."""
    spec = BroadcastSpec(BroadcastKind.NOTICE, "渔港检查通知", "明天上午九点检查消防设备。",
                         Target(all=True), reply="confirm")  # fmt: skip
    bid, _ = await hub.broadcasts._create(
        spec, Principal("admin", Role.ADMIN, frozenset()), shown=False
    )
    d: Any = Delivery.__table__  # type: ignore[attr-defined]
    async with hub.db.engine.connect() as conn:
        rows = (await conn.execute(
            select(d.c.vessel_id, d.c.msg_id).where(d.c.broadcast_id == bid).order_by(d.c.id))).all()  # fmt: skip
    await hub.outbox.store.due(hub.clock.now(), len(rows))  # what the outbox reads to send them
    ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    flat = []
    for i, (vid, msg_id) in enumerate(rows):
        for state in ("delivered", "acknowledged"):
            body = f'{{"msg_id": "{msg_id}", "state": "{state}", "ts": "{ts}"}}'.encode()
            topic = f"{PREFIX}/vessels/{vid}/up/ack"
            flat.append(RawUplink(topic, body, i % 65535 + 1, 1, False, None, time.monotonic(), 1))
    return [flat[i : i + size] for i in range(0, len(flat), size)]


async def run(args: argparse.Namespace, url: str) -> None:
    db = Database(url)
    await db.create_all()
    fleet = generate_fleet(args.vessels, ports_from_geojson(load_zones_document()), seed=1)
    await import_fleet(db, fleet)
    await db.dispose()
    settings = Settings(
        mqtt={"url": "mqtt://127.0.0.1:9", "prefix": PREFIX},
        store={"url": url},
        log_level="WARNING",
    )  # type: ignore[arg-type]
    hub = Hub(settings, with_api=False)
    await hub.prepare()
    if args.uplink == "ack":
        work = await ack_batches(hub, args.batch)
        # Warm-up: every vessel heard once (connected boats, in contact), as before a broadcast.
        now = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=10)
        work.insert(0, batches([v.id for v in fleet.vessels], 1, len(fleet.vessels), now)[0])
    else:
        work = batches([v.id for v in fleet.vessels], args.batches, args.batch)
    zones = asyncio.create_task(hub.zones.run(), name="zone-watch")
    contact = asyncio.create_task(hub.watch.run(), name="contact-watch")
    await hub.ingest.process(work[0])  # warm-up: first statements compiled, caches filled
    await hub.zones.settle()
    await hub.watch.settle()
    profile = cProfile.Profile() if args.profile else None
    cpu0, main0, t0 = time.process_time(), time.thread_time(), time.perf_counter()
    if profile:
        profile.enable()
    for batch in work[1:]:
        await hub.ingest.process(batch)
        await asyncio.sleep(0)  # let the zone watch take its turn, as it does in the hub
    await hub.zones.settle()
    if profile:
        profile.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    main_cpu = time.thread_time() - main0
    n = sum(len(b) for b in work[1:])
    what = "positions" if args.uplink == "position" else "acks"
    print(f"{n} {what} in {len(work) - 1} batches of {args.batch}: "
          f"{cpu / n * 1e6:.1f} us CPU per message ({main_cpu / n * 1e6:.1f} in the event loop's "
          f"thread), {n / wall:,.0f} {what}/s (no broker)")  # fmt: skip
    await hub.watch.settle()
    for task in (zones, contact):
        task.cancel()
    await asyncio.gather(zones, contact, return_exceptions=True)
    await hub.db.dispose()
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--vessels", type=int, default=200)
    p.add_argument("--batches", type=int, default=21)
    p.add_argument("--batch", type=int, default=5000)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--profile", type=int, default=0)
    p.add_argument(
        "--uplink", choices=["position", "ack"], default="position",
        help="ack: a notice to every vessel (--vessels) and both acks of each, --batch at a time",
    )  # fmt: skip
    args = p.parse_args()
    if args.db == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="sealink-bench-pipeline-"))
        try:
            asyncio.run(run(args, f"sqlite+aiosqlite:///{folder}/pipeline.db"))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    url = pg_url()  # a fresh database, dropped afterwards
    try:
        asyncio.run(run(args, url))
    finally:
        drop_pg(url)


if __name__ == "__main__":
    main()
