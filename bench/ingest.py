"""Ingest benchmark: simulated vessels publish positions through Mosquitto into the hub.

    python -m bench.ingest [--db sqlite|postgres|both] [--vessels 200] [--per-vessel 500]

For each database it prints, from one run on one private Mosquitto:
  * the receive rate of a bare paho subscriber on the same broker and load (the reference);
  * positions stored per second by the hub (`sealink hub` in its own process), and the ratio;
  * the hub's CPU per position and peak RSS;
  * p50/p99 latency from publish to commit at a steady rate below saturation.
The flood load comes from `mosquitto_pub -l` (C, pre-encoded lines, one process per vessel), so
the load generator costs little of the two cores that broker, hub and load share.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from bench._common import cpu_seconds, machine, peak_rss_mb, percentile
from seaLink.domain.fleetgen import generate_fleet
from seaLink.domain.ports import load_zones_document, ports_from_geojson
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.queries import count_positions
from seaLink.testing.mosquitto import Mosquitto, free_port

PREFIX = "bench/v1"
PG_ADMIN = os.environ.get("SEALINK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def write_load(folder: Path, vessel_ids: list[str], per_vessel: int, base: datetime) -> list[Path]:
    files = []
    for k, vid in enumerate(vessel_ids):
        f = folder / f"{vid}.jsonl"
        with open(f, "w") as out:
            for j in range(per_vessel):
                ts = (base + timedelta(seconds=j)).strftime("%Y-%m-%dT%H:%M:%SZ")
                lat = 23.0 + (k % 50) * 0.01 + j * 1e-5
                out.write(
                    f'{{"ts":"{ts}","lat":{lat:.5f},"lon":117.3,"sog":4.2,"cog":180.0,"state":"fishing"}}\n'
                )
        files.append(f)
    return files


def flood(broker: Mosquitto, vessel_ids: list[str], files: list[Path]) -> float:
    """All vessels publish their lines at once (QoS 1); returns the seconds it took."""
    started = time.perf_counter()
    procs = []
    for vid, f in zip(vessel_ids, files, strict=True):
        procs.append(
            subprocess.Popen(
                [
                    "mosquitto_pub",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(broker.port),
                    "-q",
                    "1",
                    "-M",
                    "200",
                    "-i",
                    f"load-{vid}",
                    "-t",
                    f"{PREFIX}/vessels/{vid}/up/position",
                    "-l",
                ],
                stdin=open(f, "rb"),  # noqa: SIM115
            )
        )
    for p in procs:
        p.wait()
    return time.perf_counter() - started


def reference(
    broker: Mosquitto, vessel_ids: list[str], files: list[Path], total: int
) -> dict[str, Any]:
    sub = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.bare_subscriber",
            "127.0.0.1",
            str(broker.port),
            f"{PREFIX}/vessels/+/up/+",
            str(total),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sub.stdout is not None
    assert sub.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    flood(broker, vessel_ids, files)
    out, _ = sub.communicate(timeout=180)
    return dict(json.loads(out.strip().splitlines()[-1]))


async def _prepare_db(url: str, vessels: int) -> list[str]:
    db = Database(url)
    try:
        await db.drop_all()
        await db.create_all()
        fleet = generate_fleet(vessels, ports_from_geojson(load_zones_document()), seed=1)
        await import_fleet(db, fleet)
        return [v.id for v in fleet.vessels]
    finally:
        await db.dispose()


async def _count(url: str) -> int:
    db = Database(url)
    try:
        return await count_positions(db)
    finally:
        await db.dispose()


def steady_latency_load(broker: Mosquitto, vessel_ids: list[str], rate: int, seconds: float) -> int:
    """Publish at a steady `rate` with a `sent` time in each payload; returns messages sent."""
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id="bench-latency",
        protocol=paho.MQTTv5,
    )
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", broker.port, 60)
    client.loop_start()
    base = datetime.now(UTC) - timedelta(days=1)
    sent = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        due = int(elapsed * rate)
        while sent < due:
            vid = vessel_ids[sent % len(vessel_ids)]
            ts = (base + timedelta(seconds=sent)).strftime("%Y-%m-%dT%H:%M:%SZ")
            payload = f'{{"ts":"{ts}","lat":23.1,"lon":117.2,"sog":5.0,"cog":90.0,"sent":{time.time():.6f}}}'
            client.publish(f"{PREFIX}/vessels/{vid}/up/position", payload, qos=1)
            sent += 1
        time.sleep(0.002)
    time.sleep(0.5)
    client.loop_stop()
    client.disconnect()
    return sent


def run_hub(broker: Mosquitto, url: str, args: argparse.Namespace) -> dict[str, Any]:
    vessel_ids = asyncio.run(_prepare_db(url, args.vessels))
    total = len(vessel_ids) * args.per_vessel
    loads = Path(tempfile.mkdtemp(prefix="sealink-bench-"))
    try:
        files = write_load(loads, vessel_ids, args.per_vessel, datetime(2026, 11, 1, tzinfo=UTC))
        ref = reference(broker, vessel_ids, files, total)
        return _measure_hub(broker, url, args, vessel_ids, files, ref)
    finally:
        shutil.rmtree(loads, ignore_errors=True)


def _measure_hub(
    broker: Mosquitto,
    url: str,
    args: argparse.Namespace,
    vessel_ids: list[str],
    files: list[Path],
    ref: dict[str, Any],
) -> dict[str, Any]:
    total = len(vessel_ids) * args.per_vessel

    env = dict(
        os.environ,
        SEALINK_MQTT__URL=broker.url,
        SEALINK_MQTT__PREFIX=PREFIX,
        SEALINK_MQTT__CLIENT_ID=f"bench-hub-{uuid.uuid4().hex[:6]}",
        SEALINK_STORE__URL=url,
        SEALINK_API__PORT=str(free_port()),
        SEALINK_LOG_LEVEL="WARNING",
    )
    hub = subprocess.Popen(
        [sys.executable, "-m", "bench.ingest_hub"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert hub.stdout is not None
    assert hub.stdout.readline().strip() == "ready"
    cpu0 = cpu_seconds(hub.pid)
    t0 = time.perf_counter()
    flood(broker, vessel_ids, files)
    stored = 0
    while stored < total and time.perf_counter() - t0 < 300:
        time.sleep(0.05)
        stored = asyncio.run(_count(url))
    t1 = time.perf_counter()
    cpu1 = cpu_seconds(hub.pid)
    steady = steady_latency_load(broker, vessel_ids, args.latency_rate, args.latency_seconds)
    time.sleep(1.0)
    rss = peak_rss_mb(hub.pid)
    hub.terminate()
    out, _ = hub.communicate(timeout=60)
    probe = json.loads(out.strip().splitlines()[-1])
    lat = [x * 1000 for x in probe["latencies"]]
    rate = stored / (t1 - t0)
    return {
        "positions": total,
        "stored": stored,
        "bare_rate": ref["rate"],
        "bare_cpu_us": ref["cpu_us_per_msg"],
        "stored_rate": rate,
        "ratio": rate / ref["rate"],
        "hub_cpu_us": (cpu1 - cpu0) / max(1, stored) * 1e6,
        "hub_cpu_pct": (cpu1 - cpu0) / (t1 - t0) * 100,
        "peak_rss_mb": rss,
        "steady_rate": args.latency_rate,
        "steady_sent": steady,
        "p50_ms": percentile(lat, 50),
        "p99_ms": percentile(lat, 99),
    }


def pg_url() -> str:
    import asyncpg

    name = f"sealink_bench_{uuid.uuid4().hex[:6]}"

    async def create() -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    asyncio.run(create())
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"


def drop_pg(url: str) -> None:
    """Drop a database made by `pg_url` (benchmarks leave nothing behind on the server)."""
    import asyncpg

    name = url.rsplit("/", 1)[1]

    async def drop() -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    asyncio.run(drop())


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--vessels", type=int, default=200)
    p.add_argument("--per-vessel", type=int, default=500)
    p.add_argument("--latency-rate", type=int, default=2000, help="steady positions/s for latency")
    p.add_argument("--latency-seconds", type=float, default=5.0)
    args = p.parse_args()
    print(f"machine: {machine()}")
    print(
        f"load: {args.vessels} vessels x {args.per_vessel} positions, QoS 1, via mosquitto_pub -l"
    )
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for kind in kinds:
        work = Path(tempfile.mkdtemp(prefix="sealink-bench-broker-"))
        broker = Mosquitto(work)
        broker.start()
        url = f"sqlite+aiosqlite:///{work}/bench.db" if kind == "sqlite" else pg_url()
        try:
            r = run_hub(broker, url, args)
        finally:
            broker.stop()
            if kind == "postgres":
                drop_pg(url)
            shutil.rmtree(work, ignore_errors=True)  # broker files and the SQLite store
        print(
            f"\n[{kind}] stored {r['stored']}/{r['positions']} positions\n"
            f"  bare paho subscriber : {r['bare_rate']:>9,.0f} msg/s ({r['bare_cpu_us']:.0f} us CPU/msg)\n"
            f"  hub stored           : {r['stored_rate']:>9,.0f} positions/s = {r['ratio']:.2f} x bare\n"
            f"  hub CPU              : {r['hub_cpu_us']:.0f} us/position ({r['hub_cpu_pct']:.0f}% of a core while flooded)\n"
            f"  hub peak RSS         : {r['peak_rss_mb']:.0f} MB\n"
            f"  publish->commit at {r['steady_rate']}/s: p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms"
            f" ({r['steady_sent']} sent)"
        )


if __name__ == "__main__":
    main()
