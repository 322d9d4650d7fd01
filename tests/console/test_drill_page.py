"""Issue 13.6 in the console: a coordinator orders a drill from a vessel's page; the boat gets the
order, its crew's alarm comes back as a drill and is marked 演练 wherever the console shows it."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.console.conftest import COORD_PW, Console, shot
from tests.console.helpers import login, sounds
from tests.test_broadcasts import online, receive
from tests.test_distress import distress


async def test_a_drill_ordered_from_the_vessel_page_comes_back_marked_as_a_drill(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    boat = online(hub, "V1", clock)
    try:
        await login(page, console.base, "coord1", COORD_PW)
        await page.evaluate("() => { location.hash = '#/vessel/V1'; }")
        card = page.locator(".drill-card")
        await expect(card.locator("h2")).to_contain_text("演练")
        await card.locator("select[name=drill_kind]").select_option("man_overboard")
        await card.locator(".drill-start").click()
        await expect(card.locator(".drill-status")).to_contain_text("人员落水演练")
        await card.locator(".drill-confirm").click()
        await expect(card.locator(".drill-status.ok")).to_contain_text("指令已发往船上")

        order = await receive(boat)
        assert order["kind"] == "drill" and order["exercise"] is True, order
        assert order["drill"] == "man_overboard"
        boat.publish(
            "distress",
            distress(clock, distress_id="V1-mob-drill", nature="man_overboard", exercise=True),
        )
        await receive(boat)  # the receipt

        banner = page.locator(".banner-item")
        await expect(banner).to_have_attribute("data-exercise", "1")
        await expect(banner.locator(".drill-badge")).to_have_text("演练")
        assert (await sounds(page))["drill"] == 1
        # The vessel's history lists it as a drill, waiting for acknowledgement.
        row = page.locator(".vessel-page .alert-row.drill")
        await expect(row.locator(".drill-badge")).to_have_text("演练")
        await expect(row.locator(".alert-state")).to_have_text("待确认")
        await shot(page, "drill-vessel-page-zh")
    finally:
        boat.close()


async def test_a_viewer_is_not_offered_a_drill(page: Page, console: Console) -> None:
    from seaLink.domain.roles import Role
    from seaLink.services.auth import hash_password
    from seaLink.store import users

    await users.create_user(
        console.hub.db,
        username="watcher",
        password_hash=hash_password("watcher-pass-1"),
        role=Role.VIEWER,
        grid_ids=["G01"],
        now=console.clock.now(),
    )
    await login(page, console.base, "watcher", "watcher-pass-1")
    await page.evaluate("() => { location.hash = '#/vessel/V1'; }")
    await expect(page.locator(".vessel-page .vessel-title")).to_contain_text("粤南澳渔00001")
    await expect(page.locator(".drill-card")).to_have_count(0)
