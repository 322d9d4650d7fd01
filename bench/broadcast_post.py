"""What a coordinator waits for when sending to the whole fleet: the broadcast POST alone.

    python -m bench.broadcast_post [--vessels 10000] [--posts 5] [--db sqlite|postgres|both]

A hub in this process (private Mosquitto, fresh store with a generated fleet, no vessel
connected) takes `--posts` broadcasts to every vessel through its API over HTTP; each POST is
timed from request to answer (targets chosen, every outbox row committed), with the hub drained
between POSTs so that each one starts on a quiet hub. Vessels are not connected, so this measures
the hub's side only (issue 17.2: POST answered < 200 ms at 10,000 boats); `bench.broadcast` times
the deliveries with a simulated fleet.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from bench._common import machine
from bench.ingest import drop_pg, pg_url
from seaLink.domain.fleetgen import generate_fleet
from seaLink.domain.ports import load_zones_document, ports_from_geojson
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.testing.mosquitto import Mosquitto, free_port

ADMIN_PASSWORD = "bench-admin-pass"


async def run(url: str, broker: Mosquitto, vessels: int, posts: int) -> list[float]:
    fleet = generate_fleet(vessels, ports_from_geojson(load_zones_document()), seed=1)
    db = Database(url)
    try:
        await db.create_all()
        await import_fleet(db, fleet)
    finally:
        await db.dispose()
    port = free_port()
    os.environ["SEALINK_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    settings = Settings(
        mqtt={"url": broker.url, "client_id": f"bench-{uuid.uuid4().hex[:6]}"},
        store={"url": url},
        api={"port": port, "login_rate_per_min": 1000},
    )  # type: ignore[arg-type]
    hub = Hub(settings)
    took = []
    async with hub.running(), aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{port}/api/v1"
        async with http.post(
            f"{base}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        ) as r:
            token = (await r.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for i in range(posts):
            await hub.drained(timeout=120)
            body = {"kind": "notice", "title": f"渔港检查通知 {i + 1}",
                    "body": "明天上午九点渔政检查消防设备，请做好准备。", "reply": "confirm",
                    "target": {"all": True}}  # fmt: skip
            started = time.perf_counter()
            async with http.post(f"{base}/broadcasts", json=body, headers=headers) as r:
                answer = await r.json()
                assert r.status == 201, answer
            took.append(time.perf_counter() - started)
            assert answer["rollup"]["total"] == vessels, answer.get("rollup")
    return took


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--vessels", type=int, default=10_000)
    p.add_argument("--posts", type=int, default=5)
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = p.parse_args()
    print(f"machine: {machine()}; load average at start: {os.getloadavg()[0]:.2f}")
    work = Path(tempfile.mkdtemp(prefix="sealink-bench-"))
    broker = Mosquitto(work / "broker")
    broker.start()
    try:
        for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
            url = f"sqlite+aiosqlite:///{work}/{db}.db" if db == "sqlite" else pg_url()
            try:
                took = asyncio.run(run(url, broker, args.vessels, args.posts))
            finally:
                if db == "postgres":
                    drop_pg(url)
            ms = [t * 1000 for t in took]
            print(f"[{db}] POST to {args.vessels:,} vessels, {len(ms)} times: "
                  f"median {statistics.median(ms):.0f} ms, min {min(ms):.0f} ms, "
                  f"max {max(ms):.0f} ms   (target: < 200 ms)")  # fmt: skip
    finally:
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
