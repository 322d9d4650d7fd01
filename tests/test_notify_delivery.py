"""Delivery of alert notifications tracked per person and channel (issue 20.3), like a broadcast's:
sent / retrying / failed / held / acknowledged, on the alert (API field `delivery`, the console's
alert page); a failing channel is retried and reported (the record, the log, the metric) and never
holds up the others. Real hub, broker and store; the SMS gateway and the webhook are local HTTP
servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from seaLink.clock import FakeClock
from seaLink.domain.roles import Role
from seaLink.runtime import Hub
from seaLink.services.auth import hash_password
from seaLink.services.delivery import delivery
from seaLink.services.dispatch import HELD_NOTE, RETRY_NOTE
from seaLink.settings import Settings
from seaLink.store import users
from tests.brokers import free_port
from tests.test_broadcasts import online
from tests.test_distress import _get, _post, distress
from tests.test_distress_status import _next
from tests.test_group_robots import _login
from tests.test_ingest import wait_for


@dataclass
class Gateways:
    """An SMS gateway that answers at once, and a webhook that holds its first request until
    released and then answers 500, and 200 after that."""

    port: int = field(default_factory=free_port)
    sms: list[dict[str, Any]] = field(default_factory=list)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> web.AppRunner:
        async def sms(request: web.Request) -> web.Response:
            self.sms.append(await request.json())
            return web.json_response({"ok": True})

        async def hook(request: web.Request) -> web.Response:
            self.hooks.append(await request.json())
            if len(self.hooks) == 1:
                await self.release.wait()
                return web.Response(status=500, text="down for maintenance")
            return web.json_response({"ok": True})

        app = web.Application()
        app.router.add_post("/sms", sms)
        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner


@pytest.fixture
async def gateway_hub(registered: Settings) -> AsyncIterator[tuple[Hub, str, Gateways, FakeClock]]:
    gw = Gateways()
    runner = await gw.start()
    url = f"http://127.0.0.1:{gw.port}"
    settings = registered.model_copy(update={
        "admin_password": "admin-pass-123",
        # A long time limit: only the held webhook could make the SMS wait, and it must not.
        "alerting": registered.alerting.model_copy(update={
            "webhook_url": f"{url}/hook", "sms_webhook_url": f"{url}/sms",
            "channel_timeout_s": 60.0, "retry_failed_s": [30, 120]}),
    })  # fmt: skip
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    hub = Hub(settings, clock=clock)
    async with hub.running():
        yield hub, f"http://127.0.0.1:{settings.api.port}", gw, clock
    gw.release.set()
    await runner.cleanup()


def _by_channel(alert: dict[str, Any], rid: str) -> dict[str, dict[str, Any]]:
    return {d["channel"]: d for d in alert["delivery"] if d["recipient_id"] == rid}


async def test_each_channel_of_each_person_is_tracked_retried_and_never_holds_up_another(
    gateway_hub: tuple[Hub, str, Gateways, FakeClock],
) -> None:
    hub, base, gw, clock = gateway_hub
    admin = await _login(base, "admin", "admin-pass-123")
    v1 = online(hub, "V1", clock)
    try:
        v1.publish("distress", distress(clock))
        await _next(v1, "distress_ack")
    finally:
        v1.close()

    # G01's grid worker (陈海生, C01L) gets the SMS while the webhook still holds its request.
    async def sms_sent() -> bool:
        return bool(gw.sms) and len(gw.hooks) == 1

    await wait_for(sms_sent)
    assert gw.sms[0]["to"] == "13800000001" and "粤南澳渔00001" in gw.sms[0]["text"]
    assert not gw.release.is_set()
    gw.release.set()
    await hub.drained()
    await hub.alerting.settle()

    [alert] = (await _get(base, admin, "/api/v1/alerts"))["alerts"]
    got = await _get(base, admin, f"/api/v1/alerts/{alert['id']}")
    told = _by_channel(got, "C01L")
    assert set(told) == {"console", "sms", "webhook"}
    assert told["sms"]["state"] == "sent" and told["sms"]["attempts"] == 1
    assert told["sms"]["recipient_name"] == "陈海生"
    hook = told["webhook"]
    assert hook["state"] == "retrying" and hook["attempts"] == 1 and hook["sent_at"] is None
    assert "500" in hook["error"] and "try 2 in 30 s" in hook["error"]
    # Reported: counted for the operators' dashboards too.
    async with aiohttp.ClientSession() as s:
        metrics = await (await s.get(f"{base}/metrics")).text()
    assert 'sealink_notifications_total{channel="webhook",result="failed"} 1.0' in metrics
    assert 'sealink_notifications_total{channel="sms",result="sent"} 1.0' in metrics

    # The retry goes through: sent, on the second attempt.
    clock.advance(timedelta(seconds=30))
    await hub.alerting.settle()
    assert len(gw.hooks) == 2 and gw.hooks[1]["alert_id"] == alert["id"]
    got = await _get(base, admin, f"/api/v1/alerts/{alert['id']}")
    hook = _by_channel(got, "C01L")["webhook"]
    assert hook["state"] == "sent" and hook["attempts"] == 2 and hook["error"] == ""
    assert len(got["notifications"]) == 4  # every attempt stays on record

    # 陈海生 acknowledges under his own login: what reached him is acknowledged; the county
    # desk (not told yet) and nobody else is.
    await users.create_user(hub.db, username="chen", password_hash=hash_password("chen-pass-123"),
                            role=Role.COORDINATOR, grid_ids=["G01"], now=clock.now(),
                            coordinator_id="C01L")  # fmt: skip
    chen = await _login(base, "chen", "chen-pass-123")
    status, acked = await _post(base, chen, f"/api/v1/alerts/{alert['id']}/ack", {"note": ""})
    assert status == 200
    assert {d["state"] for d in _by_channel(acked, "C01L").values()} == {"acknowledged"}


def _note(rid: str, channel: str, ok: bool, error: str = "", level: int = 0) -> dict[str, Any]:
    return {"recipient": f"{rid} x", "recipient_id": rid, "recipient_name": rid.upper(),
            "channel": channel, "level": level, "ts": "2026-09-01T00:00:00Z", "ok": ok,
            "error": error}  # fmt: skip


def test_where_a_delivery_stands_is_what_its_last_attempt_did() -> None:
    retry = "RuntimeError: SMS gateway answered 502" + RETRY_NOTE.format(attempt=2, wait=30)
    notes = [
        _note("c1", "sms", False, retry),
        _note("c1", "sms", False, "RuntimeError: SMS gateway answered 502"),  # tries used up
        _note("c1", "email", False, HELD_NOTE),
        _note("c2", "sms", True),
        _note("c2", "webhook", False, retry, level=1),
        _note("robot:wecom", "wecom", True),
    ]
    got = {(d["recipient_id"], d["channel"]): d for d in delivery(notes, {"c2"})}
    assert got["c1", "sms"]["state"] == "failed" and got["c1", "sms"]["attempts"] == 2
    assert got["c1", "email"]["state"] == "held" and got["c1", "email"]["attempts"] == 0
    assert got["c2", "sms"]["state"] == "acknowledged"
    assert got["c2", "webhook"]["state"] == "retrying"  # acknowledged only what reached them
    assert got["robot:wecom", "wecom"]["state"] == "sent"
    assert [d["recipient_id"] for d in delivery(notes, set())] == [
        "c1",
        "c1",
        "c2",
        "c2",
        "robot:wecom",
    ]
