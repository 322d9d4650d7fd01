"""Link choice between MQTT and Beidou, over the real chain: hub, broker, the Beidou gateway on a
pty with the shore terminal simulator, and a boat's Beidou terminal. A boat heard only by Beidou
gets its warning by Beidou (never a copy to nobody on MQTT); a boat that moves from MQTT to
Beidou and back gets each message once, and the delivery record names the link of each copy and
each acknowledgement; a plain terminal's typed recall answer and SOS reach the board and the
desk, and the distress acknowledgement goes back by Beidou."""

from __future__ import annotations

import asyncio
import contextlib
import queue
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from gateway.app import GatewayConfig, GatewayProcess
from gateway.clock import ManualClock
from seaLink.services.outbox import BEIDOU_RETRY_S, RECHECK_S
from seaLink.store.tables import AckEvent, Delivery, FisherRequest, Vessel
from seaLink.wire.gateway import GatewayKind
from simulators.beidou_pty import ShoreTerminalPty
from simulators.beidou_terminal import BeidouNetwork, BoatTerminal, Position, SimulatedBoat
from tests.gateway.conftest import advance_until, eventually
from tests.test_broadcasts import ack, online
from tests.test_distress import _get, _post, clock, setup  # noqa: F401  (fixtures)
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel

SHORE, BOAT = "4207733", "166166"


@dataclass
class Rig:
    clock: ManualClock
    boat: SimulatedBoat
    process: GatewayProcess
    shore: ShoreTerminalPty

    async def pass_intervals(self, n: int) -> None:
        """Let `n` service intervals of simulated time pass, the terminals working meanwhile."""
        for _ in range(n * 12):
            self.clock.advance(5)
            for _ in range(4):
                await asyncio.sleep(0.005)

    def received_ids(self) -> list[str]:
        return [d.msg_id for d in self.boat.received]


@contextlib.asynccontextmanager
async def beidou_rig(hub: Any, vessel_id: str, family: str = "4.0") -> AsyncIterator[Rig]:
    async with hub.db.engine.begin() as conn:
        await conn.execute(update(Vessel).where(Vessel.id == vessel_id).values(beidou_card=BOAT))  # type: ignore[arg-type]
    await hub.registry.load()
    gclock = ManualClock(hub.clock.now())
    network = BeidouNetwork()
    # 4.0: a BDS-3 card (level 2, 250 bytes); 2.1: a BDS-2 card (level 3, 78 bytes).
    level, boat_bytes = (2, 250) if family == "4.0" else (3, 78)
    shore = ShoreTerminalPty(family, SHORE, network, gclock, interval_s=60.0, level=level)
    boat = SimulatedBoat(BoatTerminal(BOAT, network, gclock, interval_s=60.0, max_bytes=boat_bytes), SHORE,
                         gclock, Position(23.31, 117.21))  # fmt: skip
    config = GatewayConfig(GatewayKind.BEIDOU, "bd-1", hub.settings.mqtt.url, hub.settings.mqtt.prefix,
                           port=shore.path, family=family, status_interval_s=5.0, feedback_timeout_s=10.0)  # fmt: skip
    process = GatewayProcess(config, clock=gclock)
    tasks = [asyncio.create_task(c, name=n) for c, n in
             ((shore.run(), "shore"), (boat.terminal.run(), "boat"), (process.run(), "gateway"))]  # fmt: skip
    try:
        await advance_until(
            gclock, lambda: hub.ingest.gateways.beidou_gateway() == "bd-1", what="gateway online"
        )
        yield Rig(gclock, boat, process, shore)
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        shore.close()


async def delivery(base: str, h: dict[str, str], bid: int) -> dict[str, Any]:
    r = await _get(base, h, f"/api/v1/broadcasts/{bid}?deliveries=1")
    [d] = r["deliveries"]
    return dict(d)


async def broadcast(base: str, h: dict[str, str], vid: str, **body: Any) -> int:
    status, created = await _post(base, h, "/api/v1/broadcasts", {
        "kind": "notice", "title": "通知", "body": "明天上午检查消防设备。", "reply": "none",
        "target": {"vessels": [vid]}, **body})  # fmt: skip
    assert status == 201, created
    return int(created["broadcast"]["id"])


async def test_a_boat_heard_only_by_beidou_gets_its_warning_by_beidou(setup: Any) -> None:  # noqa: F811
    hub, base, h, _outside = setup
    watcher = TestVessel(
        hub.settings.mqtt.url, "V2", client_id="watch-V2", prefix=hub.settings.mqtt.prefix
    )
    try:
        async with beidou_rig(hub, "V2") as rig:
            # The boat reports by Beidou: a sign of life, but not of an MQTT session.
            rig.boat.report_position()
            await advance_until(rig.clock, lambda: hub.watch.book.vessels["V2"].last_link == "beidou",
                                what="position over Beidou", max_s=600)  # fmt: skip
            await hub.drained()
            assert not hub.outbox.reachable("V2", hub.clock.now())
            assert hub.outbox.link_now("V2", hub.clock.now()) == "beidou"
            bid = await broadcast(base, h, "V2", kind="warning", title="台风蓝色预警",
                                  body="请于今晚18时前回港避风。", reply="confirm", signal="blue")  # fmt: skip
            took = await advance_until(rig.clock, lambda: len(rig.boat.received) == 1,
                                       what="warning by Beidou", max_s=600)  # fmt: skip
            assert rig.boat.received[0].body.startswith("请于今晚18时前回港避风")
            # Its turn came at once (the shore card was free): there within one send interval.
            assert took <= 60, took
            # The crew confirms (the simulated boat does so on its own), by Beidou.
            state: dict[str, Any] = {}

            async def acknowledged() -> bool:
                rig.clock.advance(5)
                state.update(await delivery(base, h, bid))
                return bool(state["state"] == "acknowledged" and state["copies"])

            await wait_for(acknowledged, timeout=30)
            assert state["copies"] == ["beidou"] and state["ack_link"] == "beidou"
            assert state["link"] == "beidou"
        assert watcher.received.empty()  # no copy went to MQTT, where nobody listens
    finally:
        watcher.close()


async def test_a_boat_moving_from_mqtt_to_beidou_and_back_gets_each_message_once(
    setup: Any,  # noqa: F811
) -> None:
    hub, base, h, _outside = setup
    async with beidou_rig(hub, "V2") as rig:
        v = online(hub, "V2", hub.clock)
        try:
            await eventually(lambda: hub.outbox.link_now("V2", hub.clock.now()) == "mqtt", 10)
            first = await broadcast(base, h, "V2", title="一")
            got = await asyncio.to_thread(v.received.get, True, 10)
            assert got["msg_id"] == f"b{first}-V2"
            v.publish("ack", {"msg_id": got["msg_id"], "state": "delivered",
                              "ts": hub.clock.now().isoformat()})  # fmt: skip
            await wait_for(lambda: _state(base, h, first, "delivered"))
            # The boat leaves MQTT coverage: its status says offline.
            v.client.publish(
                v.topics.status("V2"), b"offline", qos=1, retain=True
            ).wait_for_publish(10)
        finally:
            v.close()
        await eventually(lambda: not hub.outbox.reachable("V2", hub.clock.now()), 10)
        second = await broadcast(base, h, "V2", title="二")
        await hub.outbox.settle()
        assert (await delivery(base, h, second))["copies"] == []  # a moment to come back first
        hub.clock.advance(timedelta(seconds=hub.settings.messaging.beidou_after_s + RECHECK_S + 1))
        hub.outbox.kick()
        await advance_until(rig.clock, lambda: f"b{second}-V2" in rig.received_ids(),
                            what="second message by Beidou", max_s=600)  # fmt: skip
        await wait_for(lambda: _copies(base, h, second, ["beidou"]))
        # A third message goes to the gateway, which must wait out the card's interval...
        third = await broadcast(base, h, "V2", title="三")
        await wait_for(lambda: _link(base, h, third, "beidou"))
        # ... and the boat is back on MQTT before it could go: it is withdrawn and sent by MQTT.
        back = online(hub, "V2", hub.clock)
        try:
            # After the hello the hub leaves the broker its replay grace: time moves on meanwhile.
            got = await receive_while_time_passes(hub, back)
            assert got["msg_id"] == f"b{third}-V2"
            await wait_for(lambda: _copies(base, h, third, ["mqtt"]))
            await eventually(lambda: rig.process.counters["beidou_cancelled"] == 1, 10)
            await rig.pass_intervals(2)  # had it stayed queued at the gateway, it would go now
            assert rig.received_ids() == [f"b{second}-V2"]  # the third never went by Beidou
            assert (await delivery(base, h, second))["copies"] == ["beidou"]  # not again by MQTT
            assert (await delivery(base, h, first))["copies"] == ["mqtt"]
            with contextlib.suppress(queue.Empty):
                extra = back.received.get_nowait()
                raise AssertionError(f"a second copy came by MQTT: {extra}")
        finally:
            back.close()


async def test_a_message_waiting_long_in_the_gateways_queue_is_not_queued_twice(
    setup: Any,  # noqa: F811
) -> None:
    """The shore card cannot send for two hours (the gateway's queue is long, say): the hub's
    30-minute retry finds no result yet and asks the gateway again with the same request, which
    it already holds. The boat gets the warning once, not once per retry."""
    hub, base, h, _outside = setup
    async with beidou_rig(hub, "V2") as rig:
        rig.boat.report_position()
        await advance_until(rig.clock, lambda: hub.watch.book.vessels["V2"].last_link == "beidou",
                            what="position over Beidou", max_s=600)  # fmt: skip
        rig.shore.hold_off(2 * 3600)
        bid = await broadcast(base, h, "V2", kind="warning", title="台风蓝色预警",
                              body="请尽快回港避风。", reply="confirm", signal="blue")  # fmt: skip
        await wait_for(lambda: _link(base, h, bid, "beidou"))
        counters = rig.process.counters
        await advance_until(rig.clock, lambda: counters["beidou_feedback.too_soon"] >= 1,
                            what="refused: the card must wait", max_s=60)  # fmt: skip
        for _ in range(2):  # two of the hub's retries come due while it waits at the gateway
            hub.clock.advance(timedelta(seconds=BEIDOU_RETRY_S + RECHECK_S + 1))
            hub.outbox.kick()
            await hub.outbox.settle()
            await eventually(lambda: counters["duplicate_requests"] >= 1, 10)
        assert counters["beidou_tx_queued"] == 1
        await advance_until(rig.clock, lambda: f"b{bid}-V2" in rig.received_ids(),
                            step_s=60, what="sent once the card may", max_s=3 * 3600)  # fmt: skip
        await rig.pass_intervals(3)
        assert rig.received_ids() == [f"b{bid}-V2"]
        assert (await delivery(base, h, bid))["copies"] == ["beidou"]


async def test_recall_reminders_do_not_pile_up_behind_an_order_queued_for_beidou(
    setup: Any,  # noqa: F811
) -> None:
    """A recall order to a Beidou-only boat waits at the gateway (the card must wait two hours).
    Three of the recall's 15-minute reminders come due meanwhile: the queued order stands for
    them, none is queued behind it, and the boat gets the order once."""
    hub, base, h, _outside = setup
    async with beidou_rig(hub, "V2") as rig:
        rig.boat.report_position()
        await advance_until(rig.clock, lambda: hub.watch.book.vessels["V2"].last_link == "beidou",
                            what="position over Beidou", max_s=600)  # fmt: skip
        rig.shore.hold_off(2 * 3600)
        deadline = hub.clock.now() + timedelta(hours=3)
        bid = await broadcast(base, h, "V2", kind="warning", title="台风“海葵”撤离令",
                              body="所有渔船于今日17时前回港避风。", reply="confirm", signal="orange",
                              recall={"deadline": deadline.isoformat()})  # fmt: skip
        await wait_for(lambda: _link(base, h, bid, "beidou"))
        counters = rig.process.counters
        await advance_until(rig.clock, lambda: counters["beidou_feedback.too_soon"] >= 1,
                            what="refused: the card must wait", max_s=60)  # fmt: skip
        for _ in range(3):
            hub.clock.advance(timedelta(minutes=15))
            await hub.recall.settle()
            hub.outbox.kick()
            await hub.outbox.settle()
        async with hub.db.engine.connect() as conn:
            rows = (await conn.execute(
                select(Delivery.msg_id).where(Delivery.vessel_id == "V2")  # type: ignore[call-overload]
            )).all()  # fmt: skip
        assert [r[0] for r in rows] == [f"b{bid}-V2"]  # no reminder queued behind the order
        assert counters["beidou_tx_queued"] == 1
        await advance_until(rig.clock, lambda: f"b{bid}-V2" in rig.received_ids(),
                            step_s=60, what="sent once the card may", max_s=3 * 3600)  # fmt: skip
        await rig.pass_intervals(3)
        assert rig.received_ids() == [f"b{bid}-V2"]


async def test_a_quiet_mqtt_link_hands_the_waiting_message_to_beidou(setup: Any) -> None:  # noqa: F811
    """Online on paper (retained status, connection open) but silent: after `online_window_s`
    without an MQTT uplink, what waits for an acknowledgement leaves by Beidou."""
    hub, base, h, _outside = setup
    async with beidou_rig(hub, "V2") as rig:
        v = online(hub, "V2", hub.clock)
        try:
            await eventually(lambda: hub.outbox.link_now("V2", hub.clock.now()) == "mqtt", 10)
            bid = await broadcast(base, h, "V2", title="一", reply="confirm")
            got = await asyncio.to_thread(v.received.get, True, 10)
            assert got["msg_id"] == f"b{bid}-V2"  # the boat's app got it but nobody answers
            await wait_for(lambda: _copies(base, h, bid, ["mqtt"]))
            quiet = hub.settings.messaging.online_window_s + RECHECK_S + 1
            hub.clock.advance(timedelta(seconds=quiet))
            hub.outbox.kick()
            assert hub.outbox.link_now("V2", hub.clock.now()) == "beidou"
            await advance_until(rig.clock, lambda: f"b{bid}-V2" in rig.received_ids(),
                                what="by Beidou once MQTT went quiet", max_s=600)  # fmt: skip
            state: dict[str, Any] = {}

            async def carried() -> bool:
                rig.clock.advance(5)
                state.update(await delivery(base, h, bid))
                return bool(state["copies"] and state["copies"][-1] == "beidou")

            await wait_for(carried, timeout=30)
            assert state["copies"][0] == "mqtt" and state["ack_link"] in (None, "beidou")
        finally:
            v.close()


async def receive_while_time_passes(hub: Any, v: TestVessel, step_s: int = 5) -> dict[str, Any]:
    for _ in range(60):
        with contextlib.suppress(queue.Empty):
            return dict(await asyncio.to_thread(v.received.get, True, 0.25))
        hub.clock.advance(timedelta(seconds=step_s))
        hub.outbox.kick()
    raise AssertionError("nothing came by MQTT")


async def _state(base: str, h: dict[str, str], bid: int, state: str) -> bool:
    return bool((await delivery(base, h, bid))["state"] == state)


async def _copies(base: str, h: dict[str, str], bid: int, copies: list[str]) -> bool:
    return bool((await delivery(base, h, bid))["copies"] == copies)


async def _link(base: str, h: dict[str, str], bid: int, link: str) -> bool:
    return bool((await delivery(base, h, bid))["link"] == link)


async def test_a_beidou_only_boat_answers_a_recall_and_raises_a_distress_by_typing(
    setup: Any,  # noqa: F811
) -> None:
    hub, base, h, _outside = setup
    async with beidou_rig(hub, "V2") as rig:
        rig.boat.typed_answer = "回 6"  # a plain terminal: the crew types "<ref> 回 6"
        rig.boat.report_position()
        await advance_until(rig.clock, lambda: hub.watch.book.vessels["V2"].last_link == "beidou",
                            what="position over Beidou", max_s=600)  # fmt: skip
        deadline = hub.clock.now() + timedelta(hours=2)
        bid = await broadcast(base, h, "V2", kind="warning", title="台风“海葵”撤离令",
                              body="所有渔船于今日17时前回港避风。", reply="confirm", signal="orange",
                              recall={"deadline": deadline.isoformat()})  # fmt: skip
        board: dict[str, Any] = {}

        async def answered() -> bool:
            rig.clock.advance(5)
            board.update(await _get(base, h, f"/api/v1/broadcasts/{bid}/recall"))
            return any(v["vessel_id"] == "V2" and v["acknowledged"] for v in board["vessels"])

        await wait_for(answered, timeout=60)
        [v2] = [v for v in board["vessels"] if v["vessel_id"] == "V2"]
        # The answer reached the board by Beidou (whether the track bears it out is the board's
        # own judgement, tested in test_recall_storm).
        assert (v2["answer"], v2["persons_aboard"]) == ("returning", 6)
        assert (await delivery(base, h, bid))["ack_link"] == "beidou"

        # SOS keyed in by hand: no position, the last one heard by Beidou stands for it.
        rig.boat.type_text("SOS 5 机舱进水")
        alerts: list[dict[str, Any]] = []

        async def raised() -> bool:
            rig.clock.advance(5)
            found = (await _get(base, h, "/api/v1/alerts"))["alerts"]
            alerts[:] = [a for a in found if a["type"] == "distress" and a["vessel_id"] == "V2"]
            return bool(alerts)

        await wait_for(raised, timeout=60)
        assert (alerts[0]["lat"], alerts[0]["lon"]) == (23.31, 117.21)
        distress_id = f"bd{BOAT}-{rig.clock.now():%y%m%d}"
        await advance_until(rig.clock, lambda: distress_id in rig.boat.acked_distress,
                            what="distress acknowledged by Beidou", max_s=900)  # fmt: skip


async def distress_alerts(base: str, h: dict[str, str], vid: str) -> list[dict[str, Any]]:
    found = (await _get(base, h, "/api/v1/alerts"))["alerts"]
    return [a for a in found if a["type"] == "distress" and a["vessel_id"] == vid]


async def test_a_terminals_alarm_key_raises_a_distress_acknowledged_by_beidou(
    setup: Any,  # noqa: F811
) -> None:
    """The alarm key of a BDS-2 terminal sends in the urgent class (`$BDTXR` information type 2):
    the same words sent as an ordinary message stay a message; sent as the alarm they raise a
    distress at the boat's last known position, an incident, and the acknowledgement goes back
    by Beidou. Pressed again, it is the same distress, not a second one."""
    hub, base, h, _outside = setup
    async with beidou_rig(hub, "V2", family="2.1") as rig:
        counters = rig.process.counters
        rig.boat.report_position()
        await advance_until(rig.clock, lambda: hub.watch.book.vessels["V2"].last_link == "beidou",
                            what="position over Beidou", max_s=600)  # fmt: skip

        rig.boat.type_text("遇险报警")  # ordinary class: a text for the log, no distress
        await advance_until(rig.clock, lambda: counters["beidou_rx.text"] == 1,
                            what="the ordinary text", max_s=600)  # fmt: skip
        assert await distress_alerts(base, h, "V2") == []

        rig.boat.press_alarm("遇险报警")
        alerts: list[dict[str, Any]] = []

        async def raised() -> bool:
            rig.clock.advance(5)
            alerts[:] = await distress_alerts(base, h, "V2")
            return bool(alerts)

        await wait_for(raised, timeout=60)
        assert counters["beidou_alarms"] == 1
        [alert] = alerts
        assert (alert["lat"], alert["lon"]) == (23.31, 117.21)  # the last fix heard by Beidou
        assert alert["incident_id"] is not None
        incident = await _get(base, h, f"/api/v1/incidents/{alert['incident_id']}")
        assert incident["log"][0]["kind"] == "alarm" and "遇险报警" in incident["log"][0]["text"]

        distress_id = f"bd{BOAT}-{rig.clock.now():%y%m%d}"
        await advance_until(rig.clock, lambda: distress_id in rig.boat.acked_distress,
                            what="distress acknowledged by Beidou", max_s=900)  # fmt: skip

        # The crew presses again (no answer seen yet, say): the same case, not a new one.
        rig.boat.press_alarm("遇险报警")
        await advance_until(rig.clock, lambda: counters["beidou_alarms"] == 2,
                            what="the second alarm", max_s=600)  # fmt: skip
        await hub.alerting.settle()
        again = await distress_alerts(base, h, "V2")
        assert [a["id"] for a in again] == [alert["id"]]


@contextlib.asynccontextmanager
async def fleet_rig(
    hub: Any, boat_cards: dict[str, str], shore_cards: dict[str, str], groups: dict[str, list[str]]
) -> AsyncIterator[tuple[ManualClock, dict[str, SimulatedBoat], list[GatewayProcess]]]:
    """Boats heard only by Beidou, and one shore gateway (on its pty) per shore card."""
    async with hub.db.engine.begin() as conn:
        for vid, card in boat_cards.items():
            await conn.execute(update(Vessel).where(Vessel.id == vid).values(beidou_card=card))  # type: ignore[arg-type]
    await hub.registry.load()
    gclock = ManualClock(hub.clock.now())
    network = BeidouNetwork()
    network.groups.update(groups)
    first_shore = next(iter(shore_cards.values()))
    boats = {vid: SimulatedBoat(BoatTerminal(card, network, gclock, interval_s=60.0, max_bytes=250),
                                first_shore, gclock, Position(23.31, 117.21))
             for vid, card in boat_cards.items()}  # fmt: skip
    shores, processes, tasks = [], [], []
    for gid, card in shore_cards.items():
        shore = ShoreTerminalPty("4.0", card, network, gclock, interval_s=60.0, level=2)
        config = GatewayConfig(GatewayKind.BEIDOU, gid, hub.settings.mqtt.url, hub.settings.mqtt.prefix,
                               port=shore.path, family="4.0", status_interval_s=5.0, feedback_timeout_s=10.0)  # fmt: skip
        process = GatewayProcess(config, clock=gclock)
        shores.append(shore)
        processes.append(process)
        tasks += [asyncio.create_task(shore.run()), asyncio.create_task(process.run())]
    tasks += [asyncio.create_task(b.terminal.run()) for b in boats.values()]
    try:
        await advance_until(gclock, lambda: hub.outbox.beidou is not None
                            and len(hub.outbox.beidou.members(hub.clock.now())) == len(shore_cards),
                            what="the pool")  # fmt: skip
        yield gclock, boats, processes
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        for shore in shores:
            shore.close()


async def test_a_group_broadcast_is_one_send_and_counts_each_boats_acknowledgement(
    setup: Any,  # noqa: F811
) -> None:
    hub, base, h, _outside = setup
    cards = {"V1": "166101", "V2": "166102", "V3": "166103", "V4": "166104"}
    address = "4209999"
    hub.settings.messaging.beidou_groups[address] = list(cards.values())
    try:
        async with fleet_rig(hub, cards, {"bd-a": "4207701"}, {address: list(cards.values())}) as (
            gclock, boats, processes,
        ):  # fmt: skip
            status, created = await _post(base, h, "/api/v1/broadcasts", {
                "kind": "warning", "title": "台风蓝色预警", "body": "请尽快回港避风。",
                "reply": "confirm", "signal": "blue", "target": {"vessels": list(cards)}})  # fmt: skip
            assert status == 201, created
            bid = created["broadcast"]["id"]
            await advance_until(gclock, lambda: all(b.received for b in boats.values()),
                                what="every boat has the warning", max_s=300)  # fmt: skip
            assert [b.received[0].msg_id for b in boats.values()] == [f"g{bid}"] * 4
            deliveries: list[dict[str, Any]] = []

            async def all_acknowledged() -> bool:
                gclock.advance(5)
                r = await _get(base, h, f"/api/v1/broadcasts/{bid}?deliveries=1")
                deliveries[:] = r["deliveries"]
                # the ack may come back before the gateway's "sent": wait for both
                return all(d["state"] == "acknowledged" and d["copies"] for d in deliveries)

            await wait_for(all_acknowledged, timeout=60)
            assert {d["vessel_id"] for d in deliveries} == set(cards)
            assert all(d["copies"] == ["beidou"] and d["ack_link"] == "beidou" for d in deliveries)
            assert processes[0].counters["beidou_tx_sent"] == 1  # one send reached four boats
    finally:
        hub.settings.messaging.beidou_groups.clear()


async def test_a_boat_on_mqtt_that_also_hears_the_group_send_is_counted_once(
    setup: Any,  # noqa: F811
) -> None:
    """V1 is on MQTT; V2-V4 only on Beidou, all four in one Beidou group. The warning goes to V1
    by MQTT and to the group by one send, which V1's Beidou terminal hears too. V1 answers on
    both (its MQTT app and its terminal's `g<bid>`, in whichever order they arrive): it got one
    MQTT copy, its delivery names only that copy, and its acknowledgement is one event, counted
    once on the broadcast."""
    hub, base, h, _outside = setup
    cards = {"V1": "166101", "V2": "166102", "V3": "166103", "V4": "166104"}
    address = "4209999"
    hub.settings.messaging.beidou_groups[address] = list(cards.values())
    try:
        async with fleet_rig(hub, cards, {"bd-a": "4207701"}, {address: list(cards.values())}) as (
            gclock, boats, processes,
        ):  # fmt: skip
            v1 = online(hub, "V1", hub.clock)
            try:
                await eventually(lambda: hub.outbox.link_now("V1", hub.clock.now()) == "mqtt", 10)
                status, created = await _post(base, h, "/api/v1/broadcasts", {
                    "kind": "warning", "title": "台风蓝色预警", "body": "请尽快回港避风。",
                    "reply": "confirm", "signal": "blue", "target": {"vessels": list(cards)}})  # fmt: skip
                assert status == 201, created
                bid = created["broadcast"]["id"]
                got = await asyncio.to_thread(v1.received.get, True, 10)
                assert got["msg_id"] == f"b{bid}-V1"
                ack(v1, got["msg_id"], "acknowledged", hub.clock)
                # A request after each answer, on the same link, marks when the hub has applied
                # that answer (one publisher's messages are applied in order).
                v1.publish("request", {"request_id": "m-mqtt", "ts": hub.clock.now().isoformat(),
                                       "category": "other", "text": "标记"})  # fmt: skip
                await advance_until(gclock, lambda: all(b.received for b in boats.values()),
                                    what="every Beidou terminal has the warning", max_s=300)  # fmt: skip
                assert boats["V1"].received[0].msg_id == f"g{bid}"  # heard by V1's terminal too
                await advance_until(gclock, lambda: processes[0].counters["beidou_rx.ack"] == 4,
                                    what="four Beidou answers", max_s=300)  # fmt: skip
                marker = boats["V1"].make_request("other", "标记")
                await advance_until(gclock, lambda: processes[0].counters["beidou_rx.request"] == 1,
                                    what="the Beidou marker", max_s=300)  # fmt: skip

                async def markers_stored() -> bool:
                    gclock.advance(5)
                    async with hub.db.engine.connect() as conn:
                        found = await conn.execute(
                            select(FisherRequest.request_id).where(  # type: ignore[call-overload]
                                FisherRequest.vessel_id == "V1"
                            )
                        )
                        return {r[0] for r in found} >= {"m-mqtt", marker}  # fmt: skip

                await wait_for(markers_stored, timeout=30)
                r = await _get(base, h, f"/api/v1/broadcasts/{bid}?deliveries=1")
                assert r["rollup"]["total"] == 4
                assert r["rollup"]["states"].get("acknowledged") == 4, r["rollup"]
                [d1] = [d for d in r["deliveries"] if d["vessel_id"] == "V1"]
                assert d1["copies"] == ["mqtt"] and d1["state"] == "acknowledged"
                async with hub.db.engine.connect() as conn:
                    rows = (await conn.execute(
                        select(AckEvent.state).where(  # type: ignore[call-overload]
                            AckEvent.vessel_id == "V1", AckEvent.msg_id == f"b{bid}-V1")
                    )).all()  # fmt: skip
                assert [r[0] for r in rows] == ["acknowledged"], rows
                with contextlib.suppress(queue.Empty):
                    extra = v1.received.get_nowait()
                    raise AssertionError(f"a second copy came by MQTT: {extra}")
            finally:
                v1.close()
    finally:
        hub.settings.messaging.beidou_groups.clear()


async def test_two_shore_cards_in_a_pool_share_a_warning_to_four_beidou_only_boats(
    setup: Any,  # noqa: F811
) -> None:
    hub, base, h, _outside = setup
    cards = {"V1": "166101", "V2": "166102", "V3": "166103", "V4": "166104"}
    shores = {"bd-a": "4207701", "bd-b": "4207702"}
    async with fleet_rig(hub, cards, shores, {}) as (gclock, boats, processes):
        status, created = await _post(base, h, "/api/v1/broadcasts", {
            "kind": "warning", "title": "台风蓝色预警", "body": "请尽快回港避风。", "reply": "none",
            "signal": "blue", "target": {"vessels": list(boats)}})  # fmt: skip
        assert status == 201, created
        moved = await advance_until(gclock, lambda: all(b.received for b in boats.values()),
                                    what="every boat has the warning", max_s=600)  # fmt: skip

        def sent() -> list[int]:
            return [p.counters["beidou_tx_sent"] for p in processes]

        await advance_until(gclock, lambda: sum(sent()) == 4, what="the terminals' feedback")
        assert sent() == [2, 2], sent()  # each card sent half
        assert moved <= 2 * 60 + 30  # two rounds of the interval (simulated), not four
        # No reply was asked: the Beidou copies are done, not sent again every half hour.
        hub.clock.advance(timedelta(seconds=BEIDOU_RETRY_S + RECHECK_S + 1))
        hub.outbox.kick()
        await hub.outbox.settle()
        for _ in range(3 * 12):  # three intervals of the cards pass
            gclock.advance(5)
            for _ in range(4):
                await asyncio.sleep(0.005)
        assert [len(b.received) for b in boats.values()] == [1] * 4
        assert sent() == [2, 2], sent()
