"""The vessel page and the statistics page."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_PW, Console, PageErrors, shot
from tests.console.helpers import at, login, publish


async def test_the_vessel_page_shows_details_track_and_contact_history(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await publish(
        hub,
        clock,
        "V3",
        at(clock, 20, lat=23.20, lon=117.50),
        at(clock, 10, lat=23.22, lon=117.52, backfill=True),
        at(clock, 0, lat=23.24, lon=117.55),
    )
    clock.advance(timedelta(minutes=41))
    await hub.watch.settle()
    await login(page, console.base, "admin", ADMIN_PW)
    await page.click('.vrow[data-vessel-id="V3"]')
    await page.click(".vessel-panel a.button")
    assert page.url.endswith("#/vessel/V3")
    await expect(page.locator(".vessel-title")).to_contain_text("粤南澳渔00003")
    await expect(page.locator('.vessel-page [data-field="field.contact"]')).to_contain_text("失联")
    await expect(page.locator(".vessel-page path.fix-live")).to_have_count(2)
    await expect(page.locator(".vessel-page path.fix-backfill")).to_have_count(1)
    history = page.locator(".history .alert-row")
    await expect(history).to_have_count(1)
    await expect(history.locator(".alert-what")).to_have_text("失联 · 不确定阶段")
    await expect(history.locator(".alert-state")).to_have_text("待确认")
    await shot(page, "vessel-page-zh")
    await page.click(".back-link")
    await expect(page.locator(".fleet-page")).to_be_visible()


async def test_an_unknown_vessel_page_says_so(
    page: Page, console: Console, page_errors: PageErrors
) -> None:
    page_errors.allow(r"status of 404")
    await login(page, console.base, "admin", ADMIN_PW)
    await page.goto(f"{console.base}/console/#/vessel/NOPE")
    await expect(page.locator(".empty")).to_have_text("找不到船舶 NOPE，或不在您负责的网格内")


async def test_the_statistics_page_charts_contact_states_per_grid(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    for vid in ("V1", "V2", "V4"):
        await publish(hub, clock, vid, at(clock, 0, lat=23.3, lon=117.60))
    await login(page, console.base, "admin", ADMIN_PW)
    await page.click('.nav-link[data-route="stats"]')
    # The by-grid chart (the history charts below it draw canvases of their own once their
    # data has come, sooner or later than this line).
    by_grid = ".stats-page .chart:not(.chart-contact):not(.chart-response) .uplot canvas"
    await expect(page.locator(by_grid)).to_have_count(1)
    g01 = page.locator('.stats-table tr[data-grid="G01"] td')
    await expect(g01).to_have_text(["3", "2", "0", "0", "0", "1"])
    g02 = page.locator('.stats-table tr[data-grid="G02"] td')
    await expect(g02).to_have_text(["2", "1", "0", "0", "0", "1"])
    await shot(page, "stats-zh")
    # Live: a vessel lost in G01 shows in the table within a second or so.
    clock.advance(timedelta(minutes=41))
    await hub.watch.settle()
    await expect(g01).to_have_text(["3", "0", "0", "2", "0", "1"])
