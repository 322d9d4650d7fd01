"""The gateways' output in the hub: AIS positions of registered boats, traffic, SART active vs
test, a type-14 MAYDAY; and a message that reaches a boat only by Beidou, with its ack back."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from gateway.app import GatewayConfig, GatewayProcess
from gateway.clock import ManualClock
from seaLink.store.tables import Vessel
from seaLink.wire.gateway import GatewayKind
from seaLink.wire.payloads import AckState
from simulators.beidou_pty import ShoreTerminalPty
from simulators.beidou_terminal import BeidouNetwork, BoatTerminal, Position, SimulatedBoat
from tests.gateway.conftest import advance_until, eventually
from tests.test_distress import _get, _post, clock, setup  # noqa: F401  (fixtures)
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel, announce_gateway


def ais(hub: Any, v: TestVessel, events: list[dict[str, Any]]) -> None:
    announce_gateway(v, hub.settings.mqtt.prefix, "ais-1", "ais")
    v.publish_raw(f"{hub.settings.mqtt.prefix}/gateways/ais-1/ais", json.dumps(events))


async def test_ais_positions_traffic_beacons_and_mayday(setup: Any) -> None:  # noqa: F811
    hub, base, h, _outside = setup
    ts = hub.clock.now().isoformat()
    pub = TestVessel(hub.settings.mqtt.url, "gw-ais-1", prefix=hub.settings.mqtt.prefix)
    try:
        async with hub.db.engine.begin() as conn:
            await conn.execute(update(Vessel).where(Vessel.id == "V3").values(beacons="972000003"))  # type: ignore[arg-type]
        await hub.registry.load()
        ais(hub, pub, [
            {"mmsi": "412000001", "class": "vessel", "msg_type": 1, "ts": ts, "lat": 23.05, "lon": 117.62, "sog": 5.1, "cog": 200},
            {"mmsi": "416123456", "class": "vessel", "msg_type": 18, "ts": ts, "lat": 23.02, "lon": 117.55, "sog": 8.0, "cog": 90, "name": "TAI YANG"},
            {"mmsi": "970111222", "class": "sart", "msg_type": 1, "ts": ts, "lat": 23.20, "lon": 117.80, "nav_status": 15},
            {"mmsi": "970111222", "class": "sart", "msg_type": 14, "ts": ts, "text": "SART TEST"},
        ])  # fmt: skip

        async def judged() -> bool:  # the SART's test message is the last of the four
            return bool(hub.ingest.gateways.beacon_tests == 2)

        await wait_for(judged, timeout=30)
        await hub.drained()
        v1 = await _get(base, h, "/api/v1/vessels/V1")
        assert v1["last_position"]["lat"] == 23.05 and v1["contact"]["last_link"] == "ais"
        assert "416123456" in hub.ingest.gateways.traffic
        assert [
            a for a in (await _get(base, h, "/api/v1/alerts"))["alerts"] if a["type"] == "distress"
        ] == []
        assert hub.ingest.gateways.beacon_tests == 2

        ais(hub, pub, [
            {"mmsi": "972000003", "class": "mob", "msg_type": 1, "ts": ts, "lat": 23.11, "lon": 117.71, "nav_status": 14},
            {"mmsi": "416123456", "class": "vessel", "msg_type": 14, "ts": ts, "text": "MAYDAY MAYDAY ENGINE FIRE"},
        ])  # fmt: skip

        async def two_distresses() -> bool:
            alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
            return len([a for a in alerts if a["type"] == "distress"]) == 2

        await wait_for(two_distresses, timeout=30)
        await hub.drained()
        alerts = [
            a for a in (await _get(base, h, "/api/v1/alerts"))["alerts"] if a["type"] == "distress"
        ]
        by_vessel = {a["vessel_id"]: a for a in alerts}
        assert set(by_vessel) == {
            "V3",
            "AIS-416123456",
        }  # the MOB device's parent boat; an unknown ship
        assert "man_overboard" in json.dumps(
            (await _get(base, h, f"/api/v1/alerts/{by_vessel['V3']['id']}"))["data"]
        )
        assert by_vessel["AIS-416123456"]["lat"] == 23.02  # from its last AIS position
        # AIS traffic takes part in the nearest-vessel search for V3's man overboard
        nearest = (
            await _get(base, h, f"/api/v1/incidents/{by_vessel['V3']['incident_id']}/nearest")
        )["vessels"]
        assert any(
            v["id"] == "416123456" and v["source"] == "ais" and not v["reachable"] for v in nearest
        )
    finally:
        pub.close()


async def test_a_message_reaches_a_boat_only_by_beidou_and_its_ack_comes_back(setup: Any) -> None:  # noqa: F811
    hub, base, h, _outside = setup
    shore_card, boat_card = "4207733", "166166"
    async with hub.db.engine.begin() as conn:
        await conn.execute(update(Vessel).where(Vessel.id == "V2").values(beidou_card=boat_card))  # type: ignore[arg-type]
    await hub.registry.load()
    gclock = ManualClock(hub.clock.now())
    network = BeidouNetwork()
    shore = ShoreTerminalPty("4.0", shore_card, network, gclock, interval_s=60.0, level=1)
    boat = SimulatedBoat(BoatTerminal(boat_card, network, gclock, interval_s=60.0, max_bytes=125), shore_card, gclock,
                         Position(23.31, 117.21))  # fmt: skip
    config = GatewayConfig(GatewayKind.BEIDOU, "bd-1", hub.settings.mqtt.url, hub.settings.mqtt.prefix,
                           port=shore.path, family="4.0", status_interval_s=5.0, feedback_timeout_s=10.0)  # fmt: skip
    process = GatewayProcess(config, clock=gclock)
    tasks = [asyncio.create_task(c, name=n) for c, n in
             ((shore.run(), "shore"), (boat.terminal.run(), "boat"), (process.run(), "gateway"))]  # fmt: skip
    try:
        await advance_until(
            gclock, lambda: hub.ingest.gateways.beidou_gateway() == "bd-1", what="gateway online"
        )
        # V2 has never been heard on MQTT: the notice can only go by Beidou.
        status, created = await _post(base, h, "/api/v1/broadcasts", {
            "kind": "notice", "title": "渔政通知", "body": "明天上午检查消防设备。", "reply": "read",
            "target": {"vessels": ["V2"]}})  # fmt: skip
        assert status == 201
        bid = created["broadcast"]["id"]
        await advance_until(gclock, lambda: len(boat.received) == 1, what="boat got it", max_s=600)
        got = boat.received[0]
        assert got.body.startswith("明天上午检查消防设备")
        msg_id = f"b{bid}-V2"
        boat.ack(msg_id, AckState.READ)
        state: dict[str, Any] = {}

        async def read_back() -> bool:
            r = await _get(base, h, f"/api/v1/broadcasts/{bid}?deliveries=1")
            state.update(r["deliveries"][0])
            return bool(state["state"] == "read")

        for _ in range(120):
            gclock.advance(5)
            await asyncio.sleep(0.05)
            if await read_back():
                break
        assert state["state"] == "read" and state["link"] == "beidou" and state["read_at"]
        # The boat's own position over Beidou counts as contact, on the beidou link.
        boat.report_position()
        await advance_until(gclock, lambda: hub.watch.book.vessels["V2"].last_link == "beidou",
                            what="position over Beidou", max_s=600)  # fmt: skip
        hub.clock.advance(timedelta(seconds=1))
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        shore.close()


async def test_bad_gateway_messages_are_refused_with_reasons(setup: Any) -> None:  # noqa: F811
    hub, _base, _h, _outside = setup
    prefix = hub.settings.mqtt.prefix
    pub = TestVessel(hub.settings.mqtt.url, "gw-bad", prefix=prefix)
    try:
        announce_gateway(pub, prefix, "ais-1", "ais")
        announce_gateway(pub, prefix, "bd-1", "beidou")
        pub.publish_raw(f"{prefix}/gateways/ais-1/ais", b"[{not json")
        pub.publish_raw(
            f"{prefix}/gateways/ais-1/ais", json.dumps([{"mmsi": "12", "class": "vessel"}])
        )
        rx = {"rx_id": "r1", "card": "999999", "ts": hub.clock.now().isoformat(), "kind": "text",
              "family": "4.0", "text": "你好"}  # fmt: skip
        pub.publish_raw(f"{prefix}/gateways/bd-1/beidou/rx", json.dumps(rx, ensure_ascii=False))
        from seaLink.store import queries

        async def three_refused() -> bool:
            return sum((await queries.dead_letter_counts(hub.db)).values()) >= 3

        await wait_for(three_refused, timeout=20)
        await hub.drained()
    finally:
        pub.close()
    counts = await queries.dead_letter_counts(hub.db)
    assert counts == {"malformed_json": 1, "invalid_payload": 1, "unknown_vessel": 1}, counts


async def test_an_ais_receiver_on_a_pty_feeds_a_boats_track_and_the_traffic(setup: Any) -> None:  # noqa: F811
    """The whole chain: receiver (pty) -> AIS gateway process -> broker -> hub."""
    from simulators.ais_pty import AisTraffic, PtyPort

    hub, base, h, _outside = setup
    port = PtyPort()
    config = GatewayConfig(GatewayKind.AIS, "ais-pty", hub.settings.mqtt.url, hub.settings.mqtt.prefix,
                           port=port.path, status_interval_s=5.0)  # fmt: skip
    process = GatewayProcess(config)  # the system clock: events wait 50 ms for company
    task = asyncio.create_task(process.run(), name="test-ais-gateway")
    traffic = AisTraffic()
    lines = [
        *traffic.encode({"type": 1, "mmsi": 412000001, "lat": 23.061, "lon": 117.632,
                         "speed": 5.0, "course": 200.0}),
        *traffic.encode({"type": 18, "mmsi": 416123456, "lat": 23.02, "lon": 117.55,
                         "speed": 8.0, "course": 90.0}),
        *traffic.encode({"type": 1, "mmsi": 412000001, "lat": 23.061, "lon": 117.632},
                        fault="corrupt"),
    ]  # fmt: skip
    try:
        await eventually(lambda: process.port_is_open, what="port open")
        await port.write(b"".join(lines))
        await eventually(lambda: "416123456" in hub.ingest.gateways.traffic, what="traffic")
        await hub.drained()
        v1 = await _get(base, h, "/api/v1/vessels/V1")
        assert (v1["last_position"]["lat"], v1["last_position"]["lon"]) == (23.061, 117.632)
        assert v1["contact"]["last_link"] == "ais"
        assert process.counters.rejections() == {"bad_checksum": 1}
        assert process.counters["events"] == 2
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        port.close()
