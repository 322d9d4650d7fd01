"""Protocol v1.1 edges a terminal maker hit (issue 15, points 1, 2, 4 and 8): a distress id is one
emergency for good (a repeat after the alert was resolved raises nothing new), a retained uplink
is taken once and cleared from the broker, a second distress id updates what the alert says, a
cancel of an id the shore never had is answered as such, and a status is exactly `online` or
`offline`. Real hub, broker, store (both databases)."""

from __future__ import annotations

import asyncio
import json
import queue
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.store import queries
from seaLink.wire.mqtt import parse_broker_url
from tests.brokers import free_port
from tests.test_broadcasts import online
from tests.test_distress import Outside, _get, _post, clock, distress, setup  # noqa: F401
from tests.test_distress_status import _next
from tests.test_ingest import wait_for

Setup = tuple[Any, str, dict[str, str], Outside]


async def _distress_alerts(base: str, h: dict[str, str]) -> list[dict[str, Any]]:
    alerts = (await _get(base, h, "/api/v1/alerts?state=all"))["alerts"]
    return [a for a in alerts if a["type"] == "distress"]


async def test_a_distress_id_repeated_after_its_alert_was_resolved_raises_nothing_new(
    setup: Setup,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    hub, base, h, _outside = setup
    v = online(hub, "V1", clock)
    try:
        v.publish("distress", distress(clock))
        await _next(v, "distress_ack")
        await hub.drained()
        [alert] = await _distress_alerts(base, h)
        status, _ = await _post(
            base, h, f"/api/v1/alerts/{alert['id']}/resolve", {"outcome": "false_alarm"}
        )
        assert status == 200
        clock.advance(60)
        v.publish("distress", distress(clock))  # the terminal never got its receipt, say
        receipt = await _next(v, "distress_ack")
        assert receipt["distress_id"] == "NA1-d1"
        await hub.drained()
        assert [a["state"] for a in await _distress_alerts(base, h)] == ["resolved"]
        # A new emergency is a new id: that one is raised.
        v.publish("distress", distress(clock, distress_id="NA1-d2", nature="fire"))
        await _next(v, "distress_ack")
        await hub.drained()
        assert sorted(a["state"] for a in await _distress_alerts(base, h)) == ["raised", "resolved"]
    finally:
        v.close()


async def test_a_second_distress_id_updates_the_alert_and_an_unknown_cancel_is_answered(
    setup: Setup,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    hub, base, h, _outside = setup
    v = online(hub, "V1", clock)
    try:
        v.publish("distress", distress(clock, nature="flooding", lat=23.10, lon=117.55))
        await _next(v, "distress_ack")
        clock.advance(120)
        v.publish("distress", distress(clock, distress_id="NA1-d2", nature="fire", lat=23.20,
                                       lon=117.65, persons=4))  # fmt: skip
        await _next(v, "distress_ack")
        await hub.drained()
        [alert] = await _distress_alerts(base, h)
        assert alert["detail"] == "火灾，船上 4 人，23°12.00′N 117°39.00′E"
        assert alert["data"]["nature"] == "fire" and alert["lat"] == 23.20
        v.publish("distress", distress(clock, distress_id="NA1-never", cancel=True, reason="测试"))
        answer = await _next(v, "distress_ack")
        while answer["distress_id"] != "NA1-never":  # earlier receipts come again until delivered
            answer = await _next(v, "distress_ack")
        assert answer["cancel"] is True and answer["unknown"] is True
        assert "没有" in answer["title"]
        await hub.drained()
        [same] = await _distress_alerts(base, h)
        assert same["data"].get("cancel_requested") is None  # nothing was cancelled
    finally:
        v.close()


async def test_a_retained_distress_is_raised_once_and_cleared_from_the_broker(
    setup: Setup,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    """The defect: a distress published retained stayed on the broker and raised a new alert
    after a hub restart (after the first was resolved)."""
    hub, base, h, _outside = setup
    v = online(hub, "V1", clock)
    topic = v.topics.up("V1", "distress")
    try:
        v.client.publish(topic, json.dumps(distress(clock)), qos=1, retain=True).wait_for_publish(
            10
        )
        await _next(v, "distress_ack")
        await hub.drained()
        [alert] = await _distress_alerts(base, h)
        status, _ = await _post(
            base, h, f"/api/v1/alerts/{alert['id']}/resolve", {"outcome": "false_alarm"}
        )
        assert status == 200
        # A hub that subscribes now (a restart) is handed the retained copy: it takes it, raises
        # nothing new, and clears it from the broker.
        mqtt = hub.settings.mqtt.model_copy(
            update={"client_id": hub.settings.mqtt.client_id + "-b"}
        )
        api = hub.settings.api.model_copy(update={"port": free_port()})
        again = Hub(hub.settings.model_copy(update={"mqtt": mqtt, "api": api}), clock=clock,
                    with_api=False)  # fmt: skip
        async with again.running():

            async def cleared() -> bool:
                return await asyncio.to_thread(_retained_on, hub.settings.mqtt.url, topic) is None

            await wait_for(cleared, timeout=15)
            await again.drained()
            assert again.metrics.retained_cleared._value.get() == 1
        await hub.drained()
        assert [a["state"] for a in await _distress_alerts(base, h)] == ["resolved"]
    finally:
        v.close()


def _retained_on(url: str, topic: str) -> bytes | None:
    """What a new subscriber is handed as retained on `topic` (None: nothing)."""
    got: queue.Queue[bytes] = queue.Queue()
    addr = parse_broker_url(url)
    c = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    c.on_connect = lambda cl, u, f, rc, p=None: cl.subscribe(topic, qos=1)
    c.on_message = lambda cl, u, m: got.put(m.payload) if m.retain else None
    c.connect(addr.host, addr.port, 30)
    c.loop_start()
    try:
        return got.get(timeout=1.0)
    except queue.Empty:
        return None
    finally:
        c.disconnect()
        c.loop_stop()


async def test_a_status_is_exactly_online_or_offline_and_an_empty_one_clears(
    setup: Setup,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    hub, _base, _h, _outside = setup
    v = online(hub, "V2", clock)
    try:
        for payload in (b"ONLINE", b'"online"', b"offline\n", b"Offline"):
            v.publish_raw(v.topics.status("V2"), payload)
        v.client.publish(v.topics.status("V2"), b"", qos=1, retain=True).wait_for_publish(10)

        async def refused() -> bool:
            return (await queries.dead_letter_counts(hub.db)).get("bad_status", 0) >= 4

        await wait_for(refused, timeout=10)
        await hub.drained()
        assert await queries.dead_letter_counts(hub.db) == {"bad_status": 4}  # empty: no refusal
    finally:
        v.close()
