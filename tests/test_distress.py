"""Distress end to end: one alert, the distress_ack, routing to the duty roster, escalation that
stops when someone acknowledges, cancellation by the vessel, the incident log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.tables import Coordinator, DutyShift, GridCoordinator
from tests.brokers import free_port
from tests.heard import until_heard, uplinks_heard
from tests.test_broadcasts import online
from tests.test_ingest import wait_for


class Outside:
    """The webhook and SMS gateway we do not run: a local server that records what it gets."""

    def __init__(self) -> None:
        self.webhook: list[dict[str, Any]] = []
        self.port = free_port()

    async def start(self) -> web.AppRunner:
        app = web.Application()

        async def hook(request: web.Request) -> web.Response:
            self.webhook.append(await request.json())
            return web.json_response({"ok": True})

        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner

    def levels(self, alert_id: int) -> list[tuple[int, str]]:
        return [
            (n["level"], n["recipient"]["id"]) for n in self.webhook if n["alert_id"] == alert_id
        ]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def setup(
    registered: Settings, clock: FakeClock
) -> AsyncIterator[tuple[Hub, str, dict[str, str], Outside]]:
    outside = Outside()
    runner = await outside.start()
    dead_port = free_port()  # nothing listens: the SMS channel fails
    settings = registered.model_copy(update={
        "admin_password": "admin-pass-123",
        "alerting": registered.alerting.model_copy(update={
            "webhook_url": f"http://127.0.0.1:{outside.port}/hook",
            "sms_webhook_url": f"http://127.0.0.1:{dead_port}/sms",
            "county_desk_phone": "0754-12395", "channel_timeout_s": 2.0,
        }),
    })  # fmt: skip
    db = Database(settings.store.url)
    async with db.engine.begin() as conn:
        await conn.execute(Coordinator.__table__.insert(), [  # type: ignore[attr-defined]
            {"id": "C01W", "name": "黄志明", "phone": "13900000011", "email": "w@example.cn"},
            {"id": "C01B", "name": "吴少雄", "phone": "13900000012", "email": "b@example.cn"},
        ])  # fmt: skip
        await conn.execute(
            GridCoordinator.__table__.insert(), [{"grid_id": "G01", "coordinator_id": "C01W"}]
        )  # type: ignore[attr-defined]
        await conn.execute(DutyShift.__table__.insert(), [{  # type: ignore[attr-defined]
            "grid_id": "G01", "coordinator_id": "C01W", "backup_id": "C01B",
            "starts_at": clock.now() - timedelta(hours=1), "ends_at": clock.now() + timedelta(hours=11),
        }])  # fmt: skip
    await db.dispose()
    hub = Hub(settings, clock=clock)
    async with hub.running():
        base = f"http://127.0.0.1:{settings.api.port}"
        async with aiohttp.ClientSession() as s:
            r = await s.post(
                f"{base}/api/v1/auth/login",
                json={"username": "admin", "password": "admin-pass-123"},
            )
            h = {"Authorization": f"Bearer {(await r.json())['token']}"}
        yield hub, base, h, outside
    await runner.cleanup()


def distress(clock: FakeClock, **extra: Any) -> dict[str, Any]:
    return {
        "distress_id": "NA1-d1",
        "ts": clock.now().isoformat(),
        "lat": 23.1012,
        "lon": 117.5531,
        "nature": "flooding",
        "persons": 6,
        "text": "机舱进水",
    } | extra


async def _get(base: str, h: dict[str, str], path: str) -> Any:
    async with aiohttp.ClientSession(headers=h) as s:
        r = await s.get(base + path)
        return await r.json()


async def _post(base: str, h: dict[str, str], path: str, body: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession(headers=h) as s:
        r = await s.post(base + path, json=body)
        return r.status, await r.json()


async def _distress_alert(base: str, h: dict[str, str]) -> dict[str, Any]:
    alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
    [a] = [a for a in alerts if a["type"] == "distress"]
    return dict(a)


async def test_a_distress_is_acknowledged_to_the_boat_routed_escalated_and_stopped_by_a_coordinator(
    setup: tuple[Hub, str, dict[str, str], Outside], clock: FakeClock
) -> None:
    hub, base, h, outside = setup
    v = online(hub, "V1", clock)
    try:
        await wait_for(lambda: _reachable(hub, clock))
        v.publish("distress", distress(clock))
        ack = await asyncio.to_thread(v.received.get, True, 10)
        assert (
            ack["kind"] == "distress_ack"
            and ack["distress_id"] == "NA1-d1"
            and ack["priority"] == 0
        )
        heard = uplinks_heard(hub)
        for _ in range(2):  # the terminal repeats anyway (say, it missed the ack): still one alert
            clock.advance(30)
            v.publish("distress", distress(clock, lat=23.1020))
        await until_heard(hub, heard, distress=2)
        alert = await _distress_alert(base, h)
        assert alert["severity"] == "critical" and alert["grid_id"] == "G01"
        full = await _get(base, h, f"/api/v1/alerts/{alert['id']}")
        assert full["repeats"] == 2 and full["lat"] == pytest.approx(23.1020)
        await hub.alerting.settle()
        assert outside.levels(alert["id"]) == [(0, "C01W")]  # the coordinator on duty, once
        sms = [
            n
            for n in full["notifications"]
            + (await _get(base, h, f"/api/v1/alerts/{alert['id']}"))["notifications"]
            if n["channel"] == "sms"
        ]
        assert sms and not sms[0]["ok"] and sms[0]["error"]  # a failing channel is recorded ...
        assert any(
            n["channel"] == "webhook" and n["ok"]
            for n in (await _get(base, h, f"/api/v1/alerts/{alert['id']}"))["notifications"]
        )

        clock.advance(timedelta(minutes=2))  # nobody acknowledged: the leader and the backup
        await hub.alerting.settle()
        assert sorted(outside.levels(alert["id"])) == [(0, "C01W"), (1, "C01B"), (1, "C01L")]

        status, acked = await _post(
            base, h, f"/api/v1/alerts/{alert['id']}/ack", {"note": "已联系附近渔船"}
        )
        assert status == 200 and acked["state"] == "acknowledged" and acked["acked_by"] == "admin"
        clock.advance(timedelta(minutes=10))  # acknowledging stopped the escalation
        await hub.alerting.settle()
        assert max(level for level, _ in outside.levels(alert["id"])) == 1

        status, done = await _post(
            base,
            h,
            f"/api/v1/alerts/{alert['id']}/resolve",
            {"outcome": "rescued", "note": "拖带回港"},
        )
        assert status == 200 and done["state"] == "resolved" and done["outcome"] == "rescued"
        incident = await _get(base, h, f"/api/v1/incidents/{done['incident_id']}")
        assert [e["kind"] for e in incident["log"]] == [
            "alarm",
            "escalated",
            "acknowledged",
            "resolved",
        ]
        assert "进水" in incident["log"][0]["text"] and incident["persons_at_risk"] == 6
        assert incident["closed_at"] is not None
    finally:
        v.close()


async def test_an_unacknowledged_distress_reaches_the_county_desk(
    setup: tuple[Hub, str, dict[str, str], Outside], clock: FakeClock
) -> None:
    hub, base, h, outside = setup
    v = online(hub, "V2", clock)
    try:
        await wait_for(lambda: _reachable(hub, clock, "V2"))
        v.publish("distress", distress(clock, distress_id="NA2-d1", nature="fire"))
        await asyncio.to_thread(v.received.get, True, 10)
        await hub.drained()
        alert = await _distress_alert(base, h)
        for minutes in (2, 2):
            clock.advance(timedelta(minutes=minutes))
            await hub.alerting.settle()
        assert (2, "county-desk") in outside.levels(alert["id"])
        assert (await _get(base, h, f"/api/v1/alerts/{alert['id']}"))["escalation_level"] == 2
    finally:
        v.close()


async def test_a_vessel_cancellation_needs_a_coordinators_confirmation(
    setup: tuple[Hub, str, dict[str, str], Outside], clock: FakeClock
) -> None:
    hub, base, h, _outside = setup
    v = online(hub, "V3", clock)
    try:
        await wait_for(lambda: _reachable(hub, clock, "V3"))
        v.publish("distress", distress(clock, distress_id="NA3-d1"))
        await asyncio.to_thread(v.received.get, True, 10)
        v.publish(
            "distress", distress(clock, distress_id="NA3-d1", cancel=True, reason="误触报警按钮")
        )
        answer = await asyncio.to_thread(v.received.get, True, 10)
        assert answer["kind"] == "distress_ack" and answer["cancel"] is True
        await hub.drained()
        alert = await _distress_alert(base, h)
        assert alert["state"] == "raised"  # still open until a coordinator confirms
        full = await _get(base, h, f"/api/v1/alerts/{alert['id']}")
        assert any(
            e["action"] == "cancel_requested" and e["note"] == "误触报警按钮"
            for e in full["events"]
        )
        status, done = await _post(
            base, h, f"/api/v1/alerts/{alert['id']}/resolve", {"outcome": "false_alarm"}
        )
        assert status == 200 and done["outcome"] == "false_alarm"
        status, _again = await _post(
            base, h, f"/api/v1/alerts/{alert['id']}/resolve", {"outcome": "false_alarm"}
        )
        assert status == 409
        status, bad = await _post(
            base, h, f"/api/v1/alerts/{alert['id']}/resolve", {"outcome": "maybe"}
        )
        assert status == 400 and "outcome" in bad["message"]
    finally:
        v.close()


async def _reachable(hub: Hub, clock: FakeClock, vid: str = "V1") -> bool:
    return hub.outbox.reachable(vid, clock.now())
