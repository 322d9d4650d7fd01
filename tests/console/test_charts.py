"""Charts on the statistics page: fleet contact over the last 24 h per grid and alert response
times, checked on the data the page plotted (window.__sealinkCharts), not on pixels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_PW, COORD_PW, Console, shot
from tests.console.helpers import at, login, publish


async def _plotted(page: Page, name: str) -> Any:
    await page.wait_for_function("(n) => !!window.__sealinkCharts?.[n]", arg=name)
    return await page.evaluate("(n) => window.__sealinkCharts[n]", name)


async def test_the_charts_plot_contact_history_and_response_times(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    t0 = clock.now()
    for vid in ("V1", "V4"):  # G01 and G02
        await publish(hub, clock, vid, at(clock, 0))
    clock.advance(timedelta(minutes=40))  # both silent for 40 min: lost
    await hub.watch.settle()
    clock.advance(timedelta(minutes=5))
    await hub.watch.settle()
    async with aiohttp.ClientSession() as s:
        r = await s.post(
            f"{console.base}/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PW}
        )
        h = {"Authorization": f"Bearer {(await r.json())['token']}"}
        alerts = (await (await s.get(f"{console.base}/api/v1/alerts?vessel=V1", headers=h)).json())[
            "alerts"
        ]
        r = await s.post(f"{console.base}/api/v1/alerts/{alerts[0]['id']}/ack", json={}, headers=h)
        assert r.status == 200  # acknowledged 5 minutes after it was raised

    await login(page, console.base, "admin", ADMIN_PW)
    await page.click('.nav-link[data-route="stats"]')
    contact = await _plotted(page, "contact")
    # 24 h in 30-minute steps up to now (t0 + 45 min): only the last two points are after t0.
    assert len(contact["times"]) == 49 and contact["grid"] == ""
    assert contact["times"][-1] == (t0 + timedelta(minutes=45)).isoformat().replace("+00:00", "Z")
    series = contact["series"]
    assert series["ok"] == [0] * 47 + [2, 0]  # at t0 + 15 min both were fine
    assert series["lost"] == [0] * 47 + [0, 2]
    assert series["unknown"] == [5] * 47 + [3, 3]
    assert series["overdue"] == [0] * 49 and series["maintenance"] == [0] * 49
    await expect(page.locator(".chart-contact .uplot")).to_have_count(1)

    await page.select_option("select[name=chart_grid]", "G01")
    await page.wait_for_function("() => window.__sealinkCharts.contact.grid === 'G01'")
    g01 = (await _plotted(page, "contact"))["series"]
    assert g01["lost"][-1] == 1 and g01["unknown"][-1] == 2

    response = await _plotted(page, "response")
    assert response["days"] == ["2026-09-01"]  # 08:40 in Beijing
    assert response["ack_median_min"] == [5.0] and response["ack_p90_min"] == [5.0]
    assert response["resolve_median_min"] == [None]
    await expect(page.locator(".chart-response .uplot")).to_have_count(1)
    day = page.locator('.response-table tr[data-day="2026-09-01"] td')
    await expect(day).to_have_text(["2", "1", "5", "5", "0", "—", "—"])
    await page.locator(".contact-history").scroll_into_view_if_needed()
    await shot(page, "charts-zh")

    await page.click(".logout")
    await login(page, console.base, "coord1", COORD_PW)
    await page.click('.nav-link[data-route="stats"]')
    await page.wait_for_function("() => !!window.__sealinkCharts?.contact")
    options = page.locator("select[name=chart_grid] option")
    await expect(options).to_have_count(2)  # all of mine, and G01: no G02
    assert await options.nth(1).get_attribute("value") == "G01"
    mine = (await _plotted(page, "response"))["ack_median_min"]
    assert mine == [5.0]
