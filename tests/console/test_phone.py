"""The console on a grid worker's phone (issue 20): at 390 x 844 (a phone) and 768 x 1024 (an
upright tablet), the jobs done away from a desk, each page checked for anything wider than the
screen and for touch targets under 44 px; the console installable, its last data shown offline
marked as stale; a distress call shakes the phone."""

from __future__ import annotations

import asyncio
import re
import struct
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from seaLink.settings import Settings
from seaLink.store.queries import count_positions
from tests.brokers import free_port
from tests.console.conftest import _FAILED, ADMIN_PW, COORD_PW, Console, PageErrors, shot
from tests.console.helpers import RESERVE, at, drawn, login
from tests.test_broadcasts import online
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
SPOTS = {"V1": (23.00, 117.50), "V2": (23.05, 117.55), "V3": (23.10, 117.60), "V4": (23.2, 117.7)}

# What the page lays out wider than the screen, and the touch targets under 44 px. The map's layers
# are clipped by the map; a card table's column headings are hidden (they label the cells); a link
# inside a sentence is not a touch target of its own (WCAG 2.5.8's inline exception).
LAYOUT = """() => {
    const W = window.innerWidth;
    const say = (el, r) => `${el.tagName.toLowerCase()}.${String(el.className).trim().replace(/\\s+/g, '.')}`
        + ` "${(el.textContent || '').trim().slice(0, 24)}" ${Math.round(r.left)}..${Math.round(r.right)}`
        + ` x ${Math.round(r.width)}x${Math.round(r.height)}`;
    const wide = [], small = [];
    const page = document.scrollingElement.scrollWidth;
    if (page > W) wide.push(`the page scrolls sideways: ${page} > ${W}`);
    for (const el of document.querySelectorAll('body *')) {
        if (el.closest('.leaflet-map-pane, thead, svg')) continue;
        const r = el.getBoundingClientRect();
        if (!r.width || !el.checkVisibility()) continue;
        if (r.left < -1 || r.right > W + 1) wide.push(say(el, r));
    }
    const targets = 'a[href], button, select, input:not([type=hidden]), textarea, [role=tab]';
    for (const el of document.querySelectorAll(targets)) {
        if (el.closest('p, li, .leaflet-control-attribution, thead')) continue;
        if (!el.checkVisibility()) continue;
        const box = (/^(checkbox|radio)$/.test(el.type) && el.closest('label')) || el;
        const r = box.getBoundingClientRect();
        if (!r.width) continue;
        if (r.height < 43.5 || r.width < 43.5) small.push(say(box, r));
    }
    return { wide, small };
}"""


async def fits(page: Page, name: str) -> None:
    """The page as it stands: a screenshot to look at, nothing wider than the screen, no small
    targets."""
    await page.wait_for_timeout(0)  # let a redraw scheduled for the next frame land
    await page.evaluate("() => new Promise((r) => requestAnimationFrame(() => r()))")
    await shot(page, name)
    found: dict[str, list[str]] = await page.evaluate(LAYOUT)
    assert found["wide"] == [], f"{name}: wider than the screen"
    assert found["small"] == [], f"{name}: touch targets under 44 px"


@pytest.fixture
def registered(registered: Settings) -> Settings:
    """The hub's webhook is down (nothing listens): its failed sends show on the alert."""
    down = f"http://127.0.0.1:{free_port()}/hook"
    return registered.model_copy(update={
        "alerting": registered.alerting.model_copy(update={"webhook_url": down})})  # fmt: skip


@pytest.fixture
async def phone_context(
    browser: Browser, console: Console, page_errors: PageErrors, request: pytest.FixtureRequest
) -> AsyncIterator[BrowserContext]:
    # `console` so that the hub outlives the browser (fixtures end in reverse order): the other
    # way round, a page's event stream, reconnecting to a hub already gone, logged an error
    # before the context was closed (seen on a busy machine).
    size = getattr(request, "param", PHONE)
    context = await browser.new_context(
        viewport=size, is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="UTC"
    )

    def watch(p: Page) -> None:
        p.set_default_timeout(10_000)
        p.on("console", lambda m: m.type == "error" and page_errors.seen.append(m.text))
        p.on("pageerror", lambda exc: page_errors.seen.append(f"exception: {exc}"))

    context.on("page", watch)
    yield context
    failed = request.node.stash.get(_FAILED, False)
    if failed:
        for i, p in enumerate(context.pages):
            await shot(p, f"FAILED-{request.node.name}-{i}")
    await context.close()
    if not failed:
        assert page_errors.unexpected() == [], "the page logged errors"


async def _at_sea(console: Console, vids: list[str]) -> dict[str, TestVessel]:
    hub, clock = console.hub, console.clock
    boats = {vid: online(hub, vid, clock) for vid in vids}
    for vid in vids:
        lat, lon = SPOTS[vid]
        boats[vid].publish("position", {"ts": clock.now().isoformat(), "lat": lat, "lon": lon,
                                        "sog": 0.5, "cog": 10})  # fmt: skip

    async def reachable() -> bool:
        return all(hub.outbox.reachable(v, clock.now()) for v in boats)

    await wait_for(reachable)
    await hub.drained()
    return boats


async def _recall_by_admin(console: Console) -> int:
    """A typhoon recall to grid G01, sent by the admin at the desk (a grid worker sees the
    broadcasts to their own grids)."""
    deadline = console.clock.now() + timedelta(hours=2)
    async with aiohttp.ClientSession(console.base) as s:
        async with s.post("/api/v1/auth/login",
                          json={"username": "admin", "password": ADMIN_PW}) as r:  # fmt: skip
            token = (await r.json())["token"]
        body = {"kind": "warning", "title": "台风撤离令", "body": "所有渔船回港避风。",
                "target": {"grids": ["G01"]}, "signal": "orange",
                "recall": {"deadline": deadline.isoformat()}}  # fmt: skip
        async with s.post("/api/v1/broadcasts", json=body,
                          headers={"Authorization": f"Bearer {token}"}) as r:  # fmt: skip
            assert r.status == 201, await r.text()
            return int((await r.json())["broadcast"]["id"])


@pytest.mark.parametrize(
    "phone_context", [PHONE, TABLET], ids=["390x844", "768x1024"], indirect=True
)
async def test_a_grid_worker_does_the_field_jobs_on_a_phone(
    phone_context: BrowserContext, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    page = await phone_context.new_page()
    size = page.viewport_size
    assert size is not None
    tag = f"phone-{size['width']}"
    boats = await _at_sea(console, ["V1", "V2", "V3", "V4"])
    try:
        # A zone alert in G01: V2 inside the reserve.
        clock.advance(timedelta(minutes=1))  # a fix of its own time (the same time is a repeat)
        before = await count_positions(hub.db, "V2")
        boats["V2"].publish("position", at(clock, 0, **RESERVE))

        async def stored() -> bool:
            return await count_positions(hub.db, "V2") > before

        await wait_for(stored)
        await hub.drained()
        await login(page, console.base, "coord1", COORD_PW)

        # My grid's boats, on the map and in the list; the map starts on the first screen, under
        # the header, the alarm banner and the counters.
        await expect(page.locator(".banner-item").first).to_be_visible()
        await expect(page.locator(".vrow")).to_have_count(3)
        await expect(page.locator(".fleet-list")).not_to_contain_text("粤南澳渔00004")
        for vid in ("V1", "V2", "V3"):
            assert await drawn(page, vid)
        top = await page.evaluate(
            "() => document.querySelector('.fleet-body .map').getBoundingClientRect().top"
        )
        assert top + 150 < size["height"], "the map starts below the first screen"
        nav = page.locator(".main-nav")
        box = await nav.bounding_box()
        assert box and box["y"] + box["height"] == pytest.approx(size["height"], abs=1)
        for link in await nav.locator(".nav-link, .nav-more").all():  # one line, never wrapped
            assert len(await link.locator(".nav-text").evaluate("e => e.getClientRects()")) == 1
        await fits(page, f"{tag}-fleet")

        # Everything else is under "more": pages, who is logged in, the language, logging out.
        await page.click(".nav-more")
        await expect(page.locator(".phone-sheet .logout")).to_be_visible()
        await expect(page.locator(".phone-sheet .nav-link[data-route=trainings]")).to_be_visible()
        await fits(page, f"{tag}-more")
        await page.click(".nav-more")
        await expect(page.locator(".phone-sheet")).to_be_hidden()

        # Open a boat.
        await page.locator(".vrow", has_text="粤南澳渔00001").click()
        await page.click(".vessel-panel a.button")
        await expect(page).to_have_url(re.compile(r"#/vessel/V1$"))
        await expect(page.locator(".vessel-page, .page").first).to_contain_text("粤南澳渔00001")
        await expect(page.locator(".details").first).to_contain_text("412000001")  # read in
        await fits(page, f"{tag}-vessel")

        # My alerts as cards; acknowledge one, then resolve it.
        await page.click(".nav-link[data-route=alerts]")
        card = page.locator(".alert-row", has_text="进入管控海域")
        await expect(card).to_have_count(1)
        await expect(card.locator("td").first).to_have_attribute("data-label", re.compile(".+"))
        await fits(page, f"{tag}-alerts")
        # Opened as from a group robot's message: its signed link, to the alert itself.
        aid = int(await card.get_attribute("data-alert-id") or 0)
        await page.goto(f"{console.base}/a/{hub.links.token(aid, clock.now())}")
        await expect(page.locator(".alert-page h1")).to_contain_text("进入管控海域")
        await page.click(".alert-ack")
        await expect(page.locator(".alert-page")).to_contain_text("已确认（coord1")
        await fits(page, f"{tag}-alert")
        await page.click(".alert-resolve")
        await expect(page.locator(".alert-resolve")).to_be_disabled()

        # A distress call: sound and a shake; the incident opened from the banner, boats tasked.
        before = await page.evaluate("() => window.__sealinkVibrations")
        boats["V1"].publish("distress", {"distress_id": "d1", "ts": clock.now().isoformat(),
                                         "lat": 23.0, "lon": 117.5, "nature": "flooding",
                                         "persons": 6})  # fmt: skip
        await asyncio.to_thread(boats["V1"].received.get, True, 10)
        await page.wait_for_function("(n) => window.__sealinkVibrations > n", arg=before)
        assert await page.evaluate("() => window.__sealinkSounds.distress") >= 1
        await page.click(".banner-item[data-type=distress] .banner-view")
        await expect(page.locator(".incident-page h1")).to_contain_text("遇险事件")
        await expect(page.locator(".nearest-row")).not_to_have_count(0)
        await page.click(".incident-page .alert-ack")
        # As a person does: the acknowledgement shown (the page redrawn with it), then the task.
        await expect(page.locator(".incident-state")).to_contain_text("已确认（coord1")
        await page.click(".task-top2")
        await expect(page.locator('.log-entry[data-kind="tasked"]')).to_have_count(1)
        # Who was told of the distress, on which channel, where it stands.
        told = page.locator(".delivery-row[data-recipient=C01L][data-channel=console]")
        await expect(told).to_contain_text("陈海生")
        await expect(told).to_contain_text("已发出")
        hook = page.locator(".delivery-row[data-recipient=C01L][data-channel=webhook]")
        await expect(hook).to_contain_text("失败，将重试")
        await expect(hook).to_have_attribute("data-state", "retrying")
        await fits(page, f"{tag}-incident")

        # A broadcast's roll-up and the recall board.
        bid = await _recall_by_admin(console)
        await page.click(".nav-link[data-route=broadcasts]")
        await expect(page.locator(".bc-row-item")).to_have_count(1)
        await fits(page, f"{tag}-broadcasts")
        await page.click(f".bc-row-item[data-broadcast-id='{bid}'] .bc-title-link")
        await expect(page.locator(".bc-summary h2")).to_contain_text("台风撤离令")
        await expect(page.locator(".bc-percent-big")).to_be_visible()  # the roll-up is in
        await fits(page, f"{tag}-broadcast")
        await page.click(".bc-summary .bc-recall-link")
        await expect(page.locator(".recall-boat-row")).not_to_have_count(0)
        await fits(page, f"{tag}-recall")

        # A fisherman's request, answered.
        boats["V3"].publish("request", {"request_id": "r-1", "ts": clock.now().isoformat(),
                                        "category": "equipment", "text": "雷达故障"})  # fmt: skip
        await page.click(".nav-link[data-route=requests]")
        row = page.locator(".request-row", has_text="雷达故障")
        await expect(row).to_have_count(1)
        await fits(page, f"{tag}-requests")
        await row.locator(".request-text").click()
        await page.locator(".request-detail textarea").fill("维修人员明早到码头")
        await page.click(".request-reply")
        await expect(page.locator(".request-log")).to_contain_text("维修人员明早到码头")
        await fits(page, f"{tag}-request")
    finally:
        for b in boats.values():
            b.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_the_phone_console_installs_and_shows_its_last_data_offline_marked_stale(
    phone_context: BrowserContext, console: Console, page_errors: PageErrors
) -> None:
    # Offline, the live link cannot connect and what was never kept cannot load: said, expected.
    page_errors.allow("ERR_INTERNET_DISCONNECTED")
    page_errors.allow("Failed to load resource: net::ERR_FAILED")
    page = await phone_context.new_page()
    # Installable: a manifest with icons of the sizes it says.
    res = await page.request.get(f"{console.base}/console/manifest.webmanifest")
    assert res.ok and res.headers["content-type"].startswith("application/manifest+json")
    manifest: dict[str, Any] = await res.json()
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("./")
    for icon in manifest["icons"]:
        got = await page.request.get(f"{console.base}/console/{icon['src']}")
        w, h = icon["sizes"].split("x")
        assert _png_size(await got.body()) == (int(w), int(h))
    assert {i.get("purpose") for i in manifest["icons"]} >= {None, "maskable"}

    await login(page, console.base, "coord1", COORD_PW)
    await page.wait_for_function("() => !!navigator.serviceWorker.controller")
    await expect(page.locator(".vrow")).to_have_count(3)
    await expect(page.locator(".stale-note")).to_be_hidden()

    # In English too: the longer words still fit the bottom bar, each on one line.
    await page.click(".nav-more")
    await page.click(".phone-sheet .lang-switch button[data-lang=en]")
    await expect(page.locator(".nav-link[data-route=fleet] .nav-text")).to_have_text("Fleet map")
    for link in await page.locator(".main-nav .nav-text").all():
        assert len(await link.evaluate("e => e.getClientRects()")) == 1
    await fits(page, "phone-390-fleet-en")
    await page.click(".nav-more")
    await page.click(".phone-sheet .lang-switch button[data-lang=zh-CN]")
    await expect(page.locator(".phone-sheet")).to_be_hidden()

    # No network: the page comes back from the worker with the last fleet, marked stale.
    await phone_context.set_offline(True)
    await page.reload()
    await expect(page.locator(".stale-note")).to_be_visible(timeout=15_000)
    await expect(page.locator(".stale-note")).to_contain_text("离线")
    await expect(page.locator(".vrow")).to_have_count(3)
    await fits(page, "phone-390-offline")

    # The network back: fresh data, the mark gone.
    await phone_context.set_offline(False)
    await expect(page.locator(".stale-note")).to_be_hidden(timeout=20_000)
