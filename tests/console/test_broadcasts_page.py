"""Broadcast pages: compose to a grid and watch test vessels take it to 100%; a polygon drawn on the
map reaches only the boats inside it; re-send to the missing; the API's refusals in plain words."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from typing import Any

import aiohttp
from playwright.async_api import Page, expect

from seaLink.domain.messaging import Target, VesselView, select_targets
from seaLink.domain.ports import PortIndex, load_zones_document, ports_from_geojson
from seaLink.domain.roles import Role
from seaLink.services.auth import hash_password
from seaLink.services.broadcasts import _target_json
from seaLink.store import users
from tests.console.conftest import ADMIN_PW, COORD_PW, Console, PageErrors, shot
from tests.console.helpers import at, beijing, login, publish
from tests.console.test_i18n import CJK_OUTSIDE_DATA
from tests.test_broadcasts import ack, nothing_received, online, post, receive
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel


async def _ready(console: Console, boats: dict[str, TestVessel], spots: dict[str, Any]) -> None:
    """Boats online at known spots, reachable by the outbox, their fixes stored."""
    hub, clock = console.hub, console.clock
    for vid, (lat, lon) in spots.items():
        boats[vid].publish(
            "position",
            {"ts": clock.now().isoformat(), "lat": lat, "lon": lon, "sog": 3.0, "cog": 90},
        )

    async def reachable() -> bool:
        return all(hub.outbox.reachable(v, clock.now()) for v in boats)

    await wait_for(reachable)
    await hub.drained()


async def _reachable(hub: Any, clock: Any, vid: str) -> bool:
    return bool(hub.outbox.reachable(vid, clock.now()))


async def _open_compose(page: Page) -> None:
    await page.click('.nav-link[data-route="broadcasts"]')
    await expect(page.locator(".bc-list-page h1")).to_have_text("群发通知")
    await page.click(".bc-new")
    await expect(page.locator(".bc-compose-page h1")).to_have_text("新建群发")


async def _answer(v: TestVessel, msg: dict[str, Any], console: Console, *states: str) -> None:
    for state in states:
        ack(v, msg["msg_id"], state, console.clock)


async def test_a_coordinator_sends_to_a_grid_and_watches_it_reach_every_boat(
    page: Page, console: Console
) -> None:
    hub = console.hub
    vids = ("V1", "V2", "V3", "V4")  # V4 is in grid G02
    boats = {vid: online(hub, vid, console.clock) for vid in vids}
    spots = {"V1": (23.0, 117.5), "V2": (23.05, 117.55), "V3": (23.1, 117.6), "V4": (23.2, 117.7)}
    try:
        await _ready(console, boats, spots)
        await login(page, console.base, "coord1", COORD_PW)
        await _open_compose(page)
        await page.fill("input[name=title]", "渔港检查通知")
        await page.fill(
            "textarea[name=body]", "明天上午九点，渔政检查消防设备，请在港船舶做好准备。"
        )
        await page.select_option("select[name=reply]", "confirm")
        await expect(page.locator(".bc-count")).to_have_text("尚未选择发送对象")
        await page.check('input[name=grid][value="G01"]')
        await expect(page.locator(".bc-count")).to_have_text("将发送给 3 艘船")
        await shot(page, "broadcast-compose-grid")
        await page.click(".bc-send")

        await expect(page.locator(".bc-detail-page")).to_be_visible()
        bid = int(page.url.rsplit("/", 1)[1])
        await expect(page.locator(".bc-summary h2")).to_have_text("渔港检查通知")
        await expect(page.locator(".bc-delivery-row")).to_have_count(3)
        msgs = {vid: await receive(boats[vid]) for vid in ("V1", "V2", "V3")}
        await nothing_received(boats["V4"], 0.5)
        assert all(m["broadcast_id"] == bid for m in msgs.values())
        missing = page.locator(".bc-missing-row")
        await expect(missing).to_have_count(3)
        await expect(page.locator(".bc-missing h2")).to_have_text("未完成船舶（3）")
        # Each missing boat by hull name, with its delivery state and its contact state.
        v3 = page.locator('.bc-missing-row[data-vessel-id="V3"]')
        await expect(v3.locator(".hull")).to_have_text("粤南澳渔00003")
        await expect(v3.locator(".state-text")).to_have_text("正常")
        await expect(v3.locator(".bc-state")).to_have_text(re.compile("^(排队中|已发出)$"))

        # Boat by boat, minutes apart: the missing list shrinks, the figures and the chart follow.
        console.clock.advance(timedelta(minutes=2))
        await _answer(boats["V1"], msgs["V1"], console, "delivered", "read", "acknowledged")
        await expect(missing).to_have_count(2)
        await expect(page.locator('.bc-missing-row[data-vessel-id="V1"]')).to_have_count(0)
        await expect(page.locator(".bc-percent-big")).to_have_attribute("data-percent", "33")
        console.clock.advance(timedelta(minutes=3))
        await _answer(boats["V2"], msgs["V2"], console, "delivered")
        await expect(page.locator('.bc-delivery-row[data-vessel-id="V2"]')).to_have_attribute(
            "data-state", "delivered"
        )
        await expect(page.locator('.bc-missing-row[data-vessel-id="V2"] .bc-state')).to_have_text(
            "已送达"
        )
        # 2 of 3 delivered, 1 of 3 read and acknowledged: the chart plots the shares.
        chart = page.locator(".bc-chart")
        await expect(chart).to_have_attribute(
            "data-last-percent", '{"delivered":67,"read":33,"acknowledged":33}'
        )
        await expect(chart).to_have_attribute("data-points", "3")
        await shot(page, "broadcast-detail-partial")
        console.clock.advance(timedelta(minutes=4))
        await _answer(boats["V2"], msgs["V2"], console, "read", "acknowledged")
        await _answer(boats["V3"], msgs["V3"], console, "delivered", "acknowledged")

        await expect(page.locator(".bc-percent-big")).to_have_attribute("data-percent", "100")
        await expect(missing).to_have_count(0)
        await expect(page.locator(".bc-missing-empty")).to_have_text("全部船舶已完成")
        await expect(
            page.locator('.bc-figure[data-figure="acknowledged"] .bc-figure-value')
        ).to_have_text("3")
        # V3 never said "read": acknowledging implies it, so the read curve reaches 3 as well.
        await expect(chart).to_have_attribute(
            "data-last", '{"delivered":3,"read":3,"acknowledged":3}'
        )
        await expect(chart).to_have_attribute(
            "data-last-percent", '{"delivered":100,"read":100,"acknowledged":100}'
        )
        await expect(page.locator(".bc-chart .uplot canvas")).to_have_count(1)
        # Sent at 0, answers at 2, 5 and 9 minutes: one step each.
        await expect(page.locator(".bc-chart")).to_have_attribute("data-points", "4")
        await expect(page.locator('.bc-delivery-row[data-state="acknowledged"]')).to_have_count(3)
        await shot(page, "broadcast-detail-done")

        await page.click(".bc-detail-page .back-link")
        row = page.locator(f'.bc-row-item[data-broadcast-id="{bid}"]')
        await expect(row.locator(".bc-percent")).to_have_text("100%")
        await expect(row.locator(".bc-rollup-text")).to_have_text("送达 3 · 已读 3 · 确认 3 / 共 3")
        await expect(row.locator(".bc-progress")).to_have_attribute("data-done", "3")
        await shot(page, "broadcast-list")
    finally:
        for v in boats.values():
            v.close()


async def _click_map_at(page: Page, lat: float, lon: float, *, double: bool = False) -> None:
    """A real click (or double click) on the compose map where (lat, lon) is drawn."""
    point = await page.evaluate(
        "([lat, lon]) => { const p = window.__sealinkDraw.map.latLngToContainerPoint([lat, lon]);"
        " return { x: p.x, y: p.y }; }",
        [lat, lon],
    )
    target = page.locator(".bc-compose-map")
    await (target.dblclick(position=point) if double else target.click(position=point))


async def test_a_polygon_drawn_on_the_map_reaches_only_the_boats_inside_and_resend_reaches_the_missing(
    page: Page, console: Console
) -> None:
    hub = console.hub
    boats = {vid: online(hub, vid, console.clock) for vid in ("V1", "V2", "V3", "V4")}
    # V1 (grid G01) and V4 (grid G02) inside the area; V2 and V3 outside it; V5 has no position.
    spots = {
        "V1": (23.0, 117.5),
        "V2": (23.15, 117.45),
        "V3": (23.1, 117.65),
        "V4": (22.98, 117.56),
    }
    try:
        await _ready(console, boats, spots)
        await login(page, console.base, "admin", ADMIN_PW)
        await _open_compose(page)
        await page.fill("input[name=title]", "南澎海域作业提醒")
        await page.fill("textarea[name=body]", "该海域明日有军事演习，请暂停作业。")
        await page.select_option("select[name=reply]", "confirm")
        await page.click(".bc-draw-polygon")
        corners = [(22.95, 117.45), (22.95, 117.60), (23.06, 117.60), (23.06, 117.45)]
        for lat, lon in corners[:3]:
            await _click_map_at(page, lat, lon)
        await expect(page.locator(".bc-area-note")).to_have_text(
            "正在画多边形：已有 3 个点（至少 3 个）"
        )
        # A polygon still being drawn is not sent.
        await page.click(".bc-send")
        await expect(page.locator(".bc-message")).to_contain_text("多边形还没有完成")
        await _click_map_at(page, *corners[3])
        await page.click(".bc-finish-polygon")
        await expect(page.locator(".bc-area-note")).to_have_text("多边形：4 个点")
        await expect(page.locator(".bc-message")).to_have_text("")  # the complaint is answered
        await expect(page.locator(".bc-count")).to_have_text("将发送给 2 艘船")
        await shot(page, "broadcast-compose-polygon")
        await page.click(".bc-send")

        await expect(page.locator(".bc-detail-page")).to_be_visible()
        await expect(page.locator(".bc-target-text")).to_have_text("多边形区域（4 点）")
        rows = page.locator(".bc-delivery-row")
        await expect(rows).to_have_count(2)
        assert sorted(await rows.evaluate_all("rs => rs.map(r => r.dataset.vesselId)")) == [
            "V1",
            "V4",
        ]
        got = {vid: await receive(boats[vid]) for vid in ("V1", "V4")}
        await nothing_received(boats["V2"], 0.5)
        await nothing_received(boats["V3"], 0.1)

        # V1 answers; V4's terminal lost the message (never says delivered).
        await _answer(boats["V1"], got["V1"], console, "delivered", "read", "acknowledged")
        missing = page.locator(".bc-missing-row")
        await expect(missing).to_have_count(1)
        await expect(missing.first).to_have_attribute("data-vessel-id", "V4")
        await expect(missing.first.locator(".bc-state")).to_have_text("已发出")
        resend = page.locator(".bc-resend")
        await expect(resend).to_have_text("重发给未送达的 1 艘")
        await resend.click()
        await expect(page.locator(".bc-message")).to_have_text("已重新安排发送 1 条")
        again = await receive(boats["V4"])
        assert again["msg_id"] == got["V4"]["msg_id"]
        await _answer(boats["V4"], again, console, "delivered", "acknowledged")
        await expect(missing).to_have_count(0)
        await expect(page.locator(".bc-percent-big")).to_have_attribute("data-percent", "100")
        await expect(resend).to_be_disabled()
        await shot(page, "broadcast-detail-polygon-resent")
    finally:
        for v in boats.values():
            v.close()


async def test_refusals_of_the_hub_are_explained_in_the_coordinators_words(
    page: Page, console: Console, page_errors: PageErrors
) -> None:
    page_errors.allow(r"status of 40[03]")
    await login(page, console.base, "coord1", COORD_PW)
    await _open_compose(page)
    await page.click(".bc-send")
    await expect(page.locator(".bc-message")).to_have_text("请填写标题")
    await page.fill("input[name=title]", "通知")
    await page.fill("textarea[name=body]", "正文")
    await page.click(".bc-send")
    await expect(page.locator(".bc-message")).to_have_text("请选择发送对象")
    # V4 belongs to grid G02: the hub refuses, the page says why.
    await page.fill("input[name=target_vessels]", "V1, V4")
    await page.click(".bc-send")
    await expect(page.locator(".bc-message")).to_have_text(
        "无权操作：目标超出您负责的网格（outside your grids: V4）"
    )
    await page.fill("input[name=target_vessels]", "NOPE")
    await expect(page.locator(".bc-count")).to_have_text("将发送给 0 艘船 （未知船舶：NOPE）")
    await page.click(".bc-send")
    await expect(page.locator(".bc-message")).to_have_text(
        "有船舶编号不存在（no such vessel: NOPE）"
    )
    await page.fill("input[name=target_vessels]", "V1")
    await page.fill("input[name=expires_at]", "2020-01-01T08:00")
    await page.click(".bc-send")
    await expect(page.locator(".bc-message")).to_have_text(
        "有效期已过，请选择将来的时间（expires_at is in the past）"
    )
    assert await page.locator(".bc-detail-page").count() == 0
    await shot(page, "broadcast-compose-refused")


async def test_the_broadcast_pages_in_english_and_a_circle_that_counts_the_boats_in_it(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await publish(hub, clock, "V1", at(clock, 0, lat=23.0, lon=117.5))
    await publish(hub, clock, "V2", at(clock, 0, lat=23.2, lon=117.7))
    await login(page, console.base, "admin", ADMIN_PW)
    await page.click('.lang-switch button[data-lang="en"]')
    await page.click('.nav-link[data-route="broadcasts"]')
    await expect(page.locator(".bc-list-page h1")).to_have_text("Broadcasts")
    await expect(page.locator(".bc-list-page .empty")).to_have_text("No broadcasts yet")
    assert await page.evaluate(CJK_OUTSIDE_DATA) == []
    await page.click(".bc-new")
    await expect(page.locator(".bc-compose-page h1")).to_have_text("New broadcast")
    assert await page.evaluate(CJK_OUTSIDE_DATA) == []

    await page.fill("input[name=title]", "Harbour inspection")
    await page.fill("textarea[name=body]", "Fire equipment check tomorrow 09:00.")
    # A double click on the last corner closes a polygon (its clicks do not add corners twice).
    await page.click(".bc-draw-polygon")
    for lat, lon in [(22.95, 117.45), (22.95, 117.55), (23.05, 117.55)]:
        await _click_map_at(page, lat, lon)
    await _click_map_at(page, 23.05, 117.45, double=True)
    await expect(page.locator(".bc-area-note")).to_have_text("Polygon: 4 corners")
    await expect(page.locator(".bc-count")).to_have_text("Vessels it will reach: 1")
    await page.click(".bc-clear-area")
    await expect(page.locator(".bc-area-note")).to_have_text("No area")
    await expect(page.locator(".bc-count")).to_have_text("No target chosen yet")
    await page.fill("input[name=radius_nmi]", "3")
    await page.click(".bc-draw-circle")
    await expect(page.locator(".bc-area-note")).to_have_text("Click the centre on the map")
    await _click_map_at(page, 23.0, 117.5)
    await expect(page.locator(".bc-area-note")).to_have_text("Circle: radius 3 nmi")
    await expect(page.locator(".bc-count")).to_have_text("Vessels it will reach: 1")
    await page.fill("input[name=radius_nmi]", "20")  # V2 is about 15 nmi away
    await expect(page.locator(".bc-count")).to_have_text("Vessels it will reach: 2")
    await page.fill("input[name=radius_nmi]", "3")
    await expect(page.locator(".bc-count")).to_have_text("Vessels it will reach: 1")
    await page.click(".bc-send")
    await expect(page.locator(".bc-detail-page h1")).to_have_text("Broadcast #1")
    await expect(page.locator(".bc-target-text")).to_have_text("circle (radius 3 nmi)")
    await expect(page.locator(".bc-delivery-row")).to_have_count(1)
    await expect(page.locator('.bc-delivery-row[data-vessel-id="V1"]')).to_be_visible()
    await expect(page.locator(".bc-missing h2")).to_have_text("Not yet done (1)")
    assert await page.evaluate(CJK_OUTSIDE_DATA) == []
    await shot(page, "broadcast-detail-en")

    await page.click(".bc-detail-page .back-link")
    await page.click(".bc-new")
    await page.fill("input[name=title]", "Typhoon recall")
    await page.fill("textarea[name=body]", "Return to port.")
    await page.select_option("select[name=kind]", "warning")
    await page.check("input[name=recall]")
    deadline = clock.now() + timedelta(hours=3)
    await page.fill("input[name=recall_deadline]", beijing(deadline)[:16].replace(" ", "T"))
    await page.check("input[name=target_all]")
    await expect(page.locator(".bc-count")).to_have_text("Vessels it will reach: 5")
    await page.click(".bc-send")
    await page.click(".bc-summary .bc-recall-link")
    await expect(page.locator(".recall-page h1")).to_contain_text("Recall board #2")
    await expect(
        page.locator('.recall-tile[data-status="unaccounted"] .recall-tile-value')
    ).to_have_text("5")
    assert await page.evaluate(CJK_OUTSIDE_DATA) == []
    await shot(page, "recall-board-en")

    # The list follows live: V1 comes into reach, gets broadcast #1 again (sent while it was away,
    # so repeated after the outbox's back-off) and reads it.
    await page.click('.nav-link[data-route="broadcasts"]')
    first = page.locator('.bc-row-item[data-broadcast-id="1"]')
    await expect(first.locator(".bc-percent")).to_have_text("0%")
    await expect(first.locator(".bc-rollup-text")).to_have_text(
        "Delivered 0 · read 0 · acknowledged 0 / 1"
    )
    v1 = online(hub, "V1", clock)
    try:
        await wait_for(lambda: _reachable(hub, clock, "V1"))
        clock.advance(timedelta(minutes=3))
        await hub.outbox.settle()
        msg = await receive(v1)
        if msg["broadcast_id"] != 1:  # the recall order may come first (more urgent)
            msg = await receive(v1)
        assert msg["broadcast_id"] == 1
        await _answer(v1, msg, console, "delivered", "read")
        await expect(first.locator(".bc-percent")).to_have_text("100%")
        await expect(first.locator(".bc-rollup-text")).to_have_text(
            "Delivered 1 · read 1 · acknowledged 0 / 1"
        )
    finally:
        v1.close()
    await shot(page, "broadcast-list-en")


def _random_case(rng: random.Random) -> dict[str, Any]:
    """A random fleet and target: what the hub picks (select_targets) and how the page sees it."""
    grids, groups = ["G01", "G02", "G03"], ["F1", "F2", "F3", "F4"]
    views = []
    for i in range(rng.randint(0, 40)):
        placed = rng.random() > 0.1
        views.append(
            VesselView(
                f"V{i}",
                rng.choice(grids),
                rng.choice(groups),
                rng.uniform(22.8, 23.6) if placed else None,
                rng.uniform(116.8, 117.9) if placed else None,
                placed and rng.random() < 0.3,  # "in port" comes with a fix
            )
        )
    ids = [v.id for v in views]

    def some(items: list[str]) -> list[str]:
        return rng.sample(items, rng.randint(1, min(3, len(items)))) if items else []

    lon0, lat0 = rng.uniform(116.8, 117.7), rng.uniform(22.8, 23.4)
    ring = [(lon0, lat0), (lon0 + 0.3, lat0 + 0.05), (lon0 + 0.2, lat0 + 0.3), (lon0, lat0 + 0.2)]
    target = Target(
        all=rng.random() < 0.1,
        grids=tuple(some(grids)) if rng.random() < 0.3 else (),
        groups=tuple(some(groups)) if rng.random() < 0.3 else (),
        vessels=tuple(some(ids)) if rng.random() < 0.3 else (),
        polygon=(*ring, ring[0]) if rng.random() < 0.3 else (),
        circle=(rng.uniform(116.8, 117.9), rng.uniform(22.8, 23.6), rng.uniform(1, 20))
        if rng.random() < 0.3
        else None,
        at_sea=rng.random() < 0.3,
    )
    page_target: dict[str, Any] = {
        k: v for k, v in _target_json(target).items() if k in ("all", "at_sea") or v
    }
    page_fleet = [
        {
            "id": v.id,
            "grid_id": v.grid_id,
            "group_id": v.group_id,
            # the page knows "in port" from the last fix's state (and the port zones)
            "last_position": None
            if v.lat is None
            else {"lat": v.lat, "lon": v.lon, "state": "in_port" if v.in_port else "fishing"},
        }
        for v in views
    ]
    return {
        "target": page_target,
        "vessels": page_fleet,
        "expected": select_targets(target, views),
    }


async def test_the_page_counts_the_vessels_the_hub_would_pick(page: Page, console: Console) -> None:
    """The count shown before sending follows the hub's rules: 400 random fleets and targets."""
    rng = random.Random(20260901)
    cases = [_random_case(rng) for _ in range(400)]
    assert sum(len(c["expected"]) for c in cases) > 1000  # the cases do pick vessels
    await page.goto(f"{console.base}/console/")
    got = await page.evaluate(
        """async (cases) => {
            const m = await import(`${location.origin}/console/js/ui/broadcast_targets.js`);
            return cases.map((c) => m.selectTargets(c.target, c.vessels));
        }""",
        cases,
    )
    for case, picked in zip(cases, got, strict=True):
        assert picked == case["expected"], case["target"]

    # Ports: the page reads them from the hub's zones, as the hub does.
    ports = PortIndex(ports_from_geojson(load_zones_document()))
    points = [(rng.uniform(23.35, 23.5), rng.uniform(116.95, 117.15)) for _ in range(2000)]
    in_port = await page.evaluate(
        """async ([doc, points]) => {
            const m = await import(`${location.origin}/console/js/ui/broadcast_targets.js`);
            const at = m.portChecker(doc);
            return points.map(([lat, lon]) => at(lat, lon));
        }""",
        [load_zones_document(), points],
    )
    expected = [ports.port_at(lat, lon) is not None for lat, lon in points]
    assert in_port == expected
    assert any(expected), "some points fall in a port"


async def test_a_viewer_sees_broadcasts_but_is_offered_no_sending(
    page: Page, console: Console
) -> None:
    await users.create_user(
        console.hub.db,
        username="watch1",
        password_hash=hash_password("watch-pass-1"),
        role=Role.VIEWER,
        grid_ids=["G01"],
        now=console.clock.now(),
    )
    await login(page, console.base, "watch1", "watch-pass-1")
    await page.click('.nav-link[data-route="broadcasts"]')
    await expect(page.locator(".bc-list-page .empty")).to_have_text("还没有群发通知")
    await expect(page.locator(".bc-new")).to_have_count(0)
    await page.goto(f"{console.base}/console/#/broadcasts/new")
    await expect(page.locator(".bc-message")).to_have_text("只读账号不能发送群发通知")
    await expect(page.locator(".bc-send")).to_be_disabled()


async def test_progress_of_a_broadcast_beyond_the_coordinators_grids_does_not_reload_the_list_in_a_loop(
    page: Page, console: Console
) -> None:
    """An admin's broadcast to every grid reports progress to the G01 coordinator too (it covers
    G01 boats) but is not in their list (it covers G02 as well): the list reads once, not on
    every event."""
    hub, clock = console.hub, console.clock
    v1 = online(hub, "V1", clock)
    try:
        await wait_for(lambda: _reachable(hub, clock, "V1"))
        await login(page, console.base, "coord1", COORD_PW)
        lists: list[str] = []
        page.on("request", lambda r: "/api/v1/broadcasts?" in r.url and lists.append(r.url))
        await page.click('.nav-link[data-route="broadcasts"]')
        await expect(page.locator(".bc-list-page .empty")).to_have_text("还没有群发通知")
        await page.evaluate(
            "() => { window.__progress = 0;"
            " window.__sealinkLive.on('broadcast_progress', () => window.__progress++); }"
        )
        async with aiohttp.ClientSession() as s:
            r = await s.post(
                f"{console.base}/api/v1/auth/login",
                json={"username": "admin", "password": ADMIN_PW},
            )
            token = (await r.json())["token"]
        await post(
            console.base,
            {"Authorization": f"Bearer {token}"},
            {"kind": "notice", "title": "全县通知", "body": "正文", "target": {"all": True}},
        )
        msg = await receive(v1)
        for state in ("delivered", "read", "acknowledged"):
            n = await page.evaluate("() => window.__progress")
            ack(v1, msg["msg_id"], state, clock)
            await page.wait_for_function("(n) => window.__progress > n", arg=n)
        await expect(page.locator(".bc-list-page .empty")).to_have_text("还没有群发通知")
        assert len(lists) == 2, lists  # on opening, and once for the unknown broadcast
    finally:
        v1.close()
