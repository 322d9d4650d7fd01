"""The fleet map: vessels coloured by contact state, counters, live moves, panel and track, scope."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_PW, COORD_PW, Console, shot
from tests.console.helpers import at, beijing, counter, dot, drawn, login, not_drawn, publish

GREEN = (46, 204, 113)


def near(rgb: list[int] | None, expected: tuple[int, int, int]) -> bool:
    return rgb is not None and all(abs(a - b) <= 3 for a, b in zip(rgb, expected, strict=True))


async def test_the_map_draws_each_vessel_in_the_colour_of_its_contact_state(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await publish(hub, clock, "V1", at(clock, 5, lat=23.30, lon=117.60))
    await publish(hub, clock, "V4", at(clock, 3, lat=23.25, lon=117.70))
    await login(page, console.base, "admin", ADMIN_PW)
    assert await counter(page, "all") == 5
    assert await counter(page, "ok") == 2
    assert await counter(page, "unknown") == 3
    assert await counter(page, "lost") == 0
    v1 = await drawn(page, "V1")
    assert v1 is not None and near(v1["rgb"], GREEN), v1
    assert await dot(page, "V3") is None, "a vessel never heard has no position to draw"
    # The worst first in the list: never-heard vessels above those in contact.
    rows = await page.locator(".vrow").evaluate_all("rs => rs.map(r => r.dataset.vesselId)")
    assert rows == ["V2", "V3", "V5", "V1", "V4"]
    await expect(page.locator('.vrow[data-vessel-id="V1"] .state-text')).to_have_text("正常")
    await shot(page, "fleet-map-zh")

    # A counter is also the filter: "unknown" leaves only the never-heard vessels in the list.
    await page.click('.counter[data-state="unknown"]')
    await expect(page.locator(".vrow")).to_have_count(3)
    await not_drawn(page, "V1")  # the map follows the filter
    await page.click('.counter[data-state="unknown"]')
    await page.fill(".filter-search", "00004")
    await expect(page.locator(".vrow")).to_have_count(1)
    await expect(page.locator(".vrow .hull")).to_have_text("粤南澳渔00004")


async def test_a_position_published_over_mqtt_moves_the_marker_live(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await publish(hub, clock, "V1", at(clock, 5, lat=23.30, lon=117.60))
    await login(page, console.base, "admin", ADMIN_PW)
    before = await drawn(page, "V1")
    assert before is not None and before["lat"] == 23.30
    await page.click('.vrow[data-vessel-id="V1"]')
    await expect(page.locator(".vessel-panel .panel-title")).to_have_text("粤南澳渔00001")

    await publish(hub, clock, "V1", at(clock, 0, lat=23.34, lon=117.64))
    await page.wait_for_function("() => window.__sealinkMap.vessels.pointOf('V1')?.lat === 23.34")
    after = await dot(page, "V1")
    assert after is not None and near(after["rgb"], GREEN)
    assert (after["x"], after["y"]) != (before["x"], before["y"])
    await expect(page.locator('.vessel-panel [data-field="field.position"]')).to_have_text(
        "23°20.40′N 117°38.40′E"  # degrees and minutes, as seafarers read them
    )


async def test_clicking_a_vessel_shows_its_details_and_its_track_with_backfill_dashed(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await publish(
        hub,
        clock,
        "V2",
        at(clock, 30, lat=23.20, lon=117.50),
        at(clock, 20, lat=23.22, lon=117.52, backfill=True),
        at(clock, 10, lat=23.24, lon=117.53),
        at(clock, 0, lat=23.26, lon=117.55),
    )
    await login(page, console.base, "admin", ADMIN_PW)
    point = await drawn(page, "V2")
    assert point is not None
    map_box = await page.locator(".fleet-page .map").bounding_box()
    assert map_box is not None
    await page.mouse.click(map_box["x"] + point["x"], map_box["y"] + point["y"])
    panel = page.locator(".vessel-panel")
    await expect(panel.locator(".panel-title")).to_have_text("粤南澳渔00002")
    await expect(panel.locator('[data-field="field.mmsi"]')).to_have_text("412000002")
    await expect(panel.locator('[data-field="field.grid"]')).to_have_text("云澳第1网格 (G01)")
    await expect(panel.locator('[data-field="field.persons"]')).to_have_text("6")
    await expect(panel.locator('[data-field="field.gear"]')).to_have_text("单拖")
    await expect(panel.locator('[data-field="field.contact"]')).to_contain_text("正常")
    # Beijing time (UTC+8) although the browser runs in UTC.
    fix_time = panel.locator('[data-field="field.fix_time"]')
    await expect(fix_time).to_contain_text(beijing(clock.now()))  # in Beijing time, with its age
    await expect(fix_time).to_contain_text("前")
    await expect(panel.locator(".track-status")).to_have_text("轨迹：4 个定位点（最近 24 小时）")
    await expect(page.locator("path.fix-backfill")).to_have_count(1)
    await expect(page.locator("path.fix-live")).to_have_count(3)
    await expect(page.locator(".leaflet-track-pane path[stroke-dasharray]")).to_have_count(1)
    await shot(page, "fleet-panel-track-zh")


async def test_a_coordinator_of_g01_sees_only_the_vessels_of_g01(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await publish(hub, clock, "V1", at(clock, 1, lat=23.30, lon=117.60))
    await publish(hub, clock, "V4", at(clock, 1, lat=23.25, lon=117.70))
    await login(page, console.base, "coord1", COORD_PW)
    assert await counter(page, "all") == 3
    rows = await page.locator(".vrow").evaluate_all("rs => rs.map(r => r.dataset.vesselId)")
    assert sorted(rows) == ["V1", "V2", "V3"]
    assert await dot(page, "V4") is None
    options = await page.locator(".filter-grid option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["", "G01"]
    # A live fix from a vessel of another grid never reaches this coordinator's page.
    await publish(hub, clock, "V4", at(clock, 0, lat=23.26, lon=117.71))
    await publish(hub, clock, "V1", at(clock, 0, lat=23.31, lon=117.61))
    await page.wait_for_function("() => window.__sealinkMap.vessels.pointOf('V1')?.lat === 23.31")
    assert await dot(page, "V4") is None
    assert await counter(page, "all") == 3
