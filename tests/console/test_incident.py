"""A distress from the sea: the coordinator opens the incident, acknowledges, tasks boats, SITREP."""

from __future__ import annotations

import asyncio
import json
import re

import aiohttp
from playwright.async_api import Page, expect
from sqlalchemy import update

from tests.console.conftest import ADMIN_PW, COORD_PW, Console, shot
from tests.console.helpers import CJK_OUTSIDE_DATA, login
from tests.test_broadcasts import ack, online, receive
from tests.test_ingest import wait_for
from tests.test_rescue import _vessel, at_sea, gone_offline, register
from tests.vessel_client import TestVessel, announce_gateway


async def test_a_distress_opens_an_incident_page_to_acknowledge_task_and_report(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    boats = {vid: online(hub, vid, clock) for vid in ("V1", "V2", "V3")}
    spots = {"V1": (23.00, 117.50), "V2": (23.05, 117.55), "V3": (23.10, 117.60)}
    try:
        for vid, (lat, lon) in spots.items():
            boats[vid].publish(
                "position",
                {"ts": clock.now().isoformat(), "lat": lat, "lon": lon, "sog": 0.5, "cog": 10},
            )

        async def reachable() -> bool:
            return all(hub.outbox.reachable(v, clock.now()) for v in boats)

        await wait_for(reachable)
        await hub.drained()
        await login(page, console.base, "admin", ADMIN_PW)
        before = await page.evaluate("() => window.__sealinkSounds.distress")

        boats["V1"].publish(
            "distress",
            {
                "distress_id": "d1",
                "ts": clock.now().isoformat(),
                "lat": 23.0,
                "lon": 117.5,
                "nature": "flooding",
                "persons": 6,
            },
        )
        await asyncio.to_thread(boats["V1"].received.get, True, 10)
        await hub.drained()
        await expect(page.locator(".banner-item")).to_contain_text("粤南澳渔00001")
        await page.wait_for_function(
            "(n) => window.__sealinkSounds.distress > n", arg=before, timeout=5000
        )

        await page.click('.nav-link[data-route="alerts"]')
        row = page.locator(".alert-row[data-incident-id]")
        await expect(row).to_have_count(1)
        await row.locator("td").nth(1).click()
        await expect(page.locator(".incident-page h1")).to_contain_text("遇险事件")
        await expect(page.locator(".incident-summary")).to_contain_text("粤南澳渔00001")
        await expect(page.locator(".incident-state")).to_have_text("待确认")

        # Acknowledged by a named person: the one logged in.
        await page.click(".incident-page .alert-ack")
        await expect(page.locator(".incident-state")).to_contain_text("已确认（admin ")

        await expect(page.locator(".nearest-row")).not_to_have_count(0)
        await page.click(".task-top2")
        tasked = page.locator('.log-entry[data-kind="tasked"]')
        await expect(tasked).to_have_count(1)
        await expect(tasked).to_contain_text("粤南澳渔00002")
        await expect(tasked).to_contain_text("粤南澳渔00003")
        # The two boats get the order at sea: a rescue task with the scene of the distress.
        for vid in ("V2", "V3"):
            task = await receive(boats[vid])
            assert task["kind"] == "rescue_task", task
            assert task["scene"] == {"lat": 23.0, "lon": 117.5}, task

        await page.click(".sitrep-button")
        sitrep = page.locator("pre.sitrep-text")
        await expect(sitrep).to_contain_text("SITREP 001")
        assert (await sitrep.inner_text()).startswith("SITREP 001")
        await shot(page, "incident-zh")

        # Words, not codes, in the reader's language: the alarm's log line and the alert's detail.
        alarm = page.locator('.log-entry[data-kind="alarm"]')
        await expect(alarm.locator(".log-kind")).to_have_text("遇险报警")
        await expect(alarm).to_contain_text("进水，船上 6 人，位置 23°00.00′N 117°30.00′E")
        await expect(page.locator(".incident-summary")).to_contain_text("进水，船上 6 人")
        await page.click('.lang-switch button[data-lang="en"]')
        await expect(page.locator(".incident-page h1")).to_contain_text("Distress incident")
        alarm = page.locator('.log-entry[data-kind="alarm"]')
        await expect(alarm.locator(".log-kind")).to_have_text("Distress call")
        await expect(alarm).to_contain_text(
            "distress call: flooding, 6 aboard, at 23°00.00′N 117°30.00′E"
        )
        await expect(page.locator('.log-entry[data-kind="tasked"] .log-kind')).to_have_text(
            "Tasked"
        )
        await expect(page.locator(".incident-summary")).to_contain_text("flooding, 6 aboard")
        for kind in await page.locator(".log-entry .log-kind").all_inner_texts():
            assert not re.fullmatch(r"[a-z_]+", kind), kind  # a word, not a code
        for text in await page.locator(".log-entry").all_inner_texts():
            assert "vessel:" not in text and "+00:00" not in text, text
        await shot(page, "incident-en")
        await page.click('.lang-switch button[data-lang="zh-CN"]')
    finally:
        for v in boats.values():
            v.close()


async def _distress_incident(console: Console) -> int | None:
    async with aiohttp.ClientSession() as s:
        r = await s.post(f"{console.base}/api/v1/auth/login",
                         json={"username": "admin", "password": ADMIN_PW})  # fmt: skip
        token = (await r.json())["token"]
        r = await s.get(f"{console.base}/api/v1/alerts",
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        alerts = (await r.json())["alerts"]
    return next((a["incident_id"] for a in alerts if a["type"] == "distress"), None)


async def _open_incident(page: Page, iid: int) -> None:
    await page.evaluate("(id) => { location.hash = '#/incident/' + id; }", iid)
    await expect(page.locator(".incident-page h1")).to_contain_text(str(iid))


async def test_the_nearest_boats_list_the_stale_and_the_unreachable_apart_and_never_task_them(
    page: Page, console: Console
) -> None:
    """Issue 13 in the console: V1 (group G01-F1) calls a distress at 23.30N 117.60E. Its group
    mate V2 is 27 nmi away; V4 and V5 (grid G02) 3 nmi; closer still, the mate V3 by a fix 61 min
    old and the mate V6 whose terminal is offline. G01's coordinator's "Task nearest two" tasks V4
    and V5 (issue 12: another grid's boats near his distress are his to task, not to locate)."""
    hub, clock = console.hub, console.clock
    await register(hub, ("V6", "G01", "G01-F1"))
    spots = {
        "V1": (23.30, 117.60, 1), "V2": (23.30, 117.11, 1), "V3": (23.32, 117.60, 61),
        "V4": (23.35, 117.60, 1), "V5": (23.30, 117.663, 1), "V6": (23.31, 117.60, 1),
    }  # fmt: skip
    boats = await at_sea(hub, spots)
    try:
        await gone_offline(hub, boats["V6"])
        await login(page, console.base, "coord1", COORD_PW)  # G01's coordinator
        boats["V1"].publish("distress", {"distress_id": "d1", "ts": clock.now().isoformat(),
                                         "lat": 23.30, "lon": 117.60, "nature": "flooding"})  # fmt: skip
        await receive(boats["V1"])  # its distress_ack: the incident is open
        await hub.drained()
        iid = await _distress_incident(console)
        assert iid is not None
        await _open_incident(page, iid)

        await expect(page.locator(".nearest-rule")).to_contain_text("7 节")
        await expect(page.locator(".nearest-rule")).to_contain_text("60 分钟")
        ready = page.locator(".nearest-ready .nearest-row")
        await expect(ready).to_have_count(3)
        assert [await r.get_attribute("data-vessel-id") for r in await ready.all()] == [
            "V4", "V5", "V2",
        ]  # fmt: skip
        await expect(ready.nth(0)).to_contain_text("G02 网格")
        await expect(ready.nth(2).locator(".nearest-status")).to_contain_text("同组")
        apart = page.locator(".nearest-apart .nearest-row")
        await expect(apart).to_have_count(2)
        await expect(page.locator(".nearest-apart h3")).to_contain_text("不参与“指派最近两艘”")
        stale = page.locator('.nearest-apart .nearest-row[data-vessel-id="V3"]')
        await expect(stale.locator(".fix-age")).to_have_text("61 分钟前")
        await expect(stale.locator(".nearest-status")).to_have_text("定位过时")
        deaf = page.locator('.nearest-apart .nearest-row[data-vessel-id="V6"]')
        await expect(deaf.locator(".nearest-status")).to_have_text("当前无链路可达")
        await expect(deaf.locator(".fix-age")).to_have_text("1 分钟前")
        await apart.last.scroll_into_view_if_needed()
        await shot(page, "incident-nearest-apart-zh")

        await page.click(".task-top2")
        tasked = page.locator('.log-entry[data-kind="tasked"]')
        await expect(tasked).to_have_count(1)
        text = await tasked.inner_text()
        assert "粤南澳渔00004" in text and "粤南澳渔00005" in text, text
        assert not any(f"粤南澳渔0000{n}" in text for n in (2, 3, 6)), text
        for vid in ("V4", "V5"):
            assert (await receive(boats[vid]))["kind"] == "rescue_task"
    finally:
        for v in boats.values():
            v.close()


async def test_an_unregistered_beacons_incident_opens_with_its_nearest_boats(
    page: Page, console: Console
) -> None:
    """An AIS-SART nobody registered (vessel AIS-970123456): the page opens, not "找不到事件"."""
    hub, clock = console.hub, console.clock
    boats = await at_sea(hub, {"V1": (23.42, 117.72, 1), "V2": (23.32, 117.60, 1)})
    gw = TestVessel(hub.settings.mqtt.url, "gw-ais-1", prefix=hub.settings.mqtt.prefix)
    try:
        await login(page, console.base, "admin", ADMIN_PW)
        sart = {"mmsi": "970123456", "class": "sart", "msg_type": 1, "ts": clock.now().isoformat(),
                "lat": 23.40, "lon": 117.70, "nav_status": 14}  # fmt: skip
        announce_gateway(gw, hub.settings.mqtt.prefix, "ais-1", "ais")
        gw.publish_raw(f"{hub.settings.mqtt.prefix}/gateways/ais-1/ais", json.dumps([sart]))

        async def opened() -> bool:
            return await _distress_incident(console) is not None

        await wait_for(opened)
        iid = await _distress_incident(console)
        assert iid is not None
        await _open_incident(page, iid)
        await expect(page.locator(".incident-summary")).to_contain_text("AIS-970123456")
        rows = page.locator(".nearest-ready .nearest-row")
        await expect(rows).to_have_count(2)
        assert [await r.get_attribute("data-vessel-id") for r in await rows.all()] == ["V1", "V2"]
        await expect(page.locator(".page .empty")).to_have_count(0)
    finally:
        gw.close()
        for v in boats.values():
            v.close()


async def test_an_epirb_opens_a_working_incident_with_its_scene_from_the_banner_and_the_map(
    page: Page, console: Console
) -> None:
    """V3's own EPIRB goes off (its MMSI registered as V3's beacon): the banner says a distress
    call from an EPIRB and opens the incident; the fleet map marks V3; the incident page draws the
    scene with the nearest boats and the age of their fix; the boats tasked, and their answers,
    show in the tables and on the map."""
    hub, clock = console.hub, console.clock
    async with hub.db.engine.begin() as conn:
        await conn.execute(update(_vessel).where(_vessel.c.id == "V3").values(beacons="974000003"))
    await hub.registry.load()
    boats = await at_sea(hub, {"V1": (23.32, 117.60, 3), "V2": (23.36, 117.66, 1)})
    gw = TestVessel(hub.settings.mqtt.url, "gw-ais-1", prefix=hub.settings.mqtt.prefix)
    try:
        await login(page, console.base, "coord1", COORD_PW)
        epirb = {"mmsi": "974000003", "class": "epirb", "msg_type": 1, "ts": clock.now().isoformat(),
                 "lat": 23.30, "lon": 117.60, "nav_status": 14}  # fmt: skip
        announce_gateway(gw, hub.settings.mqtt.prefix, "ais-1", "ais")
        gw.publish_raw(f"{hub.settings.mqtt.prefix}/gateways/ais-1/ais", json.dumps([epirb]))

        banner = page.locator('.banner-item[data-type="distress"]')
        await expect(banner).to_contain_text("遇险报警 · EPIRB 示位标")
        await expect(banner).to_contain_text("粤南澳渔00003")
        # The fleet map marks the boat in distress where its beacon is.
        await page.wait_for_function("() => window.__sealinkMap?.distress?.points().length === 1")
        mark = (await page.evaluate("() => window.__sealinkMap.distress.points()"))[0]
        assert (mark["vessel_id"], mark["lat"], mark["lon"], mark["exercise"]) == (
            "V3", 23.30, 117.60, False,
        )  # fmt: skip
        await shot(page, "incident-epirb-fleet-map-zh")

        await banner.locator(".banner-view").click()
        await expect(page.locator(".incident-page h1")).to_contain_text("遇险事件")
        await expect(page.locator(".incident-what")).to_have_text("遇险报警 · EPIRB 示位标")
        await expect(page.locator(".incident-position")).to_have_text("23°18.00′N 117°36.00′E")
        scene = "() => window.__sealinkScene?.points() || []"
        await page.wait_for_function(f"() => ({scene})().length === 3")
        points = {p["id"]: p for p in await page.evaluate(scene)}
        assert points["scene"]["role"] == "distress"
        assert points["V1"]["role"] == "ready" and "3 分钟前" in points["V1"]["tip"]
        assert points["V2"]["role"] == "ready" and "1 分钟前" in points["V2"]["tip"]

        await page.click(".incident-page .alert-ack")
        await expect(page.locator(".incident-state")).to_contain_text("已确认（coord1 ")
        await page.click(".task-top2")
        tasks = page.locator(".tasks-table .task-row")
        await expect(tasks).to_have_count(2)
        orders = {vid: await receive(boats[vid]) for vid in ("V1", "V2")}
        ack(boats["V1"], orders["V1"]["msg_id"], "accepted", clock, eta_min=25)
        ack(boats["V2"], orders["V2"]["msg_id"], "declined", clock, text="网具缠车")
        v1 = page.locator('.nearest-row[data-vessel-id="V1"] .task-state')
        v2 = page.locator('.nearest-row[data-vessel-id="V2"] .task-state')
        await expect(v1).to_have_text("已接受，预计 25 分钟到达")
        await expect(v2).to_have_text("已拒绝")
        await expect(page.locator('.task-row[data-vessel-id="V1"]')).to_have_attribute(
            "data-task", "accepted"
        )
        await page.wait_for_function(
            f"() => ({scene})().some((p) => p.id === 'V1' && p.role === 'accepted')"
        )
        points = {p["id"]: p for p in await page.evaluate(scene)}
        assert points["V2"]["role"] == "declined"
        await page.locator(".incident-page .page-head").scroll_into_view_if_needed()
        await shot(page, "incident-epirb-scene-zh")

        await page.click(".cap-button")
        await expect(page.locator("pre.cap-text")).to_contain_text("<status>Actual</status>")
        await page.click(".sitrep-button")
        await expect(page.locator("pre.sitrep-text")).to_contain_text("SITREP 001")
        await page.click('.lang-switch button[data-lang="en"]')
        await expect(page.locator(".incident-what")).to_have_text("Distress · EPIRB beacon")
        await expect(v1).to_have_text("accepted, ETA 25 min")
        leaks = await page.evaluate(CJK_OUTSIDE_DATA)
        assert leaks == [], "\n".join(leaks)
        await shot(page, "incident-epirb-scene-en")
    finally:
        gw.close()
        for b in boats.values():
            b.close()
