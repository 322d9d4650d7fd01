"""The reference vessel terminal in headless Chromium, against a real hub and a private Mosquitto
with a WebSocket listener. The page speaks only the public protocol, straight to the broker; the
tests watch the hub (API and store) and, for "exactly once", the broker itself."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.store.tables import AckEvent
from seaLink.terminal.server import TerminalConfig, terminal_server
from tests.brokers import Mosquitto, free_port
from tests.console.conftest import ADMIN_PW, Console, PageErrors, shot
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel

GNSS = {"latitude": 23.35, "longitude": 117.25}  # off Nan'ao, outside every zone
HOLD_MS = 2000  # how long the distress button must be held (distress.js)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A broker of this test's own (it gets restarted), with MQTT over WebSocket for the page."""
    b = Mosquitto(tmp_path / "mosquitto", websockets=True)
    b.start()
    yield b
    b.stop()


@pytest.fixture
def fake_clock() -> FakeClock:
    # The tablet stamps uplinks with its own (real) clock; the hub refuses times ahead of its own.
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def terminal_url(console: Console, broker: Mosquitto) -> AsyncIterator[str]:
    config = TerminalConfig(
        vessel_id="V1", broker_ws=broker.ws_url, prefix=console.hub.settings.mqtt.prefix
    )
    async with terminal_server(config, port=free_port()) as url:
        yield url


@pytest.fixture
async def tablet(
    browser: Browser,
    terminal_url: str,
    page_errors: PageErrors,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Page]:
    """A 10-inch tablet held upright, GNSS allowed, connected and showing the inbox."""
    context = await browser.new_context(
        viewport={"width": 800, "height": 1280},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation=GNSS,
        permissions=["geolocation"],
        has_touch=True,
    )
    p = await context.new_page()
    p.set_default_timeout(15_000)
    p.on("console", lambda m: m.type == "error" and page_errors.seen.append(f"console: {m.text}"))
    p.on("pageerror", lambda exc: page_errors.seen.append(f"exception: {exc}\n{exc.stack}"))
    await p.goto(terminal_url)
    await expect(p.locator("#link")).to_have_attribute("data-state", "online")
    yield p
    failed = request.node.stash.get(_failed_key(), False)
    if failed:
        await shot(p, f"FAILED-{request.node.name}")
    await context.close()
    if not failed:
        assert page_errors.unexpected() == [], "the terminal logged errors"


def _failed_key() -> Any:
    from tests.console import conftest

    return conftest._FAILED


# --- the hub's side, through its API ------------------------------------------------------------


# The admin's token per running hub: log in once, not on every poll (argon2 is slow on purpose).
_tokens: weakref.WeakKeyDictionary[Hub, str] = weakref.WeakKeyDictionary()


async def api(console: Console, method: str, path: str, body: Any = None) -> Any:
    async with aiohttp.ClientSession() as s:
        token = _tokens.get(console.hub)
        if token is None:
            r = await s.post(
                f"{console.base}/api/v1/auth/login",
                json={"username": "admin", "password": ADMIN_PW},
            )
            token = _tokens[console.hub] = (await r.json())["token"]
        r = await s.request(
            method, console.base + path, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        data = await r.json()
        assert r.status < 300, data
        return data


async def broadcast_to_v1(console: Console, title: str) -> int:
    created = await api(
        console,
        "POST",
        "/api/v1/broadcasts",
        {
            "kind": "notice",
            "title": title,
            "body": "明天上午九点，渔政检查消防设备。",
            "reply": "confirm",
            "target": {"vessels": ["V1"]},
        },
    )
    return int(created["broadcast"]["id"])


async def delivery_of_v1(console: Console, bid: int) -> dict[str, Any]:
    r = await api(console, "GET", f"/api/v1/broadcasts/{bid}?deliveries=1")
    return dict(next(d for d in r["deliveries"] if d["vessel_id"] == "V1"))


async def requests_of_v1(console: Console) -> list[dict[str, Any]]:
    r = await api(console, "GET", "/api/v1/requests")
    return [x for x in r["requests"] if x["vessel_id"] == "V1"]


async def distress_alerts_of_v1(console: Console) -> list[dict[str, Any]]:
    r = await api(console, "GET", "/api/v1/alerts")
    return [a for a in r["alerts"] if a["vessel_id"] == "V1" and a["type"] == "distress"]


async def until(predicate: Any) -> None:
    await wait_for(predicate, timeout=15.0)


# --- the broker's side: what the terminal really published --------------------------------------


class UplinkSpy:
    """A persistent MQTT session on the vessel's uplinks: it sees every publication the terminal
    makes, also across a broker restart (its session and queue are on the broker's disk)."""

    def __init__(self, broker: Mosquitto, prefix: str, vid: str) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.topic = f"{prefix}/vessels/{vid}/up/#"
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"spy-{vid}",
            protocol=paho.MQTTv5,
        )
        subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(self.topic, qos=1)
        self.client.on_subscribe = lambda c, u, mid, rc, p=None: subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.2, 1)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", broker.port, 30, clean_start=False, properties=props)
        self.client.loop_start()
        assert subscribed.wait(10), "the spy could not subscribe"

    def _on_message(self, _c: Any, _u: Any, m: paho.MQTTMessage) -> None:
        entry = (m.topic.rsplit("/", 1)[1], json.loads(m.payload))
        with self.lock:
            # The broker sets DUP only when it delivers again to this spy (its PUBACK was lost in
            # the restart); a publisher's own DUP is not passed on (MQTT 5 §3.3.1.1). So a DUP
            # copy of what was seen is the spy's duplicate, and a terminal's resend still counts.
            if m.dup and entry in self.seen:
                return
            self.seen.append(entry)

    def of(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        with self.lock:
            return [
                p
                for k, p in self.seen
                if k == kind
                and isinstance(p, dict)
                and all(p.get(f) == v for f, v in match.items())
            ]

    def backfills(self) -> list[list[dict[str, Any]]]:
        """Position messages that are arrays of kept fixes, every one marked `backfill`."""
        with self.lock:
            return [
                p
                for k, p in self.seen
                if k == "position" and isinstance(p, list) and all(f.get("backfill") for f in p)
            ]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


# --- the tests -----------------------------------------------------------------------------------


async def test_a_notice_reaches_the_inbox_and_the_crews_confirmation_reaches_the_hub(
    tablet: Page, console: Console
) -> None:
    page = tablet
    await expect(page.locator("#link-text")).to_have_text("已连接")
    await expect(page.locator("#inbox-empty")).to_have_text("暂无消息")

    # The terminal said hello and reported the tablet's GNSS position: the hub has both.
    async def located() -> bool:
        v = await api(console, "GET", "/api/v1/vessels/V1")
        pos = v.get("last_position") or {}
        return abs(pos.get("lat", 0) - 23.35) < 1e-6 and abs(pos.get("lon", 0) - 117.25) < 1e-6

    await until(located)

    bid = await broadcast_to_v1(console, "渔港检查通知")
    card = page.locator(f'.msg[data-msg-id="b{bid}-V1"]')
    await expect(card).to_be_visible()
    await expect(card.locator(".msg-kind")).to_have_text("通知")
    await expect(card.locator(".msg-title")).to_have_text("渔港检查通知")
    await expect(page.locator("#unread")).to_have_text("1")
    # Stored on the tablet and shown on screen: `delivered` and `read` reach the hub by themselves.

    async def read() -> bool:
        d = await delivery_of_v1(console, bid)
        return bool(d["delivered_at"] and d["read_at"])

    await until(read)
    assert (await delivery_of_v1(console, bid))["acked_at"] is None
    await shot(page, "terminal-inbox-zh")

    await card.locator(".ack-button").click()
    await expect(card.locator(".msg-done")).to_have_text("✓ 已确认")
    await expect(page.locator("#unread")).to_be_hidden()

    async def acknowledged() -> bool:
        return bool((await delivery_of_v1(console, bid))["acked_at"])

    await until(acknowledged)
    rollup = (await api(console, "GET", f"/api/v1/broadcasts/{bid}"))["rollup"]
    assert rollup["states"]["acknowledged"] == 1, rollup
    await expect(page.locator("#queued-count")).to_have_text("0")
    await shot(page, "terminal-inbox-confirmed-zh")

    # English on the same tablet; the hub's text stays as written.
    await page.click("#lang")
    await expect(page.locator("#link-text")).to_have_text("Connected")
    await expect(card.locator(".msg-kind")).to_have_text("Notice")
    await expect(card.locator(".msg-done")).to_have_text("✓ Confirmed")
    await page.click('.tab[data-target="position"]')
    await expect(page.locator("#position-text")).to_have_text("23.35000°N  117.25000°E")
    await expect(page.locator("#position-source")).to_have_text("GNSS")
    await shot(page, "terminal-position-en")


async def test_a_distress_needs_a_hold_reaches_the_hub_and_shows_the_hubs_acknowledgement(
    tablet: Page, console: Console
) -> None:
    page = tablet
    await page.click('.tab[data-target="distress"]')
    await page.click('#nature-choices .choice[data-value="flooding"]')
    for _ in range(6):
        await page.click("#persons-plus")
    await expect(page.locator("#persons")).to_have_text("6")
    await shot(page, "terminal-distress-form-zh")

    hold = page.locator("#distress-hold")
    # A touch, even a firm one, sends nothing: the hold is cut short.
    await hold.hover()
    await page.mouse.down()
    await page.wait_for_timeout(HOLD_MS / 4)
    await page.mouse.up()
    await page.wait_for_timeout(HOLD_MS + 500)  # past the moment a full hold would have fired
    await expect(page.locator("#distress-form")).to_be_visible()
    assert await page.evaluate("() => window.__terminal.outbox.size()") == 0
    assert await distress_alerts_of_v1(console) == []

    # Held until the bar is full: sent.
    await page.mouse.down()
    panel = page.locator("#distress-active")
    await expect(panel).to_be_visible(timeout=HOLD_MS + 5000)
    await page.mouse.up()
    distress_id = await page.evaluate("() => window.__terminal.store.get('distress').distress_id")

    async def raised() -> bool:
        return len(await distress_alerts_of_v1(console)) == 1

    await until(raised)
    alert = (await distress_alerts_of_v1(console))[0]
    assert alert["ref"] == distress_id and alert["severity"] == "critical"
    assert alert["data"]["nature"] == "flooding" and alert["data"]["persons"] == 6
    assert abs(alert["lat"] - 23.35) < 1e-6 and abs(alert["lon"] - 117.25) < 1e-6

    # The hub stored it and answered with distress_ack: the terminal says so and stops repeating.
    # The shore *system* has it; nobody has seen it yet, and the screen does not pretend otherwise.
    await expect(panel).to_have_attribute("data-state", "acked")
    await expect(page.locator("#distress-status")).to_have_text(
        "✓ 岸基系统已自动收到求救，正在通知值班员"
    )
    await expect(page.locator("#distress-ack-body")).to_contain_text("报警（进水）已自动送达岸基")
    stages = page.locator("#distress-stages .stage")
    await expect(stages.nth(0)).to_contain_text("求救已发出")
    await expect(stages.nth(1)).to_contain_text("岸基系统已自动收到")
    await expect(stages.nth(2)).to_have_attribute("data-state", "waiting")
    await expect(stages.nth(2)).to_have_text("正在通知值班员，等待值班员查看…")
    await expect(page.locator("#distress-detail")).to_contain_text("进水 · 船上人数 6")
    await shot(page, "terminal-distress-acknowledged-zh")

    # A false alarm is cancelled with two presses; the hub records the request to cancel.
    await page.click("#distress-cancel")
    await expect(page.locator("#distress-cancel")).to_have_text(
        "确定是误报吗？将通知岸基取消求救。"
    )
    await page.click("#distress-cancel")
    await expect(panel).to_have_attribute("data-state", "cancel-acked")
    await expect(page.locator("#distress-ack-body")).to_contain_text("已收到取消报警申请")

    async def cancel_requested() -> bool:
        a = (await distress_alerts_of_v1(console))[0]
        return bool(a["data"].get("cancel_requested"))

    await until(cancel_requested)
    await page.click("#distress-done")
    await expect(page.locator("#distress-form")).to_be_visible()


async def test_a_request_reaches_the_hubs_inbox_and_the_coordinators_reply_comes_back(
    tablet: Page, console: Console
) -> None:
    page = tablet
    await page.click('.tab[data-target="request"]')
    await page.click('#category-choices .choice[data-value="medical"]')
    await page.fill("#request-text", "船员高烧不退，请求医疗指导")
    await page.click("#request-send")
    item = page.locator(".request-item").first
    await expect(item).to_have_attribute("data-state", "sent")
    await expect(item.locator(".request-head")).to_contain_text("医疗")
    await expect(item.locator(".request-head")).to_contain_text("已送达")

    async def arrived() -> bool:
        return len(await requests_of_v1(console)) == 1

    await until(arrived)
    req = (await requests_of_v1(console))[0]
    assert req["category"] == "medical" and req["text"] == "船员高烧不退，请求医疗指导"
    await shot(page, "terminal-request-zh")

    reply = await api(
        console, "POST", f"/api/v1/requests/{req['id']}/reply", {"text": "请多饮水，医生稍后来电。"}
    )
    card = page.locator(f'.msg[data-msg-id="{reply["msg_id"]}"]')
    await page.click('.tab[data-target="inbox"]')
    await expect(card).to_be_visible()
    await expect(card.locator(".msg-kind")).to_have_text("回复")
    await expect(card.locator(".msg-body")).to_contain_text("请多饮水，医生稍后来电。")


async def test_the_skipper_reports_leaving_port_with_the_persons_aboard(
    tablet: Page, console: Console
) -> None:
    page = tablet
    await page.click('.tab[data-target="position"]')
    await page.fill("#port-persons", "-1")
    await page.click("#port-out")
    await expect(page.locator("#port-error")).to_have_text("船上人数应为 0 到 500 的整数")
    await page.fill("#port-persons", "5")
    await page.fill("#port-name", "云澳渔港")
    await page.click("#port-out")
    item = page.locator(".port-item")
    await expect(item).to_have_count(1)  # the refused figure was never sent
    await expect(item.first).to_have_attribute("data-state", "sent")
    await expect(item.first).to_contain_text("出港")
    day = (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()

    async def listed() -> list[dict[str, Any]]:
        r = await api(console, "GET", f"/api/v1/ports/log?date={day}")
        return [e for e in r["events"] if e["vessel_id"] == "V1"]

    async def arrived() -> bool:
        return len(await listed()) == 1

    await until(arrived)
    (event,) = await listed()
    assert (event["kind"], event["port"], event["persons"], event["source"]) == (
        "out",
        "云澳渔港",
        5,
        "terminal",
    )
    await shot(page, "terminal-port-report-zh")


async def test_link_loss_is_shown_and_what_was_queued_goes_out_once_after_the_broker_returns(
    tablet: Page, console: Console, broker: Mosquitto, page_errors: PageErrors
) -> None:
    # Chromium reports each refused WebSocket connection as a console error: expected here.
    page_errors.allow(r"WebSocket connection to .* failed")
    page = tablet
    spy = UplinkSpy(broker, console.hub.settings.mqtt.prefix, "V1")
    try:
        bid = await broadcast_to_v1(console, "台风蓝色预警")
        card = page.locator(f'.msg[data-msg-id="b{bid}-V1"]')
        await expect(card).to_be_visible()

        async def read() -> bool:
            return bool((await delivery_of_v1(console, bid))["read_at"])

        await until(read)
        await asyncio.to_thread(broker.stop)
        await expect(page.locator("#link")).to_have_attribute("data-state", "reconnecting")
        await expect(page.locator("#link-text")).to_have_text("连接中断，正在重连")

        # Out of coverage the crew confirms the warning and asks for supplies: both wait.
        await card.locator(".ack-button").click()
        await expect(card.locator(".msg-done")).to_contain_text("待发送")
        await page.click('.tab[data-target="request"]')
        await page.click('#category-choices .choice[data-value="supplies"]')
        await page.fill("#request-text", "淡水不足，请补给船带两吨水")
        await page.click("#request-send")
        await expect(page.locator(".request-item").first).to_have_attribute("data-state", "queued")
        await expect(page.locator("#queued-count")).to_have_text("2")  # the ack, the request
        await shot(page, "terminal-link-lost-zh")
        # A position report out of coverage is kept as history, for after the next hello.
        await page.click('.tab[data-target="position"]')
        await page.click("#position-report")
        await page.wait_for_function(
            "() => window.__terminal.store.get('backfill', []).length === 1"
        )

        # The tablet is switched off and on again: the queue is on its storage, not in memory.
        await page.reload()
        await expect(page.locator("#queued-count")).to_have_text("2")
        await expect(page.locator("#link")).not_to_have_attribute("data-state", "online")

        await asyncio.to_thread(broker.start)
        await expect(page.locator("#link")).to_have_attribute("data-state", "online")
        await expect(page.locator("#link-text")).to_have_text("已连接")
        await expect(page.locator("#queued-count")).to_have_text("0")
        await page.click('.tab[data-target="request"]')
        await expect(page.locator(".request-item").first).to_have_attribute("data-state", "sent")

        async def delivered_to_hub() -> bool:
            acked = (await delivery_of_v1(console, bid))["acked_at"]
            return bool(acked) and len(await requests_of_v1(console)) == 1

        await until(delivered_to_hub)
        request_id = (await requests_of_v1(console))[0]["request_id"]

        # Exactly once on the wire, not only once in the hub (which would deduplicate anyway):
        # a later uplink marks the end, since one client's publications keep their order.
        await page.click('.tab[data-target="position"]')
        await page.fill("#manual-lat", "23.4")
        await page.fill("#manual-lon", "117.3")
        await page.click("#manual-use")
        await expect(page.locator("#position-source")).to_have_text("手动输入（非本机定位）")
        await expect(page.locator("#position-warning")).to_be_visible()

        async def marker_seen() -> bool:
            return len(spy.of("position", lat=23.4, lon=117.3)) == 1

        await until(marker_seen)
        assert len(spy.of("request", request_id=request_id)) == 1
        assert len(spy.backfills()) == 1 and spy.backfills()[0][0]["lat"] == 23.35
        msg_id = f"b{bid}-V1"
        assert len(spy.of("ack", msg_id=msg_id, state="acknowledged")) == 1
        assert len(spy.of("ack", msg_id=msg_id, state="read")) == 1
        await page.click('.tab[data-target="inbox"]')
        await expect(card.locator(".msg-done")).to_have_text("✓ 已确认")
        await shot(page, "terminal-link-back-zh")
    finally:
        spy.close()


async def test_an_uplink_no_hub_was_subscribed_to_is_sent_again_until_one_is(
    browser: Browser, broker: Mosquitto, page_errors: PageErrors
) -> None:
    """protocol.md §4: a PUBACK 0x10 "no matching subscribers" is not an acknowledgement. The
    terminal speaks under a prefix no hub serves (as after a broker restart, before the hubs have
    subscribed again); its request stays queued and is published again, 2 s doubling, until a
    subscriber appears, which then gets it once."""
    prefix = f"nohub{os.getpid()}/v1"
    config = TerminalConfig(vessel_id="V1", broker_ws=broker.ws_url, prefix=prefix)
    async with terminal_server(config, port=free_port()) as url:
        context = await browser.new_context(locale="zh-CN", geolocation=GNSS)
        try:
            page = await context.new_page()
            page.set_default_timeout(15_000)
            page.on("pageerror", lambda exc: page_errors.seen.append(f"exception: {exc}"))
            await page.goto(url)
            await expect(page.locator("#link")).to_have_attribute("data-state", "online")
            await page.click('.tab[data-target="request"]')
            await page.click('#category-choices .choice[data-value="supplies"]')
            await page.fill("#request-text", "缺冰，请求补给")
            await page.click("#request-send")
            await page.wait_for_function("() => window.__terminal.link.resent >= 2", timeout=20_000)
            await expect(page.locator("#queued-count")).to_have_text("1")
            await expect(page.locator(".request-item").first).to_have_attribute(
                "data-state", "queued"
            )

            late_hub = UplinkSpy(broker, prefix, "V1")
            try:
                await expect(page.locator("#queued-count")).to_have_text("0", timeout=20_000)
                await expect(page.locator(".request-item").first).to_have_attribute(
                    "data-state", "sent"
                )
                await asyncio.sleep(3)  # longer than the first back-off: no second copy comes
                copies = late_hub.of("request", text="缺冰，请求补给")
                assert len(copies) == 1, copies
            finally:
                late_hub.close()
        finally:
            await context.close()
    assert page_errors.unexpected() == []


async def test_the_terminal_command_serves_the_page_with_its_vessel_broker_and_password(
    tmp_path: Path,
) -> None:
    port = free_port()
    secret = tmp_path / "NA52445.password"
    secret.write_text("s3cret-pass\n")
    cmd = [
        sys.executable, "-m", "seaLink.cli", "terminal", "--vessel", "NA52445",
        "--broker-ws", "wss://mqtt.example.cn:8084/mqtt", "--port", str(port),
        "--password-file", str(secret), "--lat", "23.3", "--lon", "117.6", "--persons", "7",
    ]  # fmt: skip
    env = dict(os.environ, SEALINK_MQTT__PREFIX="nanao/v1")
    proc = await asyncio.create_subprocess_exec(*cmd, env=env, stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        banner = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert f"http://127.0.0.1:{port}/" in banner and "NA52445" in banner
        async with aiohttp.ClientSession() as s:
            r = await s.get(f"http://127.0.0.1:{port}/config.json")
            config = await r.json()
            assert r.headers["Cache-Control"] == "no-store"
            page = await (await s.get(f"http://127.0.0.1:{port}/")).text()
            vendored = await s.get(f"http://127.0.0.1:{port}/vendor/mqtt/mqtt.min.js")
            assert vendored.status == 200
        assert config | {"terminal": ""} == {
            "vessel_id": "NA52445",
            "broker_ws": "wss://mqtt.example.cn:8084/mqtt",
            "prefix": "nanao/v1",
            "protocol": "5",
            "username": "NA52445",
            "password": "s3cret-pass",
            "lat": 23.3,
            "lon": 117.6,
            "terminal": "",
            "persons": 7,
        }
        assert "海联船载终端" in page and "vendor/mqtt/mqtt.min.js" in page
        assert "http" not in page.replace("http-equiv", "")  # nothing from the internet
    finally:
        proc.terminate()
        await proc.wait()


def test_the_terminal_command_refuses_a_bad_vessel_id_or_broker_url() -> None:
    for args in (["--vessel", "NA 52445"], ["--vessel", "V1", "--broker-ws", "mqtt://x:1883"]):
        run = subprocess.run(
            [sys.executable, "-m", "seaLink.cli", "terminal", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode != 0 and "sealink terminal:" in run.stderr


async def test_the_demos_embedded_broker_takes_the_terminal_over_websocket_with_mqtt_3_1_1(
    browser: Browser, page_errors: PageErrors
) -> None:
    """`sealink demo` runs the terminal on amqtt (MQTT 3.1.1 only) through its WebSocket listener."""
    from seaLink.demo import embedded_broker

    tcp, ws = free_port(), free_port()
    async with embedded_broker(tcp, ws) as url:
        seen: list[tuple[str, bytes, bool]] = []
        spy = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id="spy-demo",
            protocol=paho.MQTTv311,
        )
        subscribed = threading.Event()
        spy.on_connect = lambda c, u, f, rc, p=None: c.subscribe("sealink/v1/vessels/D1/#", qos=1)
        spy.on_subscribe = lambda c, u, mid, rc, p=None: subscribed.set()
        spy.on_message = lambda c, u, m: seen.append((m.topic, m.payload, bool(m.retain)))
        spy.connect("127.0.0.1", int(url.rsplit(":", 1)[1]), 30)
        spy.loop_start()
        config = TerminalConfig(
            vessel_id="D1", broker_ws=f"ws://127.0.0.1:{ws}", protocol="3.1.1", lat=23.3, lon=117.6
        )
        status = "sealink/v1/vessels/D1/status"
        try:
            assert await asyncio.to_thread(subscribed.wait, 10)
            async with terminal_server(config, port=free_port()) as page_url:
                context = await browser.new_context(viewport={"width": 800, "height": 1280})
                page = await context.new_page()
                page.on("pageerror", lambda exc: page_errors.seen.append(f"exception: {exc}"))
                await page.goto(page_url)
                await expect(page.locator("#link")).to_have_attribute("data-state", "online")

                async def reported() -> bool:
                    return any(t.endswith("/up/position") for t, _, _ in seen)

                await until(reported)
                # The tablet vanishes without a goodbye: the broker publishes its will.
                await context.close()

                async def will_published() -> bool:
                    return (status, b"offline", True) in seen or (status, b"offline", False) in seen

                await until(will_published)
        finally:
            spy.disconnect()
            spy.loop_stop()
    topics = [t for t, _, _ in seen]
    # The protocol's connect sequence, in order: online, (subscribe), hello, then the first fix.
    assert topics.index("sealink/v1/vessels/D1/status") < topics.index(
        "sealink/v1/vessels/D1/up/hello"
    )
    assert seen[topics.index("sealink/v1/vessels/D1/status")][1] == b"online"
    assert topics.index("sealink/v1/vessels/D1/up/hello") < topics.index(
        "sealink/v1/vessels/D1/up/position"
    )
    fix = json.loads(seen[topics.index("sealink/v1/vessels/D1/up/position")][1])
    assert (fix["lat"], fix["lon"]) == (23.3, 117.6) and "backfill" not in fix  # the preset
    hello = json.loads(seen[topics.index("sealink/v1/vessels/D1/up/hello")][1])
    assert hello["terminal"] == "SeaLink/reference-terminal/1"
    assert page_errors.unexpected() == []


async def test_a_typhoon_recall_order_is_answered_with_one_press_and_counted_on_the_board(
    tablet: Page, console: Console
) -> None:
    page = tablet
    deadline = console.clock.now() + timedelta(hours=2)
    created = await api(
        console,
        "POST",
        "/api/v1/broadcasts",
        {
            "kind": "warning",
            "title": "台风“海葵”撤离令",
            "body": "所有渔船于今日17时前回港避风。",
            "signal": "orange",
            "recall": {"deadline": deadline.isoformat()},
            "target": {"vessels": ["V1"]},
            "expires_at": (deadline + timedelta(hours=12)).isoformat(),
        },
    )
    bid = created["broadcast"]["id"]
    card = page.locator(f'.msg[data-msg-id="b{bid}-V1"]')
    await expect(card.locator(".msg-kind")).to_have_text("警报")
    await expect(card.locator(".ack-button")).to_have_text(["正在返港", "在他港避风", "已在港"])
    await shot(page, "terminal-recall-order-zh")

    await card.locator(".recall-returning").click()
    await expect(card.locator(".msg-done")).to_have_text("✓ 已确认")

    async def answered() -> bool:
        board = await api(console, "GET", f"/api/v1/broadcasts/{bid}/recall")
        [v1] = [v for v in board["vessels"] if v["vessel_id"] == "V1"]
        # The answer is on the board; whether the boat's track bears it out is the board's own
        # judgement (tests/test_recall_storm.py).
        return bool(v1["acknowledged"] and v1["answer"] == "returning")

    await until(answered)


async def test_a_rescue_task_is_accepted_with_an_eta_that_the_hub_records(
    tablet: Page, console: Console
) -> None:
    page = tablet
    other = TestVessel(console.hub.settings.mqtt.url, "V2", prefix=console.hub.settings.mqtt.prefix)
    try:
        other.publish(
            "distress",
            {
                "distress_id": "V2-d-1",
                "ts": console.clock.now().isoformat(),
                "lat": 23.31,
                "lon": 117.27,
                "nature": "fire",
                "persons": 4,
            },
        )

        async def raised() -> bool:
            r = await api(console, "GET", "/api/v1/alerts")
            return any(a["vessel_id"] == "V2" and a["incident_id"] for a in r["alerts"])

        await until(raised)
        alerts = (await api(console, "GET", "/api/v1/alerts"))["alerts"]
        iid = next(a["incident_id"] for a in alerts if a["vessel_id"] == "V2")
        tasked = await api(console, "POST", f"/api/v1/incidents/{iid}/task", {"vessels": ["V1"]})
        msg_id = tasked["msg_ids"][0]
    finally:
        other.close()

    card = page.locator(f'.msg[data-msg-id="{msg_id}"]')
    await expect(card.locator(".msg-kind")).to_have_text("救援任务")
    await expect(card.locator(".msg-scene")).to_have_text("现场位置 23.31000°N  117.27000°E")
    await card.locator(".eta").fill("25")
    await shot(page, "terminal-rescue-task-zh")
    await card.locator(".ack-button").click()
    await expect(card.locator(".msg-done")).to_have_text("✓ 已接受")

    async def accepted() -> bool:
        async with console.hub.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(AckEvent.eta_min).where(  # type: ignore[call-overload]
                        AckEvent.msg_id == msg_id, AckEvent.state == "accepted"
                    )
                )
            ).all()
        return [r[0] for r in rows] == [25]

    await until(accepted)


QUIZ = [
    {"text": "落水者救生圈应抛向？", "options": ["上风", "下风"], "answer": "A"},
    {"text": "火警电话？", "options": ["110", "119", "120"], "answer": "B"},
]


async def test_a_training_is_attended_with_crew_names_and_quiz_answers(
    tablet: Page, console: Console
) -> None:
    page = tablet
    created = await api(
        console,
        "POST",
        "/api/v1/trainings",
        {
            "title": "海上急救",
            "study_pack": "第一讲：心肺复苏要点",
            "target": {"vessels": ["V1"]},
            "starts_at": (console.clock.now() + timedelta(days=1)).isoformat(),
            "duration_min": 30,
            "quiz": QUIZ,
        },
    )
    tid = created["id"]
    await expect(page.locator(".msg.kind-training .msg-title")).to_have_text("【学习资料】海上急救")
    # The session starts (what the hub's scheduler does at starts_at).
    await console.hub.training.run(tid)
    card = page.locator(".msg.kind-training", has_text="【培训开始】海上急救")
    await expect(card.locator(".quiz-text")).to_have_text(
        ["1. 落水者救生圈应抛向？", "2. 火警电话？"]
    )
    await card.locator('.quiz-option[data-q="0"][data-letter="A"]').click()
    await card.locator('.quiz-option[data-q="1"][data-letter="C"]').click()
    await card.locator('.quiz-option[data-q="1"][data-letter="B"]').click()  # changed its mind
    await expect(card.locator('.quiz-option[aria-checked="true"]')).to_have_text(
        ["A. 上风", "B. 119"]
    )
    await card.locator(".crew").fill("陈海生，林水生")
    await shot(page, "terminal-training-quiz-zh")
    await card.locator(".ack-button").click()
    await expect(card.locator(".msg-done")).to_have_text("✓ 已确认")

    async def attended() -> bool:
        report = await api(console, "GET", f"/api/v1/trainings/{tid}/attendance")
        v1 = next((v for v in report["vessels"] if v["vessel_id"] == "V1"), None)
        return bool(v1 and v1["attended"])

    await until(attended)
    report = await api(console, "GET", f"/api/v1/trainings/{tid}/attendance")
    v1 = next(v for v in report["vessels"] if v["vessel_id"] == "V1")
    assert (v1["crew_count"], v1["score"], v1["passed"]) == (2, 100, True)
    assert sorted(c["crew_member"] for c in report["crew"]) == ["林水生", "陈海生"]


async def test_a_message_is_no_longer_shown_once_it_has_expired(
    tablet: Page, console: Console
) -> None:
    page = tablet
    expires = console.clock.now() + timedelta(hours=2)
    created = await api(
        console,
        "POST",
        "/api/v1/broadcasts",
        {
            "kind": "notice",
            "title": "今晚渔港停电",
            "body": "20时至22时检修线路。",
            "reply": "read",
            "target": {"vessels": ["V1"]},
            "expires_at": expires.isoformat(),
        },
    )
    card = page.locator(f'.msg[data-msg-id="b{created["broadcast"]["id"]}-V1"]')
    await expect(card).to_be_visible()
    # The tablet's clock passes the expiry (the page's own timers keep running).
    await page.clock.set_fixed_time(expires + timedelta(minutes=1))
    await page.click('.tab[data-target="inbox"]')
    await expect(card).to_have_count(0)
    await expect(page.locator("#inbox-empty")).to_be_visible()


async def _raise_on_tablet(page: Page) -> None:
    await page.click('.tab[data-target="distress"]')
    hold = page.locator("#distress-hold")
    await hold.hover()
    await page.mouse.down()
    await expect(page.locator("#distress-active")).to_be_visible(timeout=HOLD_MS + 5000)
    await page.mouse.up()


async def test_the_terminal_tells_each_stage_seen_by_whom_who_is_coming_and_the_end(
    tablet: Page, console: Console
) -> None:
    """Issue 13.5: sent -> received by the shore system (automatic) -> seen by the duty officer
    (named) at a time -> rescue organised: a boat on its way and its ETA -> closed, with the
    outcome; each from the hub's own messages, never before it happened."""
    page, clock = tablet, console.clock
    await _raise_on_tablet(page)

    async def raised() -> bool:
        return len(await distress_alerts_of_v1(console)) == 1

    await until(raised)
    alert = (await distress_alerts_of_v1(console))[0]
    stages = page.locator("#distress-stages .stage")
    await expect(page.locator("#distress-active")).to_have_attribute("data-state", "acked")
    await expect(stages).to_have_count(3)

    acked = await api(console, "POST", f"/api/v1/alerts/{alert['id']}/ack", {"note": ""})
    at = beijing_clock(acked["acked_at"])
    seen = page.locator('#distress-stages .stage[data-stage="seen"]')
    await expect(seen).to_have_text(f"值班员 管理员 已于 {at} 看到您的报警")  # by display name
    await expect(seen).to_have_attribute("data-state", "done")
    await expect(page.locator("#distress-status")).to_have_text("✓ 值班员已看到您的求救")
    await expect(page.locator('.stage[data-stage="organised"]')).to_have_text("正在组织救援…")

    helper = TestVessel(
        console.hub.settings.mqtt.url, "V2", prefix=console.hub.settings.mqtt.prefix
    )
    try:
        task = await api(console, "POST", f"/api/v1/incidents/{alert['incident_id']}/task",
                         {"vessels": ["V2"]})  # fmt: skip
        helper.publish("ack", {"msg_id": task["msg_ids"][0], "state": "accepted", "eta_min": 53,
                               "ts": clock.now().isoformat()})  # fmt: skip
        organised = page.locator('#distress-stages .stage[data-stage="organised"]')
        await expect(organised).to_have_text("救援已组织：粤南澳渔00002 正在前往，预计 53 分钟到达")
        await expect(organised).to_have_attribute("data-state", "done")
        await expect(page.locator("#distress-status")).to_have_text("✓ 救援已组织，正在赶来")
        await shot(page, "terminal-distress-organised-zh")
    finally:
        helper.close()

    await api(console, "POST", f"/api/v1/alerts/{alert['id']}/resolve", {"outcome": "rescued"})
    closed = page.locator('#distress-stages .stage[data-stage="closed"]')
    await expect(closed).to_contain_text("岸基已结案：已救援")
    await expect(page.locator("#distress-cancel")).to_be_hidden()
    assert [await s.get_attribute("data-stage") for s in await stages.all()] == [
        "sent", "received", "seen", "organised", "closed",
    ]  # fmt: skip
    await page.click("#lang")
    await expect(seen).to_have_text(f"Seen by the duty officer 管理员 at {at}")
    await expect(page.locator('.stage[data-stage="received"]')).to_contain_text(
        "Received by the shore system (automatic) at "
    )
    await shot(page, "terminal-distress-stages-en")


def beijing_clock(iso: str) -> str:
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return (when.astimezone(UTC) + timedelta(hours=8)).strftime("%H:%M")


async def test_persons_start_from_the_registry_and_a_position_entered_by_hand_says_so(
    browser: Browser, console: Console, broker: Mosquitto, page_errors: PageErrors
) -> None:
    """No GNSS on this tablet: the position given at set-up is shown, and sent with the distress,
    as entered by hand; the persons aboard start from the registry's figure (--persons)."""
    config = TerminalConfig(vessel_id="V1", broker_ws=broker.ws_url,
                            prefix=console.hub.settings.mqtt.prefix, lat=23.3, lon=117.6, persons=6)  # fmt: skip
    async with terminal_server(config, port=free_port()) as url:
        context = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="zh-CN")
        try:
            page = await context.new_page()
            page.on("pageerror", lambda exc: page_errors.seen.append(f"exception: {exc}"))
            await page.goto(url)
            await expect(page.locator("#link")).to_have_attribute("data-state", "online")
            await page.click('.tab[data-target="position"]')
            await expect(page.locator("#position-source")).to_have_text(
                "手动输入（安装时设定，非本机定位）"
            )
            await expect(page.locator("#position-warning")).to_be_visible()
            await page.click('.tab[data-target="distress"]')
            await expect(page.locator("#persons")).to_have_text("6")
            await expect(page.locator("#persons-registry")).to_have_text(
                "登记在册：6 人（可按实际调整）"
            )
            await expect(page.locator("#distress-where")).to_have_text(
                "将发送的位置：23.30000°N  117.60000°E（手动输入（安装时设定，非本机定位））"
            )
            await shot(page, "terminal-distress-form-registry-zh")
            await _raise_on_tablet(page)

            async def raised() -> bool:
                return len(await distress_alerts_of_v1(console)) == 1

            await until(raised)
            alert = (await distress_alerts_of_v1(console))[0]
            assert alert["data"]["persons"] == 6
            assert "位置为手动输入" in alert["data"]["text"]  # the shore knows it is no fix
        finally:
            await context.close()
    assert page_errors.unexpected() == []


async def test_a_drill_order_shows_a_drill_banner_and_the_distress_then_is_an_exercise(
    tablet: Page, console: Console
) -> None:
    page = tablet
    order = await api(console, "POST", "/api/v1/drills", {"vessel_id": "V1", "kind": "distress"})
    banner = page.locator("#drill-banner")
    await expect(banner).to_be_visible()
    await expect(page.locator("#drill-title")).to_have_text("【演练】遇险报警演练")
    await expect(page.locator("#drill-text")).to_contain_text("此期间发出的求救都标为演练")
    await expect(page.locator("#screen-distress")).to_be_visible()  # brought to the front
    await expect(page.locator("#distress-hold .hold-text")).to_have_text("按住 2 秒发出演练求救")
    await shot(page, "terminal-drill-order-zh")
    await _raise_on_tablet(page)
    await expect(page.locator("#distress-active")).to_have_attribute("data-exercise", "1")

    async def raised() -> bool:
        return len(await distress_alerts_of_v1(console)) == 1

    await until(raised)
    alert = (await distress_alerts_of_v1(console))[0]
    assert alert["exercise"] is True, alert
    await expect(page.locator("#distress-status")).to_contain_text("【演练】")
    await shot(page, "terminal-drill-distress-zh")

    # Once the drill order has expired (2 h after it was given), the tablet is back to real alarms.
    await page.click("#distress-done")
    await page.clock.set_fixed_time(datetime.now(UTC) + timedelta(hours=2, minutes=1))
    await page.click('.tab[data-target="inbox"]')
    await page.click('.tab[data-target="distress"]')
    await expect(banner).to_be_hidden()
    await expect(page.locator("#distress-hold .hold-text")).to_have_text("按住 2 秒发出求救")
    assert order["kind"] == "distress"


def test_the_terminal_takes_persons_aboard_from_the_fleet_csv(tmp_path: Path) -> None:
    from seaLink.store.fleet_io import write_fleet_csv
    from seaLink.terminal.server import registered_persons
    from tests.conftest import small_fleet

    write_fleet_csv(small_fleet(), tmp_path)
    assert registered_persons(tmp_path, "V2") == 6
    with pytest.raises(ValueError, match="not in"):
        registered_persons(tmp_path, "NA99999")
    run = subprocess.run(
        [sys.executable, "-m", "seaLink.cli", "terminal", "--vessel", "NA99999", "--fleet",
         str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode != 0 and "sealink terminal:" in run.stderr and "NA99999" in run.stderr
