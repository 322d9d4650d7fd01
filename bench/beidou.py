"""How long a typhoon warning takes to reach a fleet that only Beidou reaches.

    .venv/bin/python -m bench.beidou [--boats 30] [--cards 3] [--interval 60] [--level 2]

The whole chain runs in this process, as in the tests: a private Mosquitto, a hub on a fresh
SQLite store with a generated fleet (every boat with a Beidou card and never heard on MQTT), K
shore gateways each on its own pty driving a shore terminal simulator (its card's interval and
length enforced), and one simulated Beidou terminal per boat. Time is simulated (the shore
terminals, gateways and hub run on fake clocks moved one second at a time), so a run of minutes
of Beidou service takes seconds; both are printed. Each scenario is run without and with group
broadcast (all boats in one group of the shore command cards, `messaging.beidou_groups`).

What it shows: with one message per boat, K cards at interval s serve ceil(N / K) rounds of s
seconds; with group broadcast the whole fleet is one send (per group), whatever N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import update

from bench._common import machine
from gateway.app import GatewayConfig, GatewayProcess
from gateway.clock import ManualClock
from seaLink.clock import FakeClock
from seaLink.domain.fleetgen import generate_fleet
from seaLink.domain.ports import load_zones_document, ports_from_geojson
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.tables import Vessel
from seaLink.testing.mosquitto import Mosquitto, free_port
from seaLink.wire.gateway import GatewayKind
from simulators.beidou_pty import ShoreTerminalPty
from simulators.beidou_terminal import BeidouNetwork, BoatTerminal, Position, SimulatedBoat

GROUP_ADDRESS = "4209999"
ADMIN_PASSWORD = "bench-admin-pass"


async def run_once(
    work: Path, broker: Mosquitto, boats: int, cards: int, interval: float, level: int, group: bool
) -> tuple[float, float, int]:
    """(simulated seconds until every boat has the warning, real seconds, sends made)."""
    fleet = generate_fleet(boats, ports_from_geojson(load_zones_document()), seed=3)
    url = f"sqlite+aiosqlite:///{work}/hub-{'g' if group else 'n'}.db"
    # every boat of the run has a card (the generator gives one to most)
    card_of = {v.id: str(v.beidou_card or 1_000_000 + i) for i, v in enumerate(fleet.vessels)}
    db = Database(url)
    await db.create_all()
    await import_fleet(db, fleet)
    async with db.engine.begin() as conn:
        for vid, card in card_of.items():
            await conn.execute(update(Vessel).where(Vessel.id == vid).values(beidou_card=card))  # type: ignore[arg-type]
    await db.dispose()
    settings = Settings(
        mqtt={"url": broker.url, "client_id": f"hub-bench-{int(group)}", "prefix": f"b{int(group)}/v1"},
        store={"url": url},
        api={"port": free_port()},
        contact={"startup_grace_s": 0},
        admin_password=ADMIN_PASSWORD,
        messaging={"beidou_groups": {GROUP_ADDRESS: list(card_of.values())} if group else {}},
    )  # type: ignore[arg-type]  # fmt: skip
    start = datetime.now(UTC).replace(microsecond=0)
    hub = Hub(settings, clock=FakeClock(start))
    gclock = ManualClock(start)
    network = BeidouNetwork()
    if group:
        network.groups[GROUP_ADDRESS] = list(card_of.values())
    shore_cards = [f"42077{i:02d}" for i in range(cards)]
    sims = {vid: SimulatedBoat(BoatTerminal(card, network, gclock, interval_s=interval, max_bytes=250),
                               shore_cards[0], gclock, Position(23.3, 117.2))
            for vid, card in card_of.items()}  # fmt: skip
    shores = [ShoreTerminalPty("4.0", c, network, gclock, interval_s=interval, level=level)
              for c in shore_cards]  # fmt: skip
    processes = [
        GatewayProcess(GatewayConfig(GatewayKind.BEIDOU, f"bd-{i}", broker.url, settings.mqtt.prefix,
                                     port=s.path, family="4.0", status_interval_s=5.0), clock=gclock)
        for i, s in enumerate(shores)
    ]  # fmt: skip
    tasks: list[asyncio.Task[Any]] = []
    try:
        async with hub.running():
            tasks += [asyncio.create_task(s.run()) for s in shores]
            tasks += [asyncio.create_task(p.run()) for p in processes]
            tasks += [asyncio.create_task(b.terminal.run()) for b in sims.values()]
            await _until(gclock, lambda: hub.outbox.beidou is not None
                         and len(hub.outbox.beidou.members(hub.clock.now())) == cards)  # fmt: skip
            base = f"http://127.0.0.1:{settings.api.port}"
            async with aiohttp.ClientSession() as http:
                r = await http.post(f"{base}/api/v1/auth/login",
                                 json={"username": "admin", "password": ADMIN_PASSWORD})  # fmt: skip
                headers = {"Authorization": f"Bearer {(await r.json())['token']}"}
                body = {"kind": "warning", "title": "台风“海葵”撤离令", "signal": "orange",
                        "body": "所有渔船于今日17时前回港避风，船员全部上岸。", "reply": "confirm",
                        "recall": {"deadline": (start + timedelta(hours=6)).isoformat()},
                        "target": {"vessels": list(card_of)}}  # fmt: skip
                r = await http.post(f"{base}/api/v1/broadcasts", json=body, headers=headers)
                assert r.status == 201, await r.text()
            real0, sim0 = time.monotonic(), gclock.monotonic()
            await _until(gclock, lambda: all(b.received for b in sims.values()), max_s=4 * 3600)
            simulated, real = gclock.monotonic() - sim0, time.monotonic() - real0
            for _ in range(15):  # the terminals' feedback, then count the sends
                gclock.advance(1.0)
                await asyncio.sleep(0.01)
            sends = sum(p.counters["beidou_tx_sent"] for p in processes)
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        for shore in shores:
            shore.close()
    return simulated, real, sends


async def _until(clock: ManualClock, check: Any, step_s: float = 1.0, max_s: float = 600) -> None:
    moved = 0.0
    while not check():
        if moved > max_s:
            raise RuntimeError("the condition never held")
        for _ in range(3):
            await asyncio.sleep(0.002)
        clock.advance(step_s)
        moved += step_s


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boats", type=int, default=30)
    ap.add_argument("--cards", type=int, default=3)
    ap.add_argument("--interval", type=float, default=60.0)
    ap.add_argument("--level", type=int, default=2, help="shore card level (4.0: 2 = 2000 bits)")
    args = ap.parse_args()
    print(machine())
    print(f"{args.boats} Beidou-only boats, {args.cards} shore cards at {args.interval:g} s")
    print(f"{'group broadcast':<16} {'sends':>6} {'simulated':>10} {'real':>8}")
    with tempfile.TemporaryDirectory(prefix="sealink-bench-beidou-") as tmp:
        broker = Mosquitto(Path(tmp) / "broker")
        broker.start()
        try:
            for group in (False, True):
                simulated, real, sends = await run_once(
                    Path(tmp), broker, args.boats, args.cards, args.interval, args.level, group
                )
                label = "yes" if group else "no"
                print(f"{label:<16} {sends:>6} {simulated:>9.0f}s {real:>7.1f}s")
        finally:
            broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
