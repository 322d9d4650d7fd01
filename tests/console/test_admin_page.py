"""Administration: an admin creates a coordinator who then logs in and sees only their grid; the
roster and zones (drawn on the map, pasted as GeoJSON, permits, retiring); coordinators do not
see the admin pages, and the hub refuses them the admin calls anyway."""

from __future__ import annotations

import json
import re

import aiohttp
from playwright.async_api import Browser, Dialog, Page, expect

from tests.console.conftest import ADMIN_PW, COORD_PW, Console, PageErrors, shot
from tests.console.helpers import at, dot, drawn, login, publish
from tests.console.test_i18n import CJK_OUTSIDE_DATA


async def test_an_admin_creates_a_coordinator_who_then_sees_only_their_grid(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    for vid in ("V1", "V4"):  # one boat in G01, one in G02
        await publish(hub, clock, vid, at(clock, 0))
    await login(page, console.base, "admin", ADMIN_PW)
    await page.click('.nav-link[data-route="admin"]')
    await expect(page.locator(".admin-page h1")).to_have_text("系统管理")

    form = page.locator(".user-form")
    await form.locator("input[name=username]").fill("lin2")
    await form.locator("input[name=display_name]").fill("林建国")
    await form.locator("input[name=password]").fill("lin-pass-2026")
    await form.locator("select[name=role]").select_option("coordinator")
    await form.locator("input[name=grid][value=G02]").check()
    await form.locator(".user-create").click()
    await expect(page.locator(".form-status.ok")).to_have_text("已创建账户 lin2")
    row = page.locator('.user-row[data-username="lin2"]')
    await expect(row).to_contain_text("网格员")
    await expect(row).to_contain_text("G02")
    await shot(page, "admin-users-zh")
    coord1 = page.locator('.user-row[data-username="coord1"]')
    await coord1.locator(".user-toggle").click()
    await expect(coord1).to_contain_text("已停用")
    assert (await login_status(console, "coord1", COORD_PW)) == 401
    await coord1.locator(".user-toggle").click()
    await expect(coord1).to_contain_text("正常")
    assert (await login_status(console, "coord1", COORD_PW)) == 200
    await expect(page.locator('.user-row[data-username="admin"] .user-toggle')).to_have_count(0)

    await page.click('.tab[data-tab="grids"]')
    await expect(page.locator('.grid-row[data-grid="G02"] .grid-accounts')).to_have_text("lin2")
    await expect(page.locator('.grid-row[data-grid="G01"] .grid-accounts')).to_have_text("coord1")

    await page.click('.tab[data-tab="duty"]')
    duty = page.locator(".duty-form")
    await duty.locator("select[name=grid_id]").select_option("G02")
    await duty.locator("input[name=coordinator_id]").fill("C02L")
    await duty.locator(".duty-add").click()
    shift = page.locator('.duty-row[data-grid="G02"]')
    await expect(shift).to_contain_text("C02L")
    await expect(shift).to_have_class("duty-row current")  # from now for 12 hours

    await page.click(".logout")
    await login(page, console.base, "lin2", "lin-pass-2026")
    await expect(page.locator('.nav-link[data-route="admin"]')).to_have_count(0)
    await page.click('.nav-link[data-route="stats"]')
    grids = page.locator(".stats-table tr[data-grid]")
    await expect(grids).to_have_count(1)
    await expect(grids).to_have_attribute("data-grid", "G02")
    await shot(page, "admin-new-coordinator-stats-zh")


async def test_zones_are_drawn_pasted_permitted_and_retired(
    page: Page, console: Console, page_errors: PageErrors
) -> None:
    page_errors.allow(r"400 \(Bad Request\)")  # the permit for a vessel that does not exist
    await login(page, console.base, "admin", ADMIN_PW)
    await page.goto(f"{console.base}/console/#/admin/zones")
    await expect(page.locator(".zone-form")).to_be_visible()
    await page.wait_for_function("() => document.querySelector('.zone-draw-map.leaflet-container')")
    before = len((await hub_zones(console))["features"])

    form = page.locator(".zone-form")
    await form.locator("input[name=zone_name]").fill("测试禁渔区")
    await form.locator("input[name=zone_name_en]").fill("Test closure")
    await form.locator("select[name=zone_kind]").select_option("protected")
    mapbox = page.locator(".zone-draw-map")
    for x, y in ((200, 120), (420, 140), (380, 300), (220, 280)):
        await mapbox.click(position={"x": x, "y": y})
        await page.wait_for_timeout(600)  # apart enough not to be a double click (zoom)
    await expect(page.locator(".zone-draw-count")).to_have_text("已画 4 个角点")
    await page.click(".zone-undo")
    await expect(page.locator(".zone-draw-count")).to_have_text("已画 3 个角点")
    await shot(page, "admin-zone-draw-zh")
    await form.locator(".zone-add").click()
    await expect(page.locator(".form-status.ok")).to_contain_text("已添加区域")
    doc = await hub_zones(console)
    assert len(doc["features"]) == before + 1
    drawn = next(f for f in doc["features"] if f["properties"]["name"] == "测试禁渔区")
    ring = drawn["geometry"]["coordinates"][0]
    assert drawn["geometry"]["type"] == "Polygon" and len(ring) == 4 and ring[0] == ring[-1]
    assert all(116.0 < lon < 118.0 and 22.9 < lat < 23.8 for lon, lat in ring), ring  # near Nan'ao
    row = page.locator(f'.zone-row[data-zone-id="{drawn["id"]}"]')
    await expect(row).to_contain_text("保护区")

    pasted = {"type": "Point", "coordinates": [117.2, 23.4]}
    await form.locator("input[name=zone_name]").fill("灯塔警戒圈")
    await form.locator("select[name=zone_kind]").select_option("sensitive")
    await form.locator("input[name=zone_radius]").fill("1.5")
    await form.locator("textarea[name=zone_geojson]").fill(json.dumps(pasted))
    await form.locator(".zone-add").click()
    circle = page.locator(".zone-row", has_text="灯塔警戒圈")
    await expect(circle).to_contain_text("敏感海域")
    await expect(circle).to_contain_text("Point")

    await row.locator("input[name=permit_vessel]").fill("V1")
    await row.locator("input[name=permit_note]").fill("科研调查")
    await row.locator(".zone-permit").click()
    await expect(page.locator(".form-status.ok")).to_have_text("已允许 V1 进入 测试禁渔区")
    await row.locator("input[name=permit_vessel]").fill("NOPE")
    await row.locator(".zone-permit").click()
    await expect(page.locator(".form-status.failed")).to_contain_text("no vessel NOPE")

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.once("dialog", accept)
    await row.locator(".zone-retire").click()
    await expect(row).to_have_count(0)
    assert all(f["id"] != drawn["id"] for f in (await hub_zones(console))["features"])
    await shot(page, "admin-zones-zh")


async def test_a_coordinator_does_not_see_the_admin_pages_and_is_refused_the_calls(
    page: Page, console: Console
) -> None:
    await login(page, console.base, "coord1", COORD_PW)
    await expect(page.locator(".nav-link")).not_to_have_count(0)
    await expect(page.locator('.nav-link[data-route="admin"]')).to_have_count(0)
    await page.goto(f"{console.base}/console/#/admin/users")
    await expect(page.locator(".admin-only")).to_have_text("仅管理员可使用此页面")
    await expect(page.locator(".user-form")).to_have_count(0)
    token = await page.evaluate("() => JSON.parse(sessionStorage.getItem('sealink.session')).token")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as s:
        assert (await s.get(f"{console.base}/api/v1/users")).status == 403
        r = await s.post(
            f"{console.base}/api/v1/users",
            json={"username": "x1", "password": "x-pass-123", "role": "admin"},
        )
        assert r.status == 403


async def hub_zones(console: Console) -> dict:  # type: ignore[type-arg]
    return await as_admin(console, "/api/v1/zones")


async def as_admin(console: Console, path: str) -> dict:  # type: ignore[type-arg]
    """GET `path` as the admin, straight from the hub."""
    async with aiohttp.ClientSession() as s:
        r = await s.post(
            f"{console.base}/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PW}
        )
        token = (await r.json())["token"]
        r = await s.get(f"{console.base}{path}", headers={"Authorization": f"Bearer {token}"})
        assert r.status == 200, await r.text()
        doc: dict = await r.json()  # type: ignore[type-arg]
        return doc


async def login_status(console: Console, username: str, password: str) -> int:
    async with aiohttp.ClientSession() as s:
        r = await s.post(
            f"{console.base}/api/v1/auth/login", json={"username": username, "password": password}
        )
        return r.status


async def test_the_new_pages_speak_english_on_request(page: Page, console: Console) -> None:
    hub, clock = console.hub, console.clock
    await publish(hub, clock, "V1", at(clock, 0))
    await login(page, console.base, "admin", ADMIN_PW)
    await page.click('.lang-switch button[data-lang="en"]')
    await expect(page.locator('.nav-link[data-route="admin"]')).to_have_text("Admin")
    for path, ready in (
        ("/trainings", ".trainings-page .empty"),
        ("/requests", ".requests-page .empty"),
        ("/stats", ".chart-contact .uplot"),
        ("/admin/users", ".users-table"),
        ("/admin/grids", ".grids-table"),
        ("/admin/duty", ".duty-form"),
        ("/admin/zones", ".zones-table"),
    ):
        await page.goto(f"{console.base}/console/#{path}")
        await expect(page.locator(ready)).to_be_visible()
        assert await page.evaluate(CJK_OUTSIDE_DATA) == [], path
    await page.goto(f"{console.base}/console/#/trainings")
    await page.click(".training-new")
    await expect(page.locator(".training-form")).to_be_visible()
    await page.click(".quiz-add")
    assert await page.evaluate(CJK_OUTSIDE_DATA) == []
    await shot(page, "training-form-en")


async def test_an_admin_moves_a_coordinator_to_another_grid_and_their_open_console_logs_in_again(
    page: Page, console: Console, browser: Browser
) -> None:
    hub, clock = console.hub, console.clock
    for vid in ("V1", "V4"):  # one boat in G01, one in G02
        await publish(hub, clock, vid, at(clock, 0))
    # coord1 is at work on another PC: the G01 boat only.
    other = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        theirs = await other.new_page()
        theirs.set_default_timeout(10_000)
        await login(theirs, console.base, "coord1", COORD_PW)
        await drawn(theirs, "V1")
        assert await dot(theirs, "V4") is None

        await login(page, console.base, "admin", ADMIN_PW)
        await page.goto(f"{console.base}/console/#/admin/users")
        row = page.locator('.user-row[data-username="coord1"]')
        await expect(row).to_have_attribute("data-role", "coordinator")
        # Not offered for one's own account (an admin could lock everyone out).
        await expect(page.locator('.user-row[data-username="admin"] .user-edit')).to_have_count(0)
        await row.locator(".user-edit").click()
        edit = page.locator('.user-edit-row[data-username="coord1"]')
        await expect(edit.locator("input[name=grid][value=G01]")).to_be_checked()
        await expect(edit.locator("select[name=edit_role]")).to_have_value("coordinator")
        # A coordinator without a grid is refused before asking the hub.
        await edit.locator("input[name=grid][value=G01]").uncheck()
        await edit.locator(".user-save").click()
        await expect(page.locator(".form-status.failed")).to_have_text(
            "操作失败：网格员账户至少要负责一个网格"
        )
        await edit.locator("input[name=grid][value=G02]").check()
        await shot(page, "admin-user-edit-zh")
        await edit.locator(".user-save").click()
        await expect(page.locator(".form-status.ok")).to_have_text(
            "已修改 coord1：网格员，负责网格 G02"
        )
        await expect(row).to_contain_text("G02")
        await expect(row).not_to_contain_text("G01")
        await expect(edit).to_have_count(0)  # the list was read again

        # Their session has ended: the console goes back to the login screen ...
        # (the hub checks an open live link's token every few seconds)
        await expect(theirs.locator(".login-error")).to_have_text(
            "登录已过期，请重新登录", timeout=20_000
        )
        # ... and once logged in again they see G02's boat, not G01's any more.
        await login(theirs, console.base, "coord1", COORD_PW)
        await drawn(theirs, "V4")
        assert await dot(theirs, "V1") is None
        await shot(theirs, "admin-user-moved-coordinator-map-zh")

        # A read-only account: the hub refuses it every write.
        await row.locator(".user-edit").click()
        await edit.locator("select[name=edit_role]").select_option("viewer")
        await edit.locator(".user-save").click()
        await expect(row).to_have_attribute("data-role", "viewer")
        await expect(row).to_contain_text("只读")
        token = await theirs.evaluate(
            "() => JSON.parse(sessionStorage.getItem('sealink.session')).token"
        )
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as s:
            assert (await s.get(f"{console.base}/api/v1/vessels")).status == 401  # ended too
        audit = await as_admin(console, "/api/v1/audit")
        changes = [e["detail"] for e in audit["audit"] if e["target"] == "user/coord1"]
        assert changes[:2] == ["role coordinator->viewer", "grids G01->G02"]
    finally:
        await other.close()


def _shows(zid: int) -> re.Pattern[str]:
    """A map's `data-zone-ids` that includes zone `zid`."""
    return re.compile(rf"(^|,){zid}(,|$)")


async def test_a_zone_added_or_retired_on_the_admin_page_shows_on_every_open_map(
    page: Page, console: Console
) -> None:
    await login(page, console.base, "admin", ADMIN_PW)
    fleet_map = page.locator(".fleet-page .map")
    await expect(fleet_map).to_have_attribute("data-zone-ids", re.compile(r"\d"))
    # A second tab of the same browser keeps the fleet map open all along.
    tab = await page.context.new_page()
    tab_errors: list[str] = []
    tab.on("pageerror", lambda exc: tab_errors.append(str(exc)))
    tab.set_default_timeout(10_000)
    await login(tab, console.base, "admin", ADMIN_PW)
    tab_map = tab.locator(".fleet-page .map")
    await expect(tab_map).to_have_attribute("data-zone-ids", re.compile(r"\d"))

    await page.click('.nav-link[data-route="admin"]')
    await page.click('.tab[data-tab="zones"]')
    form = page.locator(".zone-form")
    await form.locator("input[name=zone_name]").fill("临时警戒区")
    await form.locator("select[name=zone_kind]").select_option("sensitive")
    await form.locator("input[name=zone_radius]").fill("2")
    await form.locator("textarea[name=zone_geojson]").fill(
        json.dumps({"type": "Point", "coordinates": [117.3, 23.35]})
    )
    await form.locator(".zone-add").click()
    await expect(page.locator(".form-status.ok")).to_contain_text("已添加区域")
    zid = next(
        f["id"]
        for f in (await hub_zones(console))["features"]
        if f["properties"]["name"] == "临时警戒区"
    )
    # The admin page's own map, the other tab's map, and the fleet map when it opens again.
    await expect(page.locator(".zone-draw-map")).to_have_attribute("data-zone-ids", _shows(zid))
    await expect(tab_map).to_have_attribute("data-zone-ids", _shows(zid))
    await page.click('.nav-link[data-route="fleet"]')
    await expect(fleet_map).to_have_attribute("data-zone-ids", _shows(zid))
    await shot(tab, "zone-added-fleet-map-zh")

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    await page.goto(f"{console.base}/console/#/admin/zones")
    page.once("dialog", accept)
    await page.locator(f'.zone-row[data-zone-id="{zid}"] .zone-retire').click()
    await expect(page.locator(".form-status.ok")).to_contain_text("临时警戒区")
    await expect(tab_map).not_to_have_attribute("data-zone-ids", _shows(zid))
    await expect(tab_map).to_have_attribute("data-zone-ids", re.compile(r"\d"))  # the others stay
    await page.click('.nav-link[data-route="fleet"]')
    await expect(fleet_map).not_to_have_attribute("data-zone-ids", _shows(zid))
    assert tab_errors == []
