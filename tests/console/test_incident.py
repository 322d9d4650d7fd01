"""A distress from the sea: the coordinator opens the incident, acknowledges, tasks boats, SITREP."""

from __future__ import annotations

import asyncio

from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_PW, Console, shot
from tests.console.helpers import login
from tests.test_broadcasts import online, receive
from tests.test_ingest import wait_for


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
        before = await page.evaluate("() => window.__sealinkSounds.critical")

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
            "(n) => window.__sealinkSounds.critical > n", arg=before, timeout=5000
        )

        await page.click('.nav-link[data-route="alerts"]')
        row = page.locator(".alert-row[data-incident-id]")
        await expect(row).to_have_count(1)
        await row.locator("td").nth(1).click()
        await expect(page.locator(".incident-page h1")).to_contain_text("遇险事件")
        await expect(page.locator(".incident-summary")).to_contain_text("粤南澳渔00001")
        await expect(page.locator(".incident-state")).to_have_text("待确认")

        await page.click(".incident-ack")
        await expect(page.locator(".incident-state")).to_have_text("已确认")

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
    finally:
        for v in boats.values():
            v.close()
