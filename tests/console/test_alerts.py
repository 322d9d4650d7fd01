"""Alerts reach the coordinator: listed live, announced by a banner and a sound, escalated."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_PW, Console, shot
from tests.console.helpers import at, beijing, counter, dot, login, publish

AMBER = (255, 176, 32)
RED = (255, 77, 79)


async def sounds(page: Page) -> dict[str, int]:
    result: dict[str, int] = await page.evaluate("() => ({ ...window.__sealinkSounds })")
    return result


async def test_a_silent_vessel_turns_amber_then_raises_a_lost_contact_alert_with_banner_and_sound(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await publish(hub, clock, "V1", at(clock, 0, lat=23.30, lon=117.60))
    await login(page, console.base, "admin", ADMIN_PW)
    assert await sounds(page) == {"alert": 0, "critical": 0, "distress": 0, "drill": 0, "repeat": 0}

    clock.advance(timedelta(minutes=21))  # two report intervals missed: overdue, no alert yet
    await hub.watch.settle()
    await page.wait_for_function(
        "() => window.__sealinkMap.vessels.pointOf('V1')?.state === 'overdue'"
    )
    await expect(page.locator('.counter[data-state="overdue"] .counter-value')).to_have_text("1")
    v1 = await dot(page, "V1")
    assert v1 is not None and all(abs(a - b) <= 3 for a, b in zip(v1["rgb"], AMBER, strict=True))
    assert (await sounds(page))["alert"] == 0

    clock.advance(timedelta(minutes=20))  # 41 minutes: four intervals, lost contact
    await hub.watch.settle()
    banner = page.locator(".banner-item")
    await expect(banner).to_have_count(1)
    await expect(banner).to_contain_text("粤南澳渔00001")
    await expect(banner).to_contain_text("失联 · 不确定阶段")
    assert (await sounds(page))["alert"] == 1
    assert await counter(page, "lost") == 1
    v1 = await dot(page, "V1")
    assert v1 is not None and all(abs(a - b) <= 3 for a, b in zip(v1["rgb"], RED, strict=True))
    await expect(page.locator('.nav-link[data-route="alerts"] .nav-badge')).to_have_text("1")
    await shot(page, "alert-banner-fleet-zh")

    await page.click('.nav-link[data-route="alerts"]')
    row = page.locator(".alert-row")
    await expect(row).to_have_count(1)
    await expect(row.locator("td").nth(1)).to_have_text("警告")
    await expect(row.locator(".alert-what")).to_have_text("失联 · 不确定阶段")
    await expect(row.locator(".vessel-link")).to_have_text("粤南澳渔00001")
    await expect(row.locator("td").nth(4)).to_have_text("云澳第1网格")
    # Raised when the watch judged it (the fake clock had jumped 41 min), shown in Beijing time.
    await expect(row.locator("td").nth(5)).to_contain_text(beijing(clock.now()))
    await expect(row.locator("td.time .age").first).to_contain_text("前")  # and its age
    await expect(row.locator(".alert-state")).to_have_text("待确认")
    await shot(page, "alerts-page-zh")

    # Four hours of silence: the distress phase, critical. A louder alarm and a red banner.
    clock.advance(timedelta(hours=3, minutes=30))
    await hub.watch.settle()
    await expect(row.locator(".alert-what")).to_have_text("失联 · 遇险阶段")
    await expect(row.locator("td").nth(1)).to_have_text("危急")
    # Its distress phase reaches everyone up to the county desk at once: each step on the banner.
    sar = page.locator(".banner-item.kind-sar-distress")
    await expect(sar).to_contain_text("遇险阶段")
    await expect(sar.locator(".banner-level")).to_have_text("已升级至县应急值班室")
    await expect(sar.locator(".banner-told")).to_contain_text("县应急值班室 县渔业应急办")
    assert (await sounds(page))["critical"] >= 1
    await shot(page, "alerts-distress-zh")

    # The banner stays until someone acknowledges (there is no "got it" that only hides it); the
    # vessel reporting again resolves the alert.
    await expect(page.locator(".banner-item .banner-dismiss")).to_have_count(0)
    await publish(hub, clock, "V1", at(clock, 0, lat=23.31, lon=117.61))
    await expect(page.locator(".banner-item")).to_have_count(0)
    await expect(row).to_have_count(0)
    await expect(page.locator(".alerts-body .empty")).to_have_text("没有告警")
    await page.click('.tab[data-view="all"]')
    await expect(page.locator(".alert-row.resolved")).to_have_count(1)


async def test_an_alert_raised_while_the_live_link_was_down_is_still_announced(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await publish(hub, clock, "V2", at(clock, 0, lat=23.30, lon=117.60))
    await login(page, console.base, "admin", ADMIN_PW)
    # Cut the live link from the page's side, raise the alert meanwhile, let the page reconnect.
    await page.evaluate("() => { window.__sealinkLive._ws.close(); }")
    clock.advance(timedelta(minutes=41))
    await hub.watch.settle()
    await expect(page.locator(".banner-item")).to_contain_text("粤南澳渔00002", timeout=15_000)
    assert (await sounds(page))["alert"] == 1
    await expect(page.locator(".conn-open")).to_be_visible()
