"""Administration: an admin creates a coordinator who then logs in and sees only their grid; the
roster and zones (drawn on the map, pasted as GeoJSON, permits, retiring); coordinators do not
see the admin pages, and the hub refuses them the admin calls anyway."""

from __future__ import annotations

import json

import aiohttp
from playwright.async_api import Dialog, Page, expect

from tests.console.conftest import ADMIN_PW, COORD_PW, Console, PageErrors, shot
from tests.console.helpers import at, login, publish
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
    async with aiohttp.ClientSession() as s:
        r = await s.post(
            f"{console.base}/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PW}
        )
        token = (await r.json())["token"]
        r = await s.get(
            f"{console.base}/api/v1/zones", headers={"Authorization": f"Bearer {token}"}
        )
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
