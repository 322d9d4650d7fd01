"""Group robots (issue 20.2, 20.3): alerts reach the WeCom, DingTalk and Feishu groups of the grid
(or of the escalation level) in each tool's own format, DingTalk's and Feishu's signed as their
documentation says (checked here by a local server that computes the signatures itself); each
message carries a short-lived signed link that opens the alert, where the named person logs in
and acknowledges it (audited under their name); a robot that fails is recorded and retried,
never blocking the others. Real hub, broker, store (both databases); local HTTP servers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import RobotSettings, Settings
from tests.brokers import free_port
from tests.test_broadcasts import online
from tests.test_distress import _get, _post, distress
from tests.test_distress_status import _next

DING_SECRET = "SECd1ngd0ngs3cr3t"
FEISHU_SECRET = "f3ishus3cr3t"


class Robots:
    """The three tools' webhooks, as their documentation describes them."""

    def __init__(self) -> None:
        self.port = free_port()
        self.got: dict[str, list[dict[str, Any]]] = {
            "wecom": [],
            "dingtalk": [],
            "feishu": [],
            "broken": [],
        }
        self.refused: list[str] = []

    async def start(self) -> web.AppRunner:
        app = web.Application()

        async def wecom(request: web.Request) -> web.Response:
            body = await request.json()
            ok = (
                request.query.get("key") == "K1"
                and body["msgtype"] == "markdown"
                and body["markdown"]["content"]
            )
            if ok:
                self.got["wecom"].append(body)
            return web.json_response({"errcode": 0 if ok else 93000, "errmsg": "ok"})

        async def ding(request: web.Request) -> web.Response:
            body = await request.json()
            ts = request.query.get("timestamp", "")
            expect = base64.b64encode(hmac.new(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode(),
                                               hashlib.sha256).digest()).decode()  # fmt: skip
            fresh = ts.isdigit() and abs(int(ts) / 1000 - datetime.now(UTC).timestamp()) < 3600
            ok = (request.query.get("access_token") == "T1" and request.query.get("sign") == expect
                  and fresh and body["msgtype"] == "markdown" and body["markdown"]["title"])  # fmt: skip
            if ok:
                self.got["dingtalk"].append(body)
            else:
                self.refused.append("dingtalk")
            return web.json_response(
                {"errcode": 0 if ok else 310000, "errmsg": "ok" if ok else "sign not match"}
            )

        async def feishu(request: web.Request) -> web.Response:
            body = await request.json()
            ts = str(body.get("timestamp", ""))
            expect = base64.b64encode(hmac.new(f"{ts}\n{FEISHU_SECRET}".encode(), b"",
                                               hashlib.sha256).digest()).decode()  # fmt: skip
            ok = (
                body.get("sign") == expect
                and body["msg_type"] == "interactive"
                and body["card"]["elements"]
            )
            if ok:
                self.got["feishu"].append(body)
            return web.json_response(
                {"code": 0 if ok else 19021, "msg": "success" if ok else "sign match fail"}
            )

        async def broken(request: web.Request) -> web.Response:
            self.got["broken"].append(await request.json())
            return web.json_response({"errcode": 45009, "errmsg": "api freq out of limit"})

        app.router.add_post("/cgi-bin/webhook/send", wecom)
        app.router.add_post("/robot/send", ding)
        app.router.add_post("/open-apis/bot/v2/hook/abc", feishu)
        app.router.add_post("/broken", broken)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner


@pytest.fixture
async def robots_hub(registered: Settings) -> AsyncIterator[tuple[Hub, str, Robots, FakeClock]]:
    robots = Robots()
    runner = await robots.start()
    base_url = f"http://127.0.0.1:{robots.port}"
    api_port = registered.api.port
    settings = registered.model_copy(update={
        "admin_password": "admin-pass-123",
        "api": registered.api.model_copy(update={"public_url": f"http://127.0.0.1:{api_port}",
                                                  "link_secret": "links-s3cret"}),
        "alerting": registered.alerting.model_copy(update={"robots": [
            RobotSettings(kind="wecom", url=f"{base_url}/cgi-bin/webhook/send?key=K1", grids=["G01"], levels=[0]),
            RobotSettings(kind="dingtalk", url=f"{base_url}/robot/send?access_token=T1", secret=DING_SECRET, levels=[1, 2]),
            RobotSettings(kind="feishu", url=f"{base_url}/open-apis/bot/v2/hook/abc", secret=FEISHU_SECRET, grids=["G01"]),
            RobotSettings(kind="wecom", url=f"{base_url}/broken", grids=["G02"]),
        ], "channel_timeout_s": 5.0}),
    })  # fmt: skip
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    hub = Hub(settings, clock=clock)
    async with hub.running():
        yield hub, f"http://127.0.0.1:{api_port}", robots, clock
    await runner.cleanup()


async def _login(base: str, user: str, pw: str) -> dict[str, str]:
    async with aiohttp.ClientSession() as s:
        r = await s.post(f"{base}/api/v1/auth/login", json={"username": user, "password": pw})
        return {"Authorization": f"Bearer {(await r.json())['token']}"}


async def test_alerts_reach_each_groups_robot_in_its_format_with_a_link_to_acknowledge(
    robots_hub: tuple[Hub, str, Robots, FakeClock],
) -> None:
    hub, base, robots, clock = robots_hub
    admin = await _login(base, "admin", "admin-pass-123")
    status, _ = await _post(base, admin, "/api/v1/users", {"username": "chen", "password": "chen-pass-123",
                                                           "role": "coordinator", "grids": ["G01"]})  # fmt: skip
    assert status == 201
    v1, v4 = online(hub, "V1", clock), online(hub, "V4", clock)  # V1 in G01, V4 in G02
    try:
        v1.publish("distress", distress(clock))
        await _next(v1, "distress_ack")
        v4.publish("distress", distress(clock, distress_id="NA4-d1"))
        await _next(v4, "distress_ack")
        await hub.drained()
        await hub.alerting.settle()
    finally:
        v1.close()
        v4.close()
    # Level 0 of G01: its WeCom and Feishu groups (DingTalk is for levels 1 and 2 only).
    assert len(robots.got["wecom"]) == 1 and len(robots.got["feishu"]) == 1
    assert robots.got["dingtalk"] == [] and robots.refused == []
    content = robots.got["wecom"][0]["markdown"]["content"]
    assert "粤南澳渔00001" in content and "进水" in content
    card = robots.got["feishu"][0]["card"]
    assert (
        card["header"]["template"] == "red"
        and "粤南澳渔00001" in card["header"]["title"]["content"]
    )
    # G02's robot fails: recorded on the alert, tried again, and G01's robots never waited for it.
    alerts = {a["vessel_id"]: a for a in (await _get(base, admin, "/api/v1/alerts"))["alerts"]}
    g02 = await _get(base, admin, f"/api/v1/alerts/{alerts['V4']['id']}")
    failed = [n for n in g02["notifications"] if n["channel"] == "wecom"]
    assert (
        failed
        and not failed[0]["ok"]
        and "45009" in failed[0]["error"]
        and "try 2" in failed[0]["error"]
    )
    assert "/broken" not in failed[0]["recipient"]  # a robot's URL (its key) is never shown
    clock.advance(timedelta(seconds=hub.settings.alerting.retry_failed_s[0]))
    await hub.alerting.settle()
    assert len(robots.got["broken"]) == 2
    # Nobody acknowledged: the grid leader level reaches the DingTalk group, signed.
    clock.advance(timedelta(seconds=hub.settings.alerting.distress_leader_after_s))
    await hub.alerting.settle()
    assert robots.got["dingtalk"] and robots.refused == []
    assert "网格长" in robots.got["dingtalk"][0]["markdown"]["text"]

    # The link opens the alert (after a login in the console), where the named person acts.
    [link] = re.findall(r"\((http://[^)]+/a/[^)]+)\)", content)
    async with aiohttp.ClientSession() as s:
        r = await s.get(link, allow_redirects=False)
        assert (
            r.status == 302
            and r.headers["Location"] == f"/console/#/alerts?alert={alerts['V1']['id']}"
        )
        forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
        assert (await s.get(forged, allow_redirects=False)).status == 410
    chen = await _login(base, "chen", "chen-pass-123")
    status, acked = await _post(
        base, chen, f"/api/v1/alerts/{alerts['V1']['id']}/ack", {"note": "群里看到"}
    )
    assert status == 200 and acked["acked_by"] == "chen"
    audit = (await _get(base, admin, "/api/v1/audit"))["audit"]
    assert any(e["username"] == "chen" and e["action"] == "alert.ack" for e in audit)
    # A day later the link has expired.
    token = link.rsplit("/a/", 1)[1]
    later = clock.now() + timedelta(seconds=hub.settings.api.link_ttl_s + 1)
    assert hub.links.alert_of(token, clock.now()) == alerts["V1"]["id"]
    assert hub.links.alert_of(token, later) is None
