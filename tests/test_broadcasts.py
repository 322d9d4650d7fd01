"""Tracked broadcasts: per-vessel delivery, offline vessels, expiry, acknowledgements, scope."""

from __future__ import annotations

import asyncio
import json
import queue
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from seaLink.clock import FakeClock
from seaLink.domain.roles import Role
from seaLink.runtime import Hub
from seaLink.services.auth import hash_password
from seaLink.settings import Settings
from seaLink.store import users
from seaLink.store.tables import AckEvent
from tests.heard import until_heard, uplinks_heard
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def hub_api(
    registered: Settings, clock: FakeClock
) -> AsyncIterator[tuple[Hub, str, dict[str, str]]]:
    settings = registered.model_copy(update={"admin_password": "admin-pass-123"})
    hub = Hub(settings, clock=clock)
    async with hub.running():
        await users.create_user(
            hub.db,
            username="coord1",
            password_hash=hash_password("coord-pass-1"),
            role=Role.COORDINATOR,
            grid_ids=["G01"],
            now=clock.now(),
        )
        base = f"http://127.0.0.1:{settings.api.port}"
        async with aiohttp.ClientSession() as s:
            r = await s.post(
                f"{base}/api/v1/auth/login",
                json={"username": "admin", "password": "admin-pass-123"},
            )
            token = (await r.json())["token"]
        yield hub, base, {"Authorization": f"Bearer {token}"}


def online(hub: Hub, vid: str, clock: FakeClock) -> TestVessel:
    v = TestVessel(hub.settings.mqtt.url, vid, prefix=hub.settings.mqtt.prefix)
    v.client.publish(v.topics.status(vid), b"online", qos=1, retain=True).wait_for_publish(10)
    v.publish("hello", {"ts": clock.now().isoformat(), "terminal": "test/1"})
    return v


def ack(v: TestVessel, msg_id: str, state: str, clock: FakeClock, **extra: Any) -> None:
    v.publish("ack", {"msg_id": msg_id, "state": state, "ts": clock.now().isoformat(), **extra})


async def receive(v: TestVessel, timeout: float = 10.0) -> dict[str, Any]:
    return await asyncio.to_thread(v.received.get, True, timeout)


async def nothing_received(v: TestVessel, wait: float = 1.0) -> None:
    with pytest.raises(queue.Empty):
        await asyncio.to_thread(v.received.get, True, wait)


async def post(
    base: str, h: dict[str, str], body: dict[str, Any], status: int = 201
) -> dict[str, Any]:
    async with aiohttp.ClientSession(headers=h) as s:
        r = await s.post(f"{base}/api/v1/broadcasts", json=body)
        data: dict[str, Any] = await r.json()
        assert r.status == status, data
        return data


async def rollup(base: str, h: dict[str, str], bid: int) -> dict[str, Any]:
    async with aiohttp.ClientSession(headers=h) as s:
        r = await s.get(f"{base}/api/v1/broadcasts/{bid}?deliveries=1")
        return dict(await r.json())


NOTICE = {
    "kind": "notice",
    "title": "渔港检查通知",
    "body": "明天上午九点，渔政检查消防设备。",
    "reply": "confirm",
}


async def test_a_notice_to_a_grid_is_tracked_boat_by_boat_to_acknowledgement(
    hub_api: tuple[Hub, str, dict[str, str]], clock: FakeClock
) -> None:
    hub, base, h = hub_api
    vessels = {vid: online(hub, vid, clock) for vid in ("V1", "V2", "V3", "V4")}
    try:
        await wait_for(lambda: _reachable(hub, list(vessels), clock))
        created = await post(base, h, NOTICE | {"target": {"grids": ["G01"]}})
        bid = created["broadcast"]["id"]
        assert created["rollup"]["total"] == 3
        msgs = {vid: await receive(vessels[vid]) for vid in ("V1", "V2", "V3")}
        await nothing_received(vessels["V4"])  # grid G02
        for vid, m in msgs.items():
            assert (
                m["msg_id"] == f"b{bid}-{vid}" and m["kind"] == "notice" and m["ack"] == "confirm"
            )
            assert m["title"] == "渔港检查通知" and m["broadcast_id"] == bid
            ack(vessels[vid], m["msg_id"], "delivered", clock)
        ack(vessels["V1"], msgs["V1"]["msg_id"], "read", clock)
        ack(vessels["V1"], msgs["V1"]["msg_id"], "acknowledged", clock, crew=["陈海生", "林水生"])
        await wait_for(lambda: _done(base, h, bid, 1))
        r = await rollup(base, h, bid)
        assert (
            r["rollup"]["states"]["delivered"] == 2 and r["rollup"]["states"]["acknowledged"] == 1
        )
        assert r["rollup"]["summary"] == "1/3 acknowledged"
        assert sorted(m["vessel_id"] for m in r["rollup"]["missing"]) == ["V2", "V3"]
        assert all(m["last_heard"] for m in r["rollup"]["missing"])
        d = {x["vessel_id"]: x for x in r["deliveries"]}
        assert (
            d["V1"]["acked_at"]
            and d["V1"]["read_at"]
            and d["V1"]["delivered_at"]
            and d["V1"]["link"] == "mqtt"
        )
    finally:
        for v in vessels.values():
            v.close()


async def test_an_offline_vessel_gets_the_message_when_it_returns_and_never_after_expiry(
    hub_api: tuple[Hub, str, dict[str, str]], clock: FakeClock
) -> None:
    hub, base, h = hub_api
    v1 = online(hub, "V1", clock)
    try:
        await wait_for(lambda: _reachable(hub, ["V1"], clock))
        expires = (clock.now() + timedelta(hours=2)).isoformat()
        short = await post(
            base, h, NOTICE | {"target": {"vessels": ["V1", "V2", "V3"]}, "expires_at": expires}
        )
        bid = short["broadcast"]["id"]
        assert (await receive(v1))["msg_id"] == f"b{bid}-V1"
        await hub.drained()
        v2 = online(hub, "V2", clock)  # V2 returns within the validity
        try:
            m2 = await receive(v2)
            assert m2["msg_id"] == f"b{bid}-V2"
            ack(v2, m2["msg_id"], "delivered", clock)
            await wait_for(lambda: _done(base, h, bid, 0))
            await asyncio.sleep(0.3)
            await hub.drained()
        finally:
            v2.close()
        clock.advance(timedelta(hours=3))
        await hub.outbox.settle()
        v3 = online(hub, "V3", clock)  # V3 only after expiry: never gets it
        try:
            await nothing_received(v3, 2.0)
        finally:
            v3.close()
        r = await rollup(base, h, bid)
        states = {x["vessel_id"]: x["state"] for x in r["deliveries"]}
        # V1 received it but never confirmed delivery before expiry: expired as well.
        assert states == {"V1": "expired", "V2": "delivered", "V3": "expired"}
        assert r["rollup"]["states"]["expired"] == 2
    finally:
        v1.close()


async def test_acknowledgements_are_idempotent_and_may_arrive_out_of_order(
    hub_api: tuple[Hub, str, dict[str, str]], clock: FakeClock
) -> None:
    hub, base, h = hub_api
    v = online(hub, "V1", clock)
    try:
        await wait_for(lambda: _reachable(hub, ["V1"], clock))
        bid = (await post(base, h, NOTICE | {"target": {"vessels": ["V1"]}}))["broadcast"]["id"]
        m = await receive(v)
        ack(v, m["msg_id"], "read", clock)  # read before delivered
        ack(v, m["msg_id"], "read", clock)
        ack(v, m["msg_id"], "delivered", clock)
        ack(v, m["msg_id"], "acknowledged", clock)
        ack(v, m["msg_id"], "delivered", clock)  # late duplicate must not move it back
        await wait_for(lambda: _done(base, h, bid, 1))
        await hub.drained()
        r = await rollup(base, h, bid)
        assert r["rollup"]["states"]["acknowledged"] == 1 and r["rollup"]["total"] == 1
        assert r["deliveries"][0]["state"] == "acknowledged"
        async with hub.db.engine.connect() as conn:
            n = (await conn.execute(select(func.count()).select_from(AckEvent))).scalar_one()
        assert n == 3  # read, delivered, acknowledged: once each
    finally:
        v.close()


async def test_a_returning_vessel_receives_the_most_urgent_first(
    hub_api: tuple[Hub, str, dict[str, str]], clock: FakeClock
) -> None:
    hub, base, h = hub_api
    await post(
        base,
        h,
        {"kind": "training", "title": "安全培训", "body": "第3讲", "target": {"vessels": ["V2"]}},
    )
    await post(base, h, NOTICE | {"target": {"vessels": ["V2"]}})
    await post(
        base,
        h,
        {
            "kind": "warning",
            "title": "大风",
            "body": "东北风7级",
            "signal": "yellow",
            "target": {"vessels": ["V2"]},
        },
    )
    await hub.outbox.settle()
    v = online(hub, "V2", clock)
    try:
        got = [await receive(v) for _ in range(3)]
    finally:
        v.close()
    assert [m["kind"] for m in got] == ["warning", "notice", "training"]
    assert got[0]["title"].startswith("【台风黄色预警】") and got[0]["signal"] == "yellow"


async def test_scope_and_bad_bodies_are_refused_with_reasons(
    hub_api: tuple[Hub, str, dict[str, str]], clock: FakeClock
) -> None:
    _hub, base, _h = hub_api
    async with aiohttp.ClientSession() as s:
        r = await s.post(
            f"{base}/api/v1/auth/login", json={"username": "coord1", "password": "coord-pass-1"}
        )
        ch = {"Authorization": f"Bearer {(await r.json())['token']}"}
    await post(base, ch, NOTICE | {"target": {"grids": ["G02"]}}, status=403)
    await post(base, ch, NOTICE | {"target": {"vessels": ["V4"]}}, status=403)
    mine = await post(base, ch, NOTICE | {"target": {"all": True}})
    assert mine["rollup"]["total"] == 3  # "all" = all of coord1's grid
    bad = await post(base, ch, NOTICE | {"target": {}}, status=400)
    assert "names no vessel" in bad["message"]
    bad = await post(base, ch, NOTICE | {"priority": "high", "target": {"all": True}}, status=400)
    assert "priority" in bad["message"]
    bad = await post(
        base,
        ch,
        {"kind": "notice", "title": "x", "body": "y", "signal": "red", "target": {"all": True}},
        status=400,
    )
    assert "signal" in bad["message"]
    past = (clock.now() - timedelta(hours=1)).isoformat()
    await post(base, ch, NOTICE | {"target": {"all": True}, "expires_at": past}, status=400)
    async with aiohttp.ClientSession(headers=ch) as s:
        listed = await (await s.get(f"{base}/api/v1/broadcasts")).json()
        assert [b["id"] for b in listed["broadcasts"]] == [mine["broadcast"]["id"]]


async def test_area_and_at_sea_targets(
    hub_api: tuple[Hub, str, dict[str, str]], clock: FakeClock
) -> None:
    hub, base, h = hub_api
    positions = {
        "V1": (23.0, 117.6),
        "V2": (23.4052, 117.0785),
        "V3": (22.5, 118.5),
    }  # V2 in 云澳渔港
    vessels = [
        TestVessel(hub.settings.mqtt.url, vid, prefix=hub.settings.mqtt.prefix) for vid in positions
    ]
    try:
        heard = uplinks_heard(hub)
        for v in vessels:
            lat, lon = positions[v.vessel_id]
            v.publish("position", {"ts": clock.now().isoformat(), "lat": lat, "lon": lon})
        await until_heard(hub, heard, position=len(vessels))
    finally:
        for v in vessels:
            v.close()
    circle = await post(
        base, h, NOTICE | {"target": {"circle": {"lon": 117.5, "lat": 23.1, "radius_nmi": 35}}}
    )
    assert circle["rollup"]["total"] == 2  # V1 (8 nmi) and V2 (29 nmi); V3 is 66 nmi away
    ring = [[117.4, 22.9], [117.8, 22.9], [117.8, 23.2], [117.4, 23.2], [117.4, 22.9]]
    poly = await post(base, h, NOTICE | {"target": {"polygon": ring}})
    assert poly["rollup"]["total"] == 1
    at_sea = await post(
        base, h, NOTICE | {"target": {"vessels": ["V1", "V2", "V3"], "at_sea": True}}
    )
    ids = {x["vessel_id"] for x in (await rollup(base, h, at_sea["broadcast"]["id"]))["deliveries"]}
    assert ids == {"V1", "V3"}


async def _reachable(hub: Hub, vids: list[str], clock: FakeClock) -> bool:
    return all(hub.outbox.reachable(v, clock.now()) for v in vids)


async def _done(base: str, h: dict[str, str], bid: int, n: int) -> bool:
    r = await rollup(base, h, bid)
    return bool(r["rollup"]["done"] >= n)


def _unused(x: object) -> str:
    return json.dumps(x)


async def test_the_broadcast_command_goes_through_the_api_with_the_users_rights(
    hub_api: tuple[Hub, str, dict[str, str]], clock: FakeClock
) -> None:
    import os
    import sys

    _hub, base, _h = hub_api

    async def sealink(*args: str, password: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "seaLink.cli", *args, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env=dict(os.environ, SEALINK_PASSWORD=password),
        )  # fmt: skip
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode()

    rc, out = await sealink("broadcast", "--api", base, "--user", "admin", "send", "--vessels", "V1,V4",
                            "--title", "出海安全提示", "--body", "请检查救生设备。", "--reply", "confirm",
                            password="admin-pass-123")  # fmt: skip
    assert rc == 0 and "queued for 2 vessels" in out, out
    bid = int(out.split()[1])
    rc, out = await sealink(
        "broadcast", "--api", base, "status", str(bid), password="admin-pass-123"
    )
    assert rc == 0 and "0/2 acknowledged" in out and "missing V1" in out and "missing V4" in out, (
        out
    )
    rc, out = await sealink("broadcast", "--api", base, "--user", "coord1", "send", "--grids", "G02",
                            "--title", "x", "--body", "y", password="coord-pass-1")  # fmt: skip
    assert rc != 0 and "403" in out and "outside your grids" in out, out
    rc, out = await sealink("broadcast", "--api", base, "status", str(bid), password="wrong")
    assert rc != 0 and "401" in out


async def test_a_message_never_confirmed_is_sent_again_then_failed_and_can_be_resent(
    registered: Settings, clock: FakeClock
) -> None:
    settings = registered.model_copy(update={
        "admin_password": "admin-pass-123",
        "messaging": registered.messaging.model_copy(update={"max_attempts": 2}),
    })  # fmt: skip
    hub = Hub(settings, clock=clock)
    async with hub.running():
        base = f"http://127.0.0.1:{settings.api.port}"
        async with aiohttp.ClientSession() as s:
            r = await s.post(
                f"{base}/api/v1/auth/login",
                json={"username": "admin", "password": "admin-pass-123"},
            )
            h = {"Authorization": f"Bearer {(await r.json())['token']}"}
        v = online(hub, "V1", clock)
        try:
            await wait_for(lambda: _reachable(hub, ["V1"], clock))
            bid = (await post(base, h, NOTICE | {"target": {"vessels": ["V1"]}}))["broadcast"]["id"]
            first = await receive(v)  # the terminal never confirms delivery
            clock.advance(61)
            await hub.outbox.settle()
            again = await receive(v)
            assert again["msg_id"] == first["msg_id"]  # the same message, sent again with backoff
            clock.advance(121)
            await hub.outbox.settle()
            await nothing_received(v)
            r1 = await rollup(base, h, bid)
            assert (
                r1["deliveries"][0]["state"] == "failed" and r1["rollup"]["states"]["failed"] == 1
            )
            async with aiohttp.ClientSession(headers=h) as s:
                rr = await s.post(f"{base}/api/v1/broadcasts/{bid}/resend")
                assert (await rr.json())["rearmed"] == 1
            third = await receive(v)
            ack(v, third["msg_id"], "delivered", clock)
            await wait_for(lambda: _state(base, h, bid, "delivered"))
        finally:
            v.close()


async def _state(base: str, h: dict[str, str], bid: int, state: str) -> bool:
    return bool((await rollup(base, h, bid))["deliveries"][0]["state"] == state)


async def test_the_roll_up_is_live_on_the_websocket(
    hub_api: tuple[Hub, str, dict[str, str]], clock: FakeClock
) -> None:
    hub, base, h = hub_api
    token = h["Authorization"].split()[1]
    v = online(hub, "V1", clock)
    try:
        await wait_for(lambda: _reachable(hub, ["V1"], clock))
        async with aiohttp.ClientSession() as s:
            ws = await s.ws_connect(f"{base}/api/v1/events?token={token}")
            bid = (await post(base, h, NOTICE | {"target": {"vessels": ["V1", "V2"]}}))[
                "broadcast"
            ]["id"]
            m = await receive(v)
            ack(v, m["msg_id"], "acknowledged", clock)
            progress: dict[str, Any] = {}
            for _ in range(50):
                frame = json.loads((await ws.receive(timeout=5)).data)
                if frame["type"] == "broadcast_progress" and frame["data"]["broadcast_id"] == bid:
                    progress = frame["data"]
                    if progress["done"] == 1:
                        break
            await ws.close()
        assert progress["total"] == 2 and progress["done"] == 1
        assert progress["states"]["acknowledged"] == 1 and progress["states"]["queued"] == 1
    finally:
        v.close()
