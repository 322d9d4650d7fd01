"""Simplified Chinese first, English on request; every visible word comes from the dictionaries."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_PW, Console, shot
from tests.console.helpers import CJK_OUTSIDE_DATA, at, login, publish, wait_loaded

CONSOLE = Path(__file__).resolve().parents[2] / "shore_console"


def dictionary_keys(name: str) -> set[str]:
    text = (CONSOLE / "js" / "i18n" / name).read_text(encoding="utf-8")
    return set(re.findall(r'^\s*"([^"]+)":', text, flags=re.M))


def test_both_dictionaries_have_every_key_the_code_uses() -> None:
    zh, en = dictionary_keys("zh-CN.js"), dictionary_keys("en.js")
    assert zh == en, f"only zh: {sorted(zh - en)}, only en: {sorted(en - zh)}"
    used: set[str] = set()
    for js in (CONSOLE / "js").rglob("*.js"):
        source = js.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\("([a-z_.]+)"', source))
        used |= set(
            re.findall(
                r'"((?:field|nav|alerts\.col|incident\.col|trail\.col|alert)\.[a-z_]+)"', source
            )
        )
    assert used - zh == set()
    for family, codes in {
        "state": ["ok", "overdue", "lost", "maintenance", "unknown"],
        "phase": ["uncertainty", "alert", "distress"],
        "severity": ["critical", "major", "warning", "notice"],
        "role": ["admin", "coordinator", "viewer"],
        "conn": ["connecting", "open", "closed"],
        "zone": ["protected", "sensitive", "moratorium", "port"],
        "alerts.tab": ["open", "all"],
        # the duty room: words chosen from codes at run time
        "alert.level": ["0", "1", "2"],
        "alert.source": ["terminal", "beidou", "epirb", "sart", "mob", "ais"],
        "alert.outcome": ["rescued", "false_alarm", "contact_restored", "other"],
        "alerts.kind": ["distress", "lost", "zone", "recall", "separation", "maintenance", "drill"],
        "alerts.state": ["raised", "acknowledged", "resolved"],
        "trail.channel": ["console", "sms", "email", "webhook"],
        "incident.delivery": ["queued", "sent", "delivered", "read", "expired", "failed"],
        "incident.kind": [
            "alarm",
            "distress",
            "cancel_requested",
            "acknowledged",
            "resolved",
            "tasked",
            "task_accepted",
            "task_declined",
            "sitrep",
            "escalated",
        ],
        "drill.kind": ["distress", "man_overboard"],
        "banner": ["new", "escalated", "phase"],
    }.items():
        assert {f"{family}.{c}" for c in codes} <= zh, family


async def test_the_english_switch_changes_every_word_of_the_ui_and_is_remembered(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await publish(hub, clock, "V1", at(clock, 0, lat=23.30, lon=117.60))
    await login(page, console.base, "admin", ADMIN_PW)
    await expect(page.locator(".nav-link.active")).to_have_text("船队地图")
    await page.click('.lang-switch button[data-lang="en"]')
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator(".nav-link.active")).to_have_text("Fleet map")
    await expect(page.locator('.counter[data-state="ok"] .counter-label')).to_have_text("OK")
    await expect(page.locator("button.logout")).to_have_text("Log out")
    await page.click('.vrow[data-vessel-id="V1"]')
    await expect(page.locator(".vessel-panel dt").first).to_have_text("Vessel id")
    assert await page.evaluate(CJK_OUTSIDE_DATA) == []
    await shot(page, "fleet-map-en")

    for route in ("alerts", "stats"):
        await page.click(f'.nav-link[data-route="{route}"]')
        await expect(page.locator(f'.nav-link[data-route="{route}"].active')).to_be_visible()
        await expect(page.locator(".page-head h1")).to_be_visible()
        assert await page.evaluate(CJK_OUTSIDE_DATA) == [], route
        await shot(page, f"{route}-en")
    await page.goto(f"{console.base}/console/#/vessel/V1")
    await expect(page.locator(".vessel-page h2").first).to_have_text("Vessel")
    assert await page.evaluate(CJK_OUTSIDE_DATA) == []

    # Remembered across a reload (localStorage), and the session survives it too.
    await page.reload()
    await wait_loaded(page)
    await expect(page.locator(".nav-link").first).to_have_text("Fleet map")
    await page.click('.lang-switch button[data-lang="zh-CN"]')
    await expect(page.locator(".nav-link").first).to_have_text("船队地图")
    await page.click("button.logout")
    await expect(page.locator("button[type=submit]")).to_have_text("登录")
