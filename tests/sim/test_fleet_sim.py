"""The simulated fleet against a real Mosquitto, observed by the test's own subscriber.

Every test uses its own topic prefix and vessel ids, and a high --speed so that simulated
minutes pass in fractions of a second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from seaLink.wire import (
    AckPayload,
    DistressPayload,
    DownMessage,
    Fix,
    HelloPayload,
    PortReportPayload,
    Rejection,
    RejectReason,
    Topics,
    UplinkKind,
    decode_uplink,
)
from simulators.cli import run_sim
from simulators.fleet import FleetSim, SimConfig
from simulators.fleet_csv import SimVessel, synthetic_fleet
from simulators.scenario import Scenario, parse_scenario
from tests.brokers import Mosquitto
from tests.sim.watcher import Seen, Watcher, wait_until

MAX_BYTES = 64 * 1024
MAX_FIXES = 2000
NORMAL = parse_scenario("events = []", "normal")
# Coverage everywhere: for tests about something else than boats sailing out of range.
FULL_COVERAGE = "[coverage]\nradius_nm = 10000\n"


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}/v1"


@pytest.fixture
def watcher(broker: Mosquitto, prefix: str) -> Iterator[Watcher]:
    w = Watcher(broker.url, prefix)
    yield w
    w.close()


def fleet(n: int) -> list[SimVessel]:
    # Fresh ids per test: client ids (and so persistent sessions) never collide across tests.
    return synthetic_fleet(n, seed=3, id_prefix=f"S{uuid.uuid4().hex[:6]}")


@asynccontextmanager
async def running(
    vessels: list[SimVessel],
    scenario: Scenario,
    broker: Mosquitto,
    prefix: str,
    *,
    speed: float = 600.0,
    stats_path: Path | None = None,
) -> AsyncIterator[FleetSim]:
    sim = FleetSim(
        vessels,
        scenario,
        SimConfig(
            broker_url=broker.url,
            prefix=prefix,
            seed=3,
            speed=speed,
            interval_s=60.0,
            stats_path=stats_path,
        ),
        progress=None,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(sim.run(stop), name="test-fleet-sim")
    try:
        await wait_until(
            lambda: task.done() or sim.online_count() >= len(vessels) // 2, 10, "vessels online"
        )
        yield sim
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def decode(kind: UplinkKind, s: Seen) -> Any:
    return decode_uplink(kind, s.payload, max_bytes=MAX_BYTES, max_fixes=MAX_FIXES)


def statuses(w: Watcher, vid: str) -> list[tuple[int, bytes]]:
    return [(s.seq, s.payload) for s in w.of(vid, UplinkKind.STATUS)]


async def test_every_vessel_says_hello_is_retained_online_and_reports_valid_positions(
    broker: Mosquitto, prefix: str, watcher: Watcher
) -> None:
    vessels = fleet(20)
    topics = Topics(prefix)
    async with running(vessels, parse_scenario(FULL_COVERAGE), broker, prefix) as sim:
        await wait_until(lambda: sim.online_count() == 20, 10, "all 20 online")
        await wait_until(
            lambda: all(len(watcher.of(v.id, UplinkKind.POSITION)) >= 3 for v in vessels),
            15,
            "3 position messages from every vessel",
        )
        late = Watcher(broker.url, prefix, ("vessels/+/status",))
        try:
            await wait_until(lambda: len(late.seen()) >= 20, 5, "retained statuses")
            retained = {s.topic: s.payload for s in late.seen() if s.retain}
        finally:
            late.close()
    assert retained == {topics.status(v.id): b"online" for v in vessels}

    for v in vessels:
        hellos = [decode(UplinkKind.HELLO, s) for s in watcher.of(v.id, UplinkKind.HELLO)]
        assert hellos and all(isinstance(h, HelloPayload) for h in hellos)
        assert hellos[0].terminal.startswith("SeaLinkSim/")
        for s in watcher.of(v.id, UplinkKind.POSITION):
            fixes = decode(UplinkKind.POSITION, s)
            assert not isinstance(fixes, Rejection), (s.payload, fixes)
            for fix in fixes:
                assert isinstance(fix, Fix) and fix.state is not None
                if not fix.backfill:  # live fixes carry the time they were sent
                    assert abs(fix.ts.timestamp() - s.at) < 5
        # A clean stop says goodbye with a retained `offline`.
        assert statuses(watcher, v.id)[-1][1] == b"offline"


async def test_terminals_report_leaving_and_entering_port_at_the_fix_that_shows_it(
    broker: Mosquitto, prefix: str, watcher: Watcher
) -> None:
    """Every change between in port and at sea in a boat's own fixes comes with its 进出港报告
    (the report first, then the fix), and no report without one; persons are the boat's crew."""
    vessels = fleet(12)

    def reported() -> int:
        return sum(len(watcher.of(v.id, UplinkKind.PORT)) for v in vessels)

    async with running(vessels, parse_scenario(FULL_COVERAGE), broker, prefix, speed=3000.0):
        await wait_until(lambda: reported() >= 6, 30, "six port reports")
    for v in vessels:
        expected, was = [], None
        for s in watcher.of(v.id, UplinkKind.POSITION):
            for fix in decode(UplinkKind.POSITION, s):
                now = fix.state == "in_port"
                if was is not None and now != was:
                    expected.append(("in" if now else "out", fix.lat, fix.lon))
                was = now
        got = []
        for s in watcher.of(v.id, UplinkKind.PORT):
            r = decode(UplinkKind.PORT, s)
            assert isinstance(r, PortReportPayload), (s.payload, r)
            assert r.persons == v.persons and r.port
            got.append((r.kind.value, r.lat, r.lon))
        # The run may stop between a report and its fix: at most the last fix is missing.
        assert got[: len(expected)] == expected and len(got) - len(expected) in (0, 1), v.id


async def test_a_silenced_terminal_drops_its_socket_and_the_broker_publishes_its_will(
    broker: Mosquitto, prefix: str, watcher: Watcher
) -> None:
    vessels = fleet(10)
    quiet = vessels[4].id
    scenario = parse_scenario(
        FULL_COVERAGE
        + f'[[events]]\nat = "20m"\nvessel = "{quiet}"\naction = "silence"\nduration = "15m"\n'
    )
    held = f"held-{uuid.uuid4().hex[:6]}"
    async with running(vessels, scenario, broker, prefix) as sim:
        await wait_until(
            lambda: b"offline" in [p for _, p in statuses(watcher, quiet)], 10, "the will"
        )
        # Sent while the boat is away: its persistent session keeps the message for it.
        watcher.publish(
            Topics(prefix).down(quiet),
            down(held, "notice", expires_in=timedelta(hours=1), ack="read"),
        )
        await wait_until(
            lambda: [p for _, p in statuses(watcher, quiet)][-2:] == [b"offline", b"online"],
            10,
            "online again after the silence",
        )
        await wait_until(
            lambda: any(a.msg_id == held for a in acks_of(watcher, quiet)),
            5,
            "delivery of the message held by the broker",
        )
        positions_during_run = len(watcher.of(quiet, UplinkKind.POSITION))
        assert sim.counters.drops >= 1
        others_offline = [
            v.id
            for v in vessels
            if v.id != quiet and b"offline" in dict(statuses(watcher, v.id)).values()
        ]
    assert others_offline == []
    seq = statuses(watcher, quiet)
    offline_at = next(n for n, p in seq if p == b"offline")
    back_at = next(n for n, p in seq if p == b"online" and n > offline_at)
    silent = [s for s in watcher.of(quiet) if offline_at < s.seq < back_at]
    assert silent == []  # switched off: nothing at all, not even a status
    assert positions_during_run > 0


async def test_fixes_kept_in_a_coverage_hole_arrive_as_one_backfill_array_then_live_fixes(
    broker: Mosquitto, prefix: str, watcher: Watcher
) -> None:
    vessels = fleet(6)
    boat = vessels[2].id
    scenario = parse_scenario(
        FULL_COVERAGE
        + f'[[events]]\nat = "5m"\nvessel = "{boat}"\naction = "out_of_coverage"\nduration = "10m"\n'
    )
    async with running(vessels, scenario, broker, prefix):
        await wait_until(
            lambda: any(s.payload.startswith(b"[") for s in watcher.of(boat, UplinkKind.POSITION)),
            10,
            "a backfill array",
        )
        await asyncio.sleep(0.5)  # a few live fixes after it
    msgs = watcher.of(boat, UplinkKind.POSITION)
    decoded = [(s, decode(UplinkKind.POSITION, s)) for s in msgs]
    assert not any(isinstance(d, Rejection) for _, d in decoded)
    arrays = [(s, d) for s, d in decoded if s.payload.startswith(b"[")]
    assert len(arrays) == 1
    hole_msg, kept = arrays[0]
    assert len(kept) >= 7  # ~10 simulated minutes at one fix a minute
    assert all(f.backfill for f in kept)
    assert [f.ts for f in kept] == sorted(f.ts for f in kept)
    before = [d[0] for s, d in decoded if s.seq < hole_msg.seq]
    after = [d[0] for s, d in decoded if s.seq > hole_msg.seq]
    assert before and after
    assert before[-1].ts < kept[0].ts
    assert all(not f.backfill for f in after)
    assert after[0].ts > kept[-1].ts
    # The link went the way coverage goes: the broker published the will.
    will_seq = next(n for n, p in statuses(watcher, boat) if p == b"offline")
    assert before and will_seq < hole_msg.seq


async def test_patchy_offshore_coverage_drops_links_and_backfills_what_was_kept(
    broker: Mosquitto, prefix: str, watcher: Watcher
) -> None:
    vessels = fleet(20)
    scenario = parse_scenario(
        "[coverage]\nradius_nm = 0\ndrop_probability = 0.5\nregain_probability = 0.5\n"
    )
    async with running(vessels, scenario, broker, prefix) as sim:
        await wait_until(
            lambda: sim.counters.backfill_msgs >= 10 and sim.counters.drops >= 10,
            15,
            "backfill after coverage drops",
        )
    backfilled = set()
    for s in watcher.of(kind=UplinkKind.POSITION):
        fixes = decode(UplinkKind.POSITION, s)
        assert not isinstance(fixes, Rejection)
        if all(f.backfill for f in fixes):
            backfilled.add(s.topic)
    assert len(backfilled) >= 5
    wills = [s for s in watcher.of(kind=UplinkKind.STATUS) if s.payload == b"offline"]
    assert len(wills) >= 10


def down(msg_id: str, kind: str, *, expires_in: timedelta, ack: str, **extra: Any) -> bytes:
    now = datetime.now(UTC)
    return DownMessage(
        msg_id=msg_id,
        kind=kind,
        title="测试",
        body="请注意",
        issued=now - timedelta(seconds=1),
        expires=now + expires_in,
        ack=ack,
        **extra,
    ).to_json()


def acks_of(w: Watcher, vid: str) -> list[AckPayload]:
    out = []
    for s in w.of(vid, UplinkKind.ACK):
        ack = decode(UplinkKind.ACK, s)
        assert isinstance(ack, AckPayload), (s.payload, ack)
        out.append(ack)
    return out


async def test_down_messages_are_acted_on_once_and_expired_ones_never_acknowledged(
    broker: Mosquitto, prefix: str, watcher: Watcher, tmp_path: Path
) -> None:
    vessels = fleet(5)
    boat = vessels[1].id
    topics = Topics(prefix)
    tag = uuid.uuid4().hex[:6]
    notice, stale, task, ping = (f"{x}-{tag}" for x in ("notice", "stale", "task", "ping"))
    stats_path = tmp_path / "stats.json"

    def states(msg_id: str) -> list[str]:
        return [a.state.value for a in acks_of(watcher, boat) if a.msg_id == msg_id]

    full = parse_scenario(FULL_COVERAGE)
    async with running(vessels, full, broker, prefix, stats_path=stats_path) as sim:
        await wait_until(lambda: sim.terminal(boat).online, 10, "the boat online")
        confirm = down(notice, "warning", expires_in=timedelta(hours=1), ack="confirm")
        watcher.publish(topics.down(boat), confirm)
        watcher.publish(topics.down(boat), confirm)  # QoS 1 is at-least-once: a duplicate
        watcher.publish(
            topics.down(boat), down(stale, "notice", expires_in=-timedelta(hours=1), ack="confirm")
        )
        watcher.publish(
            topics.down(boat),
            down(
                task,
                "rescue_task",
                expires_in=timedelta(hours=1),
                ack="confirm",
                lat=23.3,
                lon=117.2,
            ),
        )
        watcher.publish(
            topics.down(boat), down(ping, "ping", expires_in=timedelta(hours=1), ack="none")
        )
        await wait_until(
            lambda: (
                "acknowledged" in states(notice)
                and any(s in states(task) for s in ("accepted", "declined"))
            ),
            15,
            "the crew to confirm the warning and answer the rescue task",
        )
        await asyncio.sleep(1.0)  # room for any (wrong) second round of acks

    assert states(notice) == ["delivered", "read", "acknowledged"]
    assert states(stale) == []
    assert states(task)[:2] == ["delivered", "read"] and len(states(task)) == 3
    decision = [a for a in acks_of(watcher, boat) if a.msg_id == task][-1]
    if decision.state.value == "accepted":
        assert decision.eta_min is not None and decision.eta_min >= 0
    assert states(ping) == ["delivered"]

    dump = json.loads(stats_path.read_text(encoding="utf-8"))
    record = dump["vessels"][boat]
    assert record["received"][notice] == 2
    assert record["acted"][notice] == 1
    assert record["acks"][notice] == ["delivered", "read", "acknowledged"]
    assert record["received"][stale] == 1
    assert stale not in record["acted"] and record["expired"] == [stale]
    assert dump["totals"]["down_duplicates"] == 1


async def test_a_distress_repeats_until_the_hub_acknowledges_it_and_a_cancel_stops_it(
    broker: Mosquitto, prefix: str, watcher: Watcher
) -> None:
    vessels = fleet(6)
    fire, mob = vessels[0], vessels[3]
    scenario = parse_scenario(
        FULL_COVERAGE
        + f'[[events]]\nat = "1m"\nvessel = "{fire.id}"\naction = "distress"\nnature = "fire"\n'
        f'[[events]]\nat = "1m"\nvessel = "{mob.id}"\naction = "distress"\nnature = "man_overboard"\n'
        f'persons = 1\n[[events]]\nat = "3m"\nvessel = "{mob.id}"\naction = "cancel_distress"\n'
        'reason = "已救起"\n'
    )
    topics = Topics(prefix)

    def alerts(vid: str) -> list[tuple[Seen, DistressPayload]]:
        out = []
        for s in watcher.of(vid, UplinkKind.DISTRESS):
            d = decode(UplinkKind.DISTRESS, s)
            assert isinstance(d, DistressPayload), (s.payload, d)
            out.append((s, d))
        return out

    async with running(vessels, scenario, broker, prefix, speed=300.0):
        await wait_until(lambda: len(alerts(fire.id)) >= 4, 10, "4 repeats of the fire alert")
        first = alerts(fire.id)[0][1]
        assert {d.distress_id for _, d in alerts(fire.id)} == {first.distress_id}
        assert first.nature.value == "fire" and first.persons == fire.persons
        ack_id = f"dack-{uuid.uuid4().hex[:6]}"
        watcher.publish(
            topics.down(fire.id),
            down(
                ack_id,
                "distress_ack",
                expires_in=timedelta(hours=1),
                ack="none",
                distress_id=first.distress_id,
            ),
        )
        await wait_until(
            lambda: any(a.msg_id == ack_id for a in acks_of(watcher, fire.id)),
            5,
            "delivery of the distress_ack",
        )
        await asyncio.sleep(1.0)  # ten repeat periods: any repeat now would be a bug

    delivered_seq = next(
        s.seq
        for s in watcher.of(fire.id, UplinkKind.ACK)
        if json.loads(s.payload)["msg_id"] == ack_id
    )
    assert [s.seq for s, _ in alerts(fire.id) if s.seq > delivered_seq] == []

    mob_alerts = alerts(mob.id)
    cancels = [(s, d) for s, d in mob_alerts if d.cancel]
    assert len(cancels) == 1 and cancels[0][1].reason == "已救起"
    assert [s for s, _ in mob_alerts if s.seq > cancels[0][0].seq] == []
    assert len(mob_alerts) >= 3  # it repeated before the crew recovered the man


async def test_fault_injection_sends_each_kind_of_bad_uplink(
    broker: Mosquitto, prefix: str, watcher: Watcher
) -> None:
    vessels = fleet(8)
    faults = (
        "malformed_json",
        "wrong_types",
        "oversized",
        "wrong_vessel",
        "future_ts",
        "bad_status",
    )
    scenario = parse_scenario(
        "".join(
            f'[[events]]\nat = "{n + 1}m"\nvessel = "{vessels[n].id}"\naction = "fault"\n'
            f'fault = "{f}"\n'
            for n, f in enumerate(faults)
        )
    )
    async with running(vessels, scenario, broker, prefix) as sim:
        await wait_until(lambda: sim.counters.faults_sent == 6, 10, "6 faults sent")
        await asyncio.sleep(0.3)
    reasons: dict[str, set[RejectReason]] = {}
    future = []
    for s in watcher.of():
        kind = watcher.topics.parse_vessel(s.topic)
        got = decode(kind.kind, s)
        if isinstance(got, Rejection):
            reasons.setdefault(kind.vessel_id, set()).add(got.reason)
        elif kind.kind is UplinkKind.POSITION:
            future += [f for f in got if f.ts > datetime.now(UTC) + timedelta(hours=12)]
    assert reasons == {
        vessels[0].id: {RejectReason.MALFORMED_JSON},
        vessels[1].id: {RejectReason.INVALID_PAYLOAD},
        vessels[2].id: {RejectReason.OVERSIZED},
        vessels[5].id: {RejectReason.BAD_STATUS},
    }
    assert len(future) == 1


def test_the_cli_entry_generates_a_fleet_and_splits_it_over_processes(
    broker: Mosquitto, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stats = tmp_path / "stats.json"
    monkeypatch.setenv("SEALINK_SIM_STATS", str(stats))
    w = Watcher(broker.url, prefix)
    try:
        args = argparse.Namespace(
            vessels=24,
            scenario="normal",
            seed=4242,
            fleet=None,
            processes=2,
            interval=60.0,
            speed=120.0,
            duration=3.0,
            broker=broker.url,
        )
        assert run_sim(args, "mqtt://127.0.0.1:9", prefix) == 0
        seen = w.seen()
    finally:
        w.close()
    dump = json.loads(stats.read_text(encoding="utf-8"))
    assert len(dump["vessels"]) == 24
    assert dump["totals"]["vessels"] == 24
    hello_from = {
        w.topics.parse_vessel(s.topic).vessel_id for s in seen if s.topic.endswith("/up/hello")
    }
    assert hello_from == set(dump["vessels"])
    assert sum(r["positions"] + r["backfill_fixes"] for r in dump["vessels"].values()) > 24


def test_the_cli_entry_rejects_a_bad_scenario_naming_the_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[events]]\nat = "1m"\nvessel = "random"\naction = "explode"\n')
    args = argparse.Namespace(
        vessels=5,
        scenario=str(bad),
        seed=1,
        fleet=None,
        processes=1,
        interval=60.0,
        speed=1.0,
        duration=1.0,
        broker=None,
    )
    assert run_sim(args, "mqtt://127.0.0.1:9", "x/v1") == 2
    assert "event 1" in capsys.readouterr().err


@pytest.mark.timeout(30, method="thread")  # a deadlock ignores signals: fail loudly instead
async def test_dropping_a_link_whose_connack_is_already_buffered_does_not_hang(
    broker: Mosquitto, prefix: str, watcher: Watcher
) -> None:
    """Regression: processing the buffered CONNACK inside the drop re-entered paho and
    deadlocked on its non-reentrant callback lock (seen when a fleet stopped mid-reconnect)."""
    vessels = fleet(2)
    async with running(vessels, parse_scenario(FULL_COVERAGE), broker, prefix) as sim:
        term = sim.terminal(vessels[0].id)
        await wait_until(lambda: term.online, 10, "the boat online")
        term.silence(sim.clock.now() if sim.clock else 0.0, 1e9)  # off, and stays off
        await wait_until(term.closed, 5, "the socket closed")
        term.silent_until = 0.0
        term.session.connect()
        term.client.loop_write()  # send the CONNECT now (paho leaves writing to the loop)
        time.sleep(0.3)  # noqa: ASYNC251 - block the loop on purpose: the CONNACK waits unread
        term.silent_until = 1e12
        term._reconcile()  # not wanted while connecting: drop, as a silence would
        await wait_until(term.closed, 5, "the socket closed after a drop during connect")
        assert not term.online
