"""Fishermen's requests: the grid's inbox, reminders to the coordinator then the leader, a reply
that reaches the boat as a tracked message, assignment and resolution."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp

from seaLink.domain.roles import Role
from seaLink.services.auth import hash_password
from seaLink.store import users
from tests.heard import until_heard, uplinks_heard
from tests.test_broadcasts import online
from tests.test_distress import _get, _post, clock, setup  # noqa: F401  (fixtures)
from tests.test_ingest import wait_for


async def test_a_request_is_answered_with_reminders_while_it_waits(setup: Any) -> None:  # noqa: F811
    hub, base, h, outside = setup
    v = online(hub, "V1", hub.clock)
    try:
        await wait_for(lambda: _reachable(hub))
        req = {
            "request_id": "NA1-r-1",
            "ts": hub.clock.now().isoformat(),
            "category": "equipment",
            "text": "雷达故障，请帮忙联系维修",
        }
        heard = uplinks_heard(hub)
        v.publish("request", req)
        v.publish("request", req)  # a redelivery: still one request
        await until_heard(hub, heard, request=2)
        inbox = (await _get(base, h, "/api/v1/requests"))["requests"]
        assert [(r["vessel_id"], r["state"], r["hull_name"]) for r in inbox] == [
            ("V1", "open", "粤南澳渔00001")
        ]
        rid = inbox[0]["id"]

        await users.create_user(
            hub.db,
            username="g2",
            password_hash=hash_password("coord-pass-2"),
            role=Role.COORDINATOR,
            grid_ids=["G02"],
            now=hub.clock.now(),
        )
        async with aiohttp.ClientSession() as s:
            r = await s.post(
                f"{base}/api/v1/auth/login", json={"username": "g2", "password": "coord-pass-2"}
            )
            g2 = {"Authorization": f"Bearer {(await r.json())['token']}"}
        assert (await _get(base, g2, "/api/v1/requests"))["count"] == 0
        status, _ = await _post(base, g2, f"/api/v1/requests/{rid}/reply", {"text": "不是我的网格"})
        assert status == 404

        hub.clock.advance(timedelta(minutes=59))
        await hub.requests.settle()
        assert [n for n in outside.webhook if n["type"] == "request"] == []
        hub.clock.advance(timedelta(minutes=1))  # an hour unanswered: the coordinator on duty
        await hub.requests.settle()
        hub.clock.advance(timedelta(hours=1))  # two hours: the grid leader too
        await hub.requests.settle()
        told = [
            (n["level"], n["recipient"]["id"]) for n in outside.webhook if n["type"] == "request"
        ]
        assert told == [(0, "C01W"), (1, "C01B"), (1, "C01L")]
        detail = await _get(base, h, f"/api/v1/requests/{rid}")
        assert [e["kind"] for e in detail["log"]] == ["received", "reminded", "reminded"]

        status, sent = await _post(
            base, h, f"/api/v1/requests/{rid}/reply", {"text": "已联系维修站，明早到码头。"}
        )
        assert status == 201
        down = await asyncio.to_thread(v.received.get, True, 10)
        assert (
            down["kind"] == "reply"
            and down["in_reply_to"] == "NA1-r-1"
            and down["msg_id"] == sent["msg_id"]
        )
        heard = uplinks_heard(hub)
        v.publish(
            "ack", {"msg_id": down["msg_id"], "state": "read", "ts": hub.clock.now().isoformat()}
        )
        status, _ = await _post(base, h, f"/api/v1/requests/{rid}/assign", {"username": "admin"})
        assert status == 200
        hub.clock.advance(timedelta(hours=3))  # answered: no more reminders
        await hub.requests.settle()
        assert len([n for n in outside.webhook if n["type"] == "request"]) == 3
        await until_heard(hub, heard, ack=1)
        detail = await _get(base, h, f"/api/v1/requests/{rid}")
        assert detail["state"] == "answered" and detail["assigned_to"] == "admin"
        replied = next(e for e in detail["log"] if e["kind"] == "replied")
        assert replied["delivery"] == "read"
        assert (await _post(base, h, f"/api/v1/requests/{rid}/resolve", {"note": "已修复"}))[
            0
        ] == 200
        assert (await _post(base, h, f"/api/v1/requests/{rid}/resolve", {}))[0] == 409
        assert (await _post(base, h, f"/api/v1/requests/{rid}/reply", {"text": ""}))[0] == 400
    finally:
        v.close()


async def _reachable(hub: Any) -> bool:
    return bool(hub.outbox.reachable("V1", hub.clock.now()))
