"""`sealink demo`: everything on one machine, no set-up.

An embedded MQTT broker (amqtt, MQTT 3.1.1) unless a broker URL is configured, SQLite under
./var/, a generated Nan'ao fleet driven by the simulator in a child process, the hub and its API.
Simulated time runs `time_scale` times faster than real time, and the contact rules are scaled to
match, so that a coordinator sees boats go silent and come back within minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from seaLink.demo_console import logs_to_file, show_status
from seaLink.domain.fleetgen import Fleet, generate_fleet
from seaLink.domain.ports import load_zones_document, ports_from_geojson
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet, write_fleet_csv
from seaLink.terminal.server import TerminalConfig, terminal_server

log = logging.getLogger(__name__)

TIME_SCALE = 30.0  # simulated seconds per real second
DEMO_ADMIN_PASSWORD = "sealink-demo"  # only when none is configured; printed at start
LOG_PATH = Path("var/demo.log")


class _SnapshotKeys(dict[Any, Any]):
    def __iter__(self) -> Iterator[Any]:
        return iter(list(self.keys()))


@contextlib.asynccontextmanager
async def embedded_broker(port: int, ws_port: int = 0) -> AsyncIterator[str]:
    from amqtt.broker import Broker

    listeners: dict[str, Any] = {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}}
    if ws_port:  # MQTT over WebSocket, for the reference terminal in a browser
        listeners["ws"] = {"type": "ws", "bind": f"127.0.0.1:{ws_port}"}
    config: dict[str, Any] = {
        "listeners": listeners,
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }
    broker = Broker(config)
    # amqtt 0.12 walks its subscription table across awaits when a client connects, so another
    # client subscribing meanwhile ends the first one's session ("dictionary changed size during
    # iteration"). Iterating a snapshot of the keys avoids that.
    broker._subscriptions = _SnapshotKeys(broker._subscriptions)
    await broker.start()
    try:
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        await broker.shutdown()


def _terminal_config(
    settings: Settings, vessel_id: str, ws_url: str, persons: int | None = None
) -> TerminalConfig:
    # Entered by hand at sea east of the Nanpeng reserve (WGS-84), and shown as such, until the
    # browser's own geolocation answers; persons aboard as the demo fleet registers them.
    return TerminalConfig(
        vessel_id=vessel_id,
        persons=persons,
        broker_ws=ws_url,
        prefix=settings.mqtt.prefix,
        protocol=settings.mqtt.protocol,
        lat=23.30,
        lon=117.60,
    )


def demo_settings(settings: Settings, broker_url: str, embedded: bool) -> Settings:
    """The demo's own store and scaled contact rules; the configured API address is kept."""
    c = settings.contact
    scaled = c.model_copy(
        update={
            "interval_at_sea_s": max(1, round(c.interval_at_sea_s / TIME_SCALE)),
            "alert_after_s": max(1, round(c.alert_after_s / TIME_SCALE)),
            "distress_after_s": max(1, round(c.distress_after_s / TIME_SCALE)),
            "in_port_maintenance_after_s": max(
                1, round(c.in_port_maintenance_after_s / TIME_SCALE)
            ),
            "startup_grace_s": 10,
        }
    )
    mqtt = settings.mqtt.model_copy(
        update={"url": broker_url, "protocol": "3.1.1" if embedded else settings.mqtt.protocol}
    )
    store = settings.store
    if "url" not in store.model_fields_set:
        store = store.model_copy(update={"url": "sqlite+aiosqlite:///var/demo.db"})
    admin_password = settings.admin_password or DEMO_ADMIN_PASSWORD
    return settings.model_copy(
        update={"contact": scaled, "mqtt": mqtt, "store": store, "admin_password": admin_password}
    )


async def _prepare_fleet(
    settings: Settings, vessels: int, seed: int, folder: Path, spare_one: bool = False
) -> tuple[str, int] | None:
    """Register the fleet; with `spare_one`, its last boat is left out of the simulator's CSV
    (a vessel id is an MQTT client id: the tablet terminal, not the simulator, is that boat):
    then its id and persons aboard."""
    fleet = generate_fleet(vessels, ports_from_geojson(load_zones_document()), seed=seed)
    last = fleet.vessels[-1] if spare_one and fleet.vessels else None
    spare = (last.id, int(last.persons)) if last is not None else None
    simulated = [v for v in fleet.vessels if last is None or v.id != last.id]
    write_fleet_csv(Fleet(fleet.grids, fleet.coordinators, simulated), folder)
    db = Database(settings.store.url)
    try:
        # The demo's own database follows the code: an older one is upgraded in place.
        await db.upgrade(report=lambda said: log.info("demo store: %s", said))
        await import_fleet(db, fleet)
    finally:
        await db.dispose()
    return spare


async def _simulator(
    settings: Settings, vessels: int, seed: int, folder: Path, log_path: Path
) -> None:
    interval = settings.demo.report_interval_s * TIME_SCALE
    cmd = [
        sys.executable, "-m", "seaLink.cli", "sim", "fleet",
        "--fleet", str(folder), "--vessels", str(vessels), "--seed", str(seed),
        "--interval", str(interval), "--speed", str(TIME_SCALE),
        "--scenario", "demo", "--broker", settings.mqtt.url,
        "--protocol", settings.mqtt.protocol,
        # amqtt mishandles a burst of simultaneous connects: switch terminals on gently.
        "--connect-rate", "20",
    ]  # fmt: skip
    env = dict(os.environ, SEALINK_MQTT__PREFIX=settings.mqtt.prefix)
    # Its logs beside the hub's, not over the summary.
    log_file = await asyncio.to_thread(open, log_path, "a", encoding="utf-8")
    try:
        proc = await asyncio.create_subprocess_exec(*cmd, env=env, stdout=log_file, stderr=log_file)
    finally:
        log_file.close()  # the child has its own copy
    try:
        await proc.wait()
        log.warning("demo: the simulator exited with %s", proc.returncode)
    finally:
        if proc.returncode is None:
            proc.terminate()
            with contextlib.suppress(ProcessLookupError):
                await asyncio.wait_for(proc.wait(), 10)


async def _gateways(settings: Settings, folder: Path) -> None:
    """An AIS receiver and a Beidou command terminal, simulated on ptys, each read by its gateway
    as on a real installation. Boats with a Beidou card get a simulated Beidou terminal, so a
    message for a boat out of 4G coverage reaches it by Beidou."""
    import csv
    import io

    from gateway.app import GatewayConfig, GatewayProcess
    from gateway.clock import SystemClock as GatewayClock
    from seaLink.wire.gateway import GatewayKind
    from simulators.ais_pty import AisPtySimulator, Faults, nanao_targets
    from simulators.beidou_pty import ShoreTerminalPty
    from simulators.beidou_terminal import BeidouNetwork, BoatTerminal, Position, SimulatedBoat

    clock = GatewayClock()
    ais = AisPtySimulator(nanao_targets(15), Faults(corrupt=0.01, truncate=0.01, tag_blocks=True))
    network = BeidouNetwork()
    interval = max(2.0, 60.0 / TIME_SCALE)
    shore = ShoreTerminalPty("4.0", "4207733", network, clock, interval_s=interval, level=3)
    boats = []
    text = await asyncio.to_thread((folder / "vessels.csv").read_text, encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        if row["beidou_card"]:
            terminal = BoatTerminal(
                row["beidou_card"], network, clock, interval_s=interval, max_bytes=500
            )
            boats.append(SimulatedBoat(terminal, "4207733", clock, Position(23.3, 117.2)))
    url, prefix = settings.mqtt.url, settings.mqtt.prefix
    ais_gw = GatewayProcess(GatewayConfig(GatewayKind.AIS, "demo-ais", url, prefix, port=ais.path,
                                          status_interval_s=10.0))  # fmt: skip
    bd_gw = GatewayProcess(GatewayConfig(GatewayKind.BEIDOU, "demo-beidou", url, prefix, port=shore.path,
                                         family="4.0", status_interval_s=10.0))  # fmt: skip
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(ais.run(rate=50.0), name="demo-ais-pty")
            tg.create_task(shore.run(), name="demo-beidou-pty")
            for b in boats:
                tg.create_task(b.terminal.run(), name=f"demo-beidou-boat-{b.terminal.card}")
            tg.create_task(ais_gw.run(), name="demo-ais-gateway")
            tg.create_task(bd_gw.run(), name="demo-beidou-gateway")
    finally:
        shore.close()
        ais.close()


async def run_demo(settings: Settings, vessels: int | None = None) -> None:
    for noisy in ("amqtt", "transitions", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log_path = LOG_PATH
    logs_to_file(log_path)  # the screen keeps the summary, the status line and errors
    n = vessels or settings.demo.vessels
    folder = Path("var/demo-fleet")
    embedded = "url" not in settings.mqtt.model_fields_set
    d = settings.demo
    ws_url = f"ws://127.0.0.1:{d.embedded_broker_ws_port}" if embedded else d.terminal_broker_ws
    with_terminal = bool(d.terminal_port and ws_url)
    async with contextlib.AsyncExitStack() as stack:
        if embedded:
            url = await stack.enter_async_context(
                embedded_broker(d.embedded_broker_port, d.embedded_broker_ws_port)
            )
        else:
            url = settings.mqtt.url
        s = demo_settings(settings, url, embedded)
        tablet = await _prepare_fleet(s, n, d.seed, folder, spare_one=with_terminal)
        hub = await stack.enter_async_context(Hub(s).running())
        api = f"http://{s.api.host}:{s.api.port}"
        terminal = "  terminal   off (demo.terminal_port, demo.terminal_broker_ws)"
        if tablet is not None:
            config = _terminal_config(s, tablet[0], ws_url, persons=tablet[1])
            term_url = await stack.enter_async_context(
                terminal_server(config, port=d.terminal_port)
            )
            terminal = f"  terminal   {term_url}  (vessel {tablet[0]}: the tablet page, MQTT over WebSocket {ws_url})"
        why_one_less: list[str] = []
        if tablet is not None:
            why_one_less.append(
                f"             the last one, {tablet[0]}, is the tablet terminal's boat: a vessel id"
                " is an MQTT client id, so the simulator leaves it to the terminal"
            )
        print(
            "\n".join(
                [
                    "",
                    "SeaLink demo is running (Ctrl-C stops it)",
                    f"  broker     {url}{'  (embedded amqtt)' if embedded else ''}",
                    f"  store      {s.store.url}",
                    f"  fleet      {n - (tablet is not None)} simulated boats, CSV in {folder}/ ({len(hub.registry)} registered)",
                    *why_one_less,
                    f"  time       simulated time runs {TIME_SCALE:g}x faster; contact rules scaled",
                    f"  console    {api}/",
                    f"  API        {api}/api/v1/vessels  {api}/api/v1/alerts  {api}/healthz  {api}/readyz  {api}/metrics",
                    f"  log in     admin / {s.admin_password if s.admin_password == DEMO_ADMIN_PASSWORD else '(configured password)'}",
                    "  gateways   AIS receiver and Beidou terminal simulated on ptys, read by their gateways",
                    terminal,
                    f"  logs       {log_path} (errors are shown here too)",
                    "",
                ]
            ),
            flush=True,
        )
        async with asyncio.TaskGroup() as tg:
            tg.create_task(_gateways(s, folder), name="demo-gateways")
            tg.create_task(
                _simulator(s, n, settings.demo.seed, folder, log_path), name="demo-simulator"
            )
            tg.create_task(show_status(hub, log_path), name="demo-status")
