"""Contact-watch cost with 100,000 registered vessels, and the hub's memory with them.

    python -m bench.contact_watch [--vessels 100000] [--idle-seconds 20]

1. The pure deadline book: time to register N vessels, to hear all of them once, and to judge a
   burst of N deadlines coming due together.
2. A real `sealink hub` process on SQLite and a private Mosquitto, with N registered vessels all
   heard recently (so every one has a deadline booked): its CPU per second of wall time while the
   fleet is quiet, and its resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from bench._common import cpu_seconds, machine, peak_rss_mb
from seaLink.domain.contact import ContactRules
from seaLink.domain.contact_book import ContactBook, VesselContact
from seaLink.domain.fleetgen import Fleet, GridSpec
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.tables import VesselState
from seaLink.testing.mosquitto import Mosquitto, free_port
from seaLink.wire.fleet_csv import VesselSpec


def pure_book(n: int) -> None:
    t0 = datetime(2026, 8, 1, tzinfo=UTC)
    book = ContactBook(ContactRules())
    s = time.perf_counter()
    for i in range(n):
        book.register(VesselContact(f"B{i:06d}", f"G{i // 18:05d}", None))
    reg = time.perf_counter() - s
    s = time.perf_counter()
    for i in range(n):
        book.heard(f"B{i:06d}", t0, "mqtt", False, t0)
    heard = time.perf_counter() - s
    s = time.perf_counter()
    again = t0 + timedelta(minutes=5)
    for i in range(n):
        book.heard(f"B{i:06d}", again, "mqtt", False, again)
    heard_again = time.perf_counter() - s
    s = time.perf_counter()
    changes = book.due(t0 + timedelta(minutes=30))
    burst = time.perf_counter() - s
    print(f"\n[pure book, {n:,} vessels]")
    print(f"  register          : {reg * 1e6 / n:.2f} us/vessel")
    print(f"  first report      : {heard * 1e6 / n:.2f} us/vessel (books a deadline)")
    print(f"  later report      : {heard_again * 1e6 / n:.2f} us/vessel (no heap work)")
    print(f"  deadline burst    : {len(changes):,} vessels judged overdue in {burst * 1000:.0f} ms")


async def _prepare(url: str, n: int) -> None:
    fleet = Fleet(
        grids=[GridSpec(f"G{g:05d}", f"网格{g}", "") for g in range((n + 17) // 18)],
        vessels=[
            VesselSpec(
                f"B{i:06d}",
                f"粤南澳渔{i:06d}",
                None,
                None,
                f"G{i // 18:05d}",
                "",
                "",
                "trawl",
                5,
                ("mqtt",),
            )
            for i in range(n)
        ],
    )
    db = Database(url)
    try:
        await db.create_all()
        await import_fleet(db, fleet)
        vs = VesselState.__table__  # type: ignore[attr-defined]
        async with db.engine.begin() as conn:
            await conn.execute(
                update(vs).values(
                    last_heard=datetime.now(UTC),
                    last_link="mqtt",
                    contact_state="ok",
                    lat=22.9,
                    lon=117.5,
                    fix_ts=datetime.now(UTC),
                )
            )
    finally:
        await db.dispose()


def hub_process(n: int, idle_seconds: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="sealink-bench-watch-"))
    url = f"sqlite+aiosqlite:///{work}/watch.db"
    asyncio.run(_prepare(url, n))
    broker = Mosquitto(work / "broker")
    broker.start()
    port = free_port()
    env = dict(
        os.environ,
        SEALINK_MQTT__URL=broker.url,
        SEALINK_STORE__URL=url,
        SEALINK_MQTT__CLIENT_ID=f"bench-{uuid.uuid4().hex[:6]}",
        SEALINK_API__PORT=str(port),
        SEALINK_CONTACT__STARTUP_GRACE_S="0",
        SEALINK_LOG_LEVEL="WARNING",
    )
    proc = subprocess.Popen([sys.executable, "-m", "seaLink.cli", "hub"], env=env)
    try:
        import urllib.request

        started = time.perf_counter()
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                if time.perf_counter() - started > 120:
                    raise
                time.sleep(0.2)
        load_s = time.perf_counter() - started
        time.sleep(3)  # let start-up work (the first judgement of every vessel) finish
        c0, t0 = cpu_seconds(proc.pid), time.perf_counter()
        time.sleep(idle_seconds)
        c1, t1 = cpu_seconds(proc.pid), time.perf_counter()
        rss = int(Path(f"/proc/{proc.pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
        print(f"\n[sealink hub process, {n:,} registered vessels, SQLite]")
        print(f"  start to healthy  : {load_s:.1f} s")
        print(
            f"  quiet-fleet CPU   : {(c1 - c0) / (t1 - t0) * 1000:.2f} ms per second (whole hub, over {t1 - t0:.0f} s)"
        )
        print(f"  RSS               : {rss:.0f} MB now, {peak_rss_mb(proc.pid):.0f} MB peak")
    finally:
        proc.terminate()
        proc.wait(30)
        broker.stop()


def event_loop_share(n: int, idle_seconds: float) -> None:
    """The same hub in this process: CPU of the event-loop thread alone (where the watch runs),
    without the database driver's worker threads."""
    from seaLink.runtime import Hub
    from seaLink.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="sealink-bench-watch-"))
    url = f"sqlite+aiosqlite:///{work}/watch.db"
    asyncio.run(_prepare(url, n))
    broker = Mosquitto(work / "broker")
    broker.start()
    settings = Settings.model_validate(
        {
            "mqtt": {"url": broker.url, "client_id": f"bench-{uuid.uuid4().hex[:6]}"},
            "store": {"url": url},
            "contact": {"startup_grace_s": 0},
        }
    )

    async def run() -> tuple[float, float, float, int]:
        hub = Hub(settings, with_api=False)
        async with hub.running():
            await hub.watch.settle()
            await asyncio.sleep(2)
            c0, t0 = time.thread_time(), time.perf_counter()
            w0, wk0 = hub.watch.cpu_seconds, hub.watch.wakeups
            await asyncio.sleep(idle_seconds)
            wall = time.perf_counter() - t0
            return (
                time.thread_time() - c0,
                wall,
                hub.watch.cpu_seconds - w0,
                hub.watch.wakeups - wk0,
            )

    try:
        loop_cpu, wall, watch_cpu, wakeups = asyncio.run(run())
    finally:
        broker.stop()
    print(f"\n[a hub with {n:,} quiet vessels, in process, over {wall:.0f} s]")
    print(
        f"  contact watch     : {watch_cpu / wall * 1000:.3f} ms CPU per second ({wakeups} wake-ups)"
    )
    print(
        f"  event-loop thread : {loop_cpu / wall * 1000:.3f} ms CPU per second (watch, MQTT keepalive, idle loop)"
    )


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--vessels", type=int, default=100_000)
    p.add_argument("--idle-seconds", type=float, default=20.0)
    args = p.parse_args()
    print(f"machine: {machine()}")
    pure_book(args.vessels)
    event_loop_share(args.vessels, args.idle_seconds)
    hub_process(args.vessels, args.idle_seconds)


if __name__ == "__main__":
    main()
