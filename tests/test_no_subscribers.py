"""A PUBACK "no matching subscribers" (0x10, MQTT 5) means the broker dropped the uplink: no hub
was subscribed, as after a Mosquitto 2.0 restart until the hubs subscribe again. Terminals keep
such an uplink and send it again (docs/protocol.md §4), so it arrives once a subscriber is there,
and exactly once. Real Mosquitto on a free port, with nobody else on it."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaLink.wire import UplinkKind, decode_uplink
from simulators.fleet import FleetSim, SimConfig
from simulators.fleet_csv import synthetic_fleet
from simulators.scenario import parse_scenario
from tests.brokers import Mosquitto
from tests.sim.watcher import Watcher, wait_until
from tests.terminal_fleet import TerminalFleet

FULL_COVERAGE = "[coverage]\nradius_nm = 10000\n"  # no link drops: no backfill, one connect


@pytest.fixture(scope="module")
def quiet_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    """A broker of our own: a wildcard subscriber left by another test would match."""
    b = Mosquitto(tmp_path_factory.mktemp("quiet-mosquitto"))
    b.start()
    yield b
    b.stop()


async def test_a_simulated_vessel_sends_again_what_nobody_was_subscribed_to(
    quiet_broker: Mosquitto, tmp_path: Path
) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}/v1"
    [vessel] = synthetic_fleet(1, seed=3, id_prefix=f"S{uuid.uuid4().hex[:6]}")
    sim = FleetSim(
        [vessel],
        parse_scenario(FULL_COVERAGE),
        SimConfig(broker_url=quiet_broker.url, prefix=prefix, seed=3, speed=60.0, interval_s=60.0),
        progress=None,
    )  # a fix every real second
    stop = asyncio.Event()
    task = asyncio.create_task(sim.run(stop))
    watcher: Watcher | None = None
    try:
        # Nobody subscribed: the hello and the first fixes are answered 0x10.
        await wait_until(
            lambda: task.done() or sim.counters.resent_no_subscribers >= 3, 30, "0x10 answers"
        )
        assert not task.done()
        watcher = Watcher(quiet_broker.url, prefix)  # now a subscriber appears

        def arrived() -> bool:
            return (
                bool(watcher.of(vessel.id, UplinkKind.HELLO))
                and len(watcher.of(vessel.id, UplinkKind.POSITION))
                > sim.counters.resent_no_subscribers
            )

        await wait_until(arrived, 60, "the hello and the fixes sent again, then new ones")
        terminal = sim.terminal(vessel.id)
        await wait_until(lambda: terminal.unsettled == 0, 60, "every uplink acknowledged")
        stop.set()
        await asyncio.wait_for(task, 30)
        statuses = lambda: [s.payload for s in watcher.of(vessel.id, UplinkKind.STATUS)]  # noqa: E731
        await wait_until(lambda: b"offline" in statuses(), 30, "the clean stop's offline")
        hellos = watcher.of(vessel.id, UplinkKind.HELLO)
        positions = watcher.of(vessel.id, UplinkKind.POSITION)
    finally:
        stop.set()
        if watcher is not None:
            watcher.close()
        await asyncio.gather(task, return_exceptions=True)
    assert len(hellos) == 1  # sent again until someone was there, then never again
    fixes = []
    for s in positions:
        decoded = decode_uplink(UplinkKind.POSITION, s.payload, max_bytes=65536, max_fixes=2000)
        assert isinstance(decoded, list)
        fixes.extend(f.ts for f in decoded)
    # Every fix the vessel made arrived, each once (those dropped with 0x10 included).
    assert len(positions) == sim.counters.positions
    assert len(set(fixes)) == len(fixes) == sim.counters.positions
    assert sim.counters.resent_no_subscribers >= 3


async def test_a_test_terminal_sends_its_uplinks_again_after_no_matching_subscribers(
    quiet_broker: Mosquitto,
) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}/v1"
    vid = f"T{uuid.uuid4().hex[:6]}"
    fleet = TerminalFleet(quiet_broker.url, prefix, [vid])
    watcher: Watcher | None = None
    try:
        await fleet.connect([vid])
        t = fleet.terminals[vid]
        fleet.ack(vid, "m-1", "delivered")
        # hello and ack: both answered 0x10, and kept.
        await wait_until(lambda: t.resent >= 2, 30, "0x10 answers")
        watcher = Watcher(quiet_broker.url, prefix)

        def both_arrived() -> bool:
            return (
                bool(watcher.of(vid, UplinkKind.HELLO) and watcher.of(vid, UplinkKind.ACK))
                and not t.unacked
            )

        await wait_until(both_arrived, 60, "hello and ack after the subscriber appeared")
        fleet.ack(vid, "m-1", "read")  # comes after every earlier copy, on the same link
        await wait_until(lambda: len(watcher.of(vid, UplinkKind.ACK)) >= 2, 30, "the read ack")
        hellos = watcher.of(vid, UplinkKind.HELLO)
        acks = [json.loads(s.payload)["state"] for s in watcher.of(vid, UplinkKind.ACK)]
    finally:
        if watcher is not None:
            watcher.close()
        await fleet.close()
    assert len(hellos) == 1
    assert acks == ["delivered", "read"]
