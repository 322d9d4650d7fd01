"""Issue 13.2 and 13.3 in the console: alarms presented by what they mean. A distress call sounds
again every 30 s until a named person acknowledges it, silence stops only the sound; a lost
contact at its distress phase never looks like a call for help; a drill never like a real alarm,
and a real distress goes first; each escalation shows on the banner with who was told."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from itertools import pairwise
from typing import Any

from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_PW, COORD_PW, Console, shot
from tests.console.helpers import CJK_OUTSIDE_DATA, at, login, publish, sounds
from tests.test_broadcasts import online, receive
from tests.test_distress import distress

REPEAT_MS = 30_000


async def sound_log(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await page.evaluate("() => [...window.__sealinkSoundLog]")
    return result


async def colour(page: Page, selector: str) -> str:
    """The element's background and left border colours. A live re-render can replace the element
    between finding and reading it; a detached element has no computed style (reads ''), so the
    read is retried on the one in the page."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        result: str = await page.locator(selector).first.evaluate(
            "el => el.isConnected ? getComputedStyle(el).backgroundColor + ' '"
            " + getComputedStyle(el).borderLeftColor : ''"
        )
        if result.strip() or asyncio.get_running_loop().time() > deadline:
            assert result.strip(), f"no computed colours for {selector}"
            return result
        await asyncio.sleep(0.1)


async def test_a_distress_sounds_every_30_s_until_acknowledged_and_silence_stops_only_the_sound(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    boat = online(hub, "V1", clock)
    try:
        # The page's own clock is driven by the test (30 s pass in an instant); the hub's is fake.
        await page.clock.install()
        await login(page, console.base, "coord1", COORD_PW)
        boat.publish("distress", distress(clock, lat=23.30, lon=117.60))
        await receive(boat)  # the automatic receipt: the alert is stored
        banner = page.locator('.banner-item[data-type="distress"]')
        await expect(banner).to_be_visible()
        await expect(banner).to_contain_text("遇险报警 · 船载终端")
        await expect(banner.locator(".banner-unacked")).to_have_text("待确认")
        assert (await sounds(page))["distress"] == 1
        assert (await sounds(page))["repeat"] == 0

        # Nobody acknowledges: it sounds again every 30 s, with the distress call's own sound.
        for n in (1, 2, 3):
            await page.clock.run_for(REPEAT_MS + 1000)
            await page.wait_for_function(
                "(n) => window.__sealinkSounds.repeat >= n", arg=n, timeout=5000
            )
        assert (await sounds(page))["repeat"] == 3
        log = [e for e in await sound_log(page) if e["kind"] == "distress"]
        gaps = [b["at"] - a["at"] for a, b in pairwise(log)]
        assert len(gaps) == 3 and all(REPEAT_MS <= g <= REPEAT_MS + 2000 for g in gaps), gaps

        # Silenced from the banner: the sound stops, nothing else. Still unacknowledged, and the
        # hub still escalates it to the grid leader two minutes later, which the banner shows.
        await banner.locator(".banner-silence").click()
        await expect(banner.locator(".banner-silenced")).to_contain_text("已静音至")
        await page.clock.run_for(2 * REPEAT_MS)
        assert (await sounds(page))["repeat"] == 3
        await expect(banner.locator(".banner-unacked")).to_have_text("待确认")
        clock.advance(timedelta(minutes=2, seconds=5))
        await hub.drained()
        await expect(banner.locator(".banner-level")).to_have_text("已升级至网格长")
        await expect(banner.locator(".banner-told")).to_contain_text("网格长")
        await shot(page, "alarm-distress-silenced-escalated-zh")
        await page.clock.run_for(2 * REPEAT_MS)
        assert (await sounds(page))["repeat"] == 3
        # Each step on the incident too: the log in words, who was told at which level.
        await banner.locator(".banner-view").click()
        escalated = page.locator('.log-entry[data-kind="escalated"]')
        await expect(escalated).to_contain_text("无人确认，升级至网格长")
        await expect(page.locator('.told-row[data-level="1"]')).to_contain_text("网格长")
        await expect(page.locator(".incident-level")).to_contain_text("网格长")

        # Acknowledged by a named person: the banner goes, the sound never comes back.
        await banner.locator(".banner-ack").click()
        await expect(banner).to_have_count(0)
        await page.clock.run_for(20 * 60_000)  # past the end of the silence
        assert (await sounds(page))["repeat"] == 3
    finally:
        boat.close()


async def test_a_lost_contact_at_its_distress_phase_does_not_look_or_sound_like_a_distress_call(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await publish(hub, clock, "V1", at(clock, 0, lat=23.30, lon=117.60))
    await login(page, console.base, "admin", ADMIN_PW)
    clock.advance(timedelta(hours=4, minutes=11))  # V1 silent for hours: distress phase
    await hub.watch.settle()
    sar = page.locator('.banner-item[data-type="lost_contact"]')
    await expect(sar).to_contain_text("失联 · 遇险阶段")
    boat = online(hub, "V2", clock)
    try:
        boat.publish("distress", distress(clock, distress_id="V2-d1", lat=23.32, lon=117.62))
        await receive(boat)
        call = page.locator('.banner-item[data-type="distress"]')
        await expect(call).to_contain_text("遇险报警 · 船载终端")
        # The call for help goes first; each has its own colour, icon and sound.
        await expect(page.locator(".banner-item").first).to_have_attribute("data-type", "distress")
        assert await colour(page, '.banner-item[data-type="distress"]') != await colour(
            page, '.banner-item[data-type="lost_contact"]'
        )
        call_icon = await call.locator(".banner-icon").inner_html()
        sar_icon = await sar.locator(".banner-icon").inner_html()
        assert call_icon != sar_icon
        assert "SOS" not in await sar.inner_text()
        heard = await sounds(page)
        assert heard["distress"] == 1 and heard["critical"] >= 1, heard
        await shot(page, "alarm-call-vs-lost-contact-zh")

        await page.click('.nav-link[data-route="alerts"]')
        call_row = page.locator(".alert-row.distress-call")
        sar_row = page.locator(".alert-row.kind-lost")
        await expect(call_row).to_have_count(1)
        await expect(sar_row).to_have_count(1)
        await expect(sar_row.locator(".alert-what")).to_have_text("失联 · 遇险阶段")
        assert await colour(page, ".alert-row.distress-call") != await colour(
            page, ".alert-row.kind-lost"
        )
        await shot(page, "alarm-call-vs-lost-contact-list-zh")
        # In English too, words only: the banner, the list.
        await page.click('.lang-switch button[data-lang="en"]')
        await expect(call).to_contain_text("Distress · terminal")
        await expect(sar).to_contain_text("Lost contact · Distress phase")
        await expect(sar_row.locator(".alert-state")).to_have_text("waiting for acknowledgement")
        leaks = await page.evaluate(CJK_OUTSIDE_DATA)
        assert leaks == [], leaks
        await shot(page, "alarm-call-vs-lost-contact-list-en")
        await page.click('.lang-switch button[data-lang="zh-CN"]')
    finally:
        boat.close()


async def test_a_drill_is_marked_everywhere_and_a_real_distress_takes_precedence(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    drill_boat, real_boat = online(hub, "V1", clock), online(hub, "V2", clock)
    try:
        await login(page, console.base, "coord1", COORD_PW)
        drill_boat.publish(
            "distress", distress(clock, distress_id="V1-drill", exercise=True, lat=23.3, lon=117.6)
        )
        await receive(drill_boat)
        drill = page.locator('.banner-item[data-exercise="1"]')
        await expect(drill.locator(".drill-badge")).to_have_text("演练")
        heard = await sounds(page)
        assert heard["drill"] == 1 and heard["distress"] == 0, heard  # a drill's own soft tone

        real_boat.publish("distress", distress(clock, distress_id="V2-real", lat=23.31, lon=117.61))
        await receive(real_boat)
        real = page.locator('.banner-item[data-exercise="0"]')
        await expect(real).to_contain_text("遇险报警")
        await expect(page.locator(".banner-item").first).to_have_attribute("data-exercise", "0")
        assert (await sounds(page))["distress"] == 1
        assert await colour(page, '.banner-item[data-exercise="1"]') != await colour(
            page, '.banner-item[data-exercise="0"]'
        )
        await expect(real.locator(".drill-badge")).to_have_count(0)
        await shot(page, "alarm-real-before-drill-zh")

        # 演练 on the list, on the incident page, on the fleet map.
        await page.click('.nav-link[data-route="alerts"]')
        drill_row = page.locator(".alert-row.drill")
        await expect(drill_row.locator(".drill-badge")).to_have_text("演练")
        await expect(page.locator(".alert-row").first).not_to_have_class("drill")
        await drill_row.locator(".alert-link").click()
        await expect(page.locator(".incident-page .drill-strip")).to_be_visible()
        await expect(page.locator(".incident-page h1 .drill-badge")).to_have_text("演练")
        await page.wait_for_function(
            "() => (window.__sealinkScene?.points() || []).some((p) => p.role === 'distress')"
        )
        await page.click('.lang-switch button[data-lang="en"]')
        await expect(page.locator(".incident-page h1 .drill-badge")).to_have_text("EXERCISE")
        await page.click('.lang-switch button[data-lang="zh-CN"]')
        await page.click('.nav-link[data-route="fleet"]')
        await page.wait_for_function("() => window.__sealinkMap?.distress?.points().length === 2")
        marks = await page.evaluate("() => window.__sealinkMap.distress.points()")
        assert {(m["vessel_id"], m["exercise"]) for m in marks} == {("V1", True), ("V2", False)}
    finally:
        drill_boat.close()
        real_boat.close()


async def test_a_press_on_the_banner_still_clicks_when_an_alert_arrives_during_it(
    page: Page, console: Console
) -> None:
    """A click is a press and a release on one element. A second distress arriving while the duty
    officer's finger is on "open incident" redraws the banner (the newer call goes first): were
    the button replaced between press and release, the browser would send no click and the
    incident would not open, just when it matters most."""
    hub, clock = console.hub, console.clock
    first, second = online(hub, "V1", clock), online(hub, "V2", clock)
    try:
        await login(page, console.base, "coord1", COORD_PW)
        first.publish("distress", distress(clock, distress_id="V1-d", lat=23.3, lon=117.6))
        await receive(first)
        item = page.locator('.banner-item[data-type="distress"]')
        view = item.locator(".banner-view")
        await expect(view).to_have_text("打开遇险事件")
        badge = page.locator(".nav-badge")
        await expect(badge).to_have_text("1")
        await expect(item.locator(".banner-told")).to_contain_text("值班员")
        await view.hover()  # the pointer on the button, then pressed
        await page.mouse.down()

        clock.advance(timedelta(seconds=30))  # newer: it goes first, where the finger is
        second.publish("distress", distress(clock, distress_id="V2-d", lat=23.31, lon=117.61))
        await receive(second)
        await expect(badge).to_have_text("2")  # the page has the second alert
        await page.evaluate(  # and the banner's redraw has had its frames
            "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        await page.mouse.up()

        await expect(page.locator(".incident-page h1")).to_contain_text("遇险事件")
        await expect(page.locator(".incident-summary")).to_contain_text("粤南澳渔00001")
        await expect(item).to_have_count(2)  # the redraw that waited, once the press ended
        await expect(item.first).to_contain_text("粤南澳渔00002")
    finally:
        first.close()
        second.close()
