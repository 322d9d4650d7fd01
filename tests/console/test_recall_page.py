"""The typhoon recall board: a recall order composed in the console, boats answering (in port,
returning, sheltering with persons ashore), their answers checked against their tracks, the board
per grid following live, the per-boat rows, the CSV export, the countdown to the deadline."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_PW, Console, shot
from tests.console.helpers import beijing, login
from tests.test_broadcasts import online
from tests.test_ingest import wait_for

IN_PORT = (23.4052, 117.0785)  # 云澳渔港, a port of the shipped zones


async def _tile(page: Page, status: str) -> str:
    return await page.locator(
        f'.recall-tile[data-status="{status}"] .recall-tile-value'
    ).inner_text()


async def test_the_recall_board_counts_boats_per_grid_live_with_a_countdown(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    boats = {vid: online(hub, vid, clock) for vid in ("V1", "V2", "V3", "V4")}  # V5 is silent
    # V2 6 nmi out steaming for home (云澳渔港); V3 and V4 far out heading south, away from it.
    spots = {
        "V1": (23.2, 117.3, 315.0),
        "V2": (23.33, 117.15, 318.0),
        "V3": (22.9, 117.8, 180.0),
        "V4": (23.0, 117.9, 180.0),
    }
    try:
        for vid, (lat, lon, cog) in spots.items():
            boats[vid].publish(
                "position",
                {"ts": clock.now().isoformat(), "lat": lat, "lon": lon, "sog": 6.0, "cog": cog},
            )

        async def reachable() -> bool:
            return all(hub.outbox.reachable(v, clock.now()) for v in boats)

        await wait_for(reachable)
        await hub.drained()
        # The page counts down in the browser's time: the hub's (fake) time here.
        await page.clock.set_fixed_time(clock.now())
        await login(page, console.base, "admin", ADMIN_PW)
        await page.click('.nav-link[data-route="broadcasts"]')
        await page.click(".bc-new")
        deadline = clock.now() + timedelta(hours=2)
        await page.fill("input[name=title]", "台风“海葵”撤离令")
        await page.fill("textarea[name=body]", "所有渔船于今日10时前回港避风，人员上岸。")
        await page.select_option("select[name=kind]", "warning")
        await page.select_option("select[name=signal]", "orange")
        await page.check("input[name=recall]")
        await page.fill("input[name=recall_deadline]", beijing(deadline)[:16].replace(" ", "T"))
        await page.fill("input[name=recall_shelter]", "云澳渔港")
        await page.fill(
            "input[name=expires_at]",
            beijing(deadline + timedelta(hours=12))[:16].replace(" ", "T"),
        )
        await page.check("input[name=target_all]")
        await expect(page.locator(".bc-count")).to_have_text("将发送给 5 艘船")
        await shot(page, "recall-compose")
        await page.click(".bc-send")

        await expect(page.locator(".bc-detail-page")).to_be_visible()
        await expect(page.locator(".bc-summary h2")).to_have_text(
            "【台风橙色预警】台风“海葵”撤离令"
        )
        await page.click(".bc-summary .bc-recall-link")
        await expect(page.locator(".recall-page")).to_be_visible()
        await expect(page.locator(".recall-clock-value")).to_have_text("02:00:00")
        await expect(page.locator(".recall-clock")).to_contain_text(f"时限：{beijing(deadline)}")
        assert await _tile(page, "total") == "5"
        # Before any answer: V1 and V2 steam for home (returning, by their tracks).
        assert await _tile(page, "unaccounted") == "3"

        orders = {
            vid: await asyncio.to_thread(b.received.get, True, 10) for vid, b in boats.items()
        }
        assert all(o["recall"]["deadline"] for o in orders.values())
        assert {o["recall"]["shelter"] for o in orders.values()} == {"云澳渔港"}

        def answer(vid: str, state: str, **recall: Any) -> None:
            body: dict[str, Any] = {
                "msg_id": orders[vid]["msg_id"],
                "state": state,
                "ts": clock.now().isoformat(),
            }
            if recall:
                body["recall"] = recall
            boats[vid].publish("ack", body)

        for vid in boats:
            answer(vid, "delivered")
        later = (clock.now() + timedelta(seconds=30)).isoformat()
        boats["V1"].publish(
            "position", {"ts": later, "lat": IN_PORT[0], "lon": IN_PORT[1], "sog": 0.0}
        )
        answer("V2", "acknowledged", status="returning")
        answer("V3", "acknowledged", status="sheltering", port="汕头港", persons_ashore=6)

        # V3 says it shelters in 汕头港 while 40 nmi out and steaming away: its track says no.
        await expect(
            page.locator('.recall-tile[data-status="contradicted"] .recall-tile-value')
        ).to_have_text("1")
        await expect(
            page.locator('.recall-tile[data-status="in_port"] .recall-tile-value')
        ).to_have_text("1")
        assert await _tile(page, "returning_on_time") == "1"
        assert await _tile(page, "unaccounted") == "3"
        assert await _tile(page, "sheltering") == "0"
        assert await _tile(page, "persons_ashore") == "6/30"
        assert await _tile(page, "done") == "0/5"  # V1 is in port, its crew not yet ashore

        def cells(grid: str) -> Any:
            return page.locator(f'.recall-grid-row[data-grid="{grid}"] td[data-status]')

        # total, in port, on time, late, sheltering, distress, lost, unaccounted, contradicted,
        # left port, persons ashore / aboard, done
        expected = {
            "G01": ["3", "1", "1", "0", "0", "0", "0", "1", "1", "0", "6/18", "0%"],
            "G02": ["2", "0", "0", "0", "0", "0", "0", "2", "0", "0", "0/12", "0%"],
        }
        for grid, values in expected.items():
            await expect(cells(grid)).to_have_text(values)
        v3 = page.locator('.recall-boat-row[data-vessel-id="V3"]')
        await expect(v3).to_have_attribute("data-flags", "contradicted")
        await expect(v3.locator(".recall-flag")).to_have_text("与轨迹不符")
        await expect(v3.locator(".recall-source")).to_have_text("船方回复 · 回复：他港避风")
        v2 = page.locator('.recall-boat-row[data-vessel-id="V2"]')
        await expect(v2).to_have_attribute("data-status", "returning_on_time")
        await expect(v2).to_contain_text("云澳渔港")
        order = await page.locator(".recall-boat-row").evaluate_all(
            "rs => rs.map(r => r.dataset.vesselId)"
        )
        assert order[0] == "V3"  # the flagged boat first
        # The export of the board as it stands, for reporting up the chain.
        async with page.expect_download() as dl:
            await page.click(".recall-export-csv")
        path = await (await dl.value).path()
        text = path.read_text(encoding="utf-8-sig")
        row = next(line for line in text.splitlines() if ",V3," in line)
        assert "与轨迹不符" in row and "粤南澳渔00003" in row
        await shot(page, "recall-board")

        # 90 s past the deadline by the browser's clock: the countdown says so.
        await page.clock.set_fixed_time(deadline + timedelta(seconds=90))
        await expect(page.locator(".recall-clock-label")).to_have_text("已超过撤离时限")
        await expect(page.locator(".recall-clock-value")).to_have_text("00:01:30")
        await expect(page.locator(".recall-clock")).to_have_class("card recall-clock passed")
    finally:
        for b in boats.values():
            b.close()


async def test_a_grid_coordinator_sees_his_grid_only_and_enters_a_phone_check(
    page: Page, console: Console
) -> None:
    """The board the coordinator of G01 works from: his grid's row and figures only (the hub
    decides, not the page), and the persons ashore he checked by phone counted at once."""
    import aiohttp

    from seaLink.domain.roles import Role
    from seaLink.services.auth import hash_password
    from seaLink.store import users

    hub, clock = console.hub, console.clock
    await users.create_user(hub.db, username="ca", password_hash=hash_password("coord-a-pass"),
                            role=Role.COORDINATOR, grid_ids=["G01"], now=clock.now())  # fmt: skip
    v1 = online(hub, "V1", clock)
    try:
        v1.publish(
            "position", {"ts": clock.now().isoformat(), "lat": IN_PORT[0], "lon": IN_PORT[1]}
        )

        async def placed() -> bool:
            return hub.outbox.reachable("V1", clock.now())

        await wait_for(placed)
        await hub.drained()
        async with aiohttp.ClientSession() as s:
            r = await s.post(f"{console.base}/api/v1/auth/login",
                             json={"username": "admin", "password": ADMIN_PW})  # fmt: skip
            h = {"Authorization": f"Bearer {(await r.json())['token']}"}
            r = await s.post(f"{console.base}/api/v1/broadcasts", headers=h, json={
                "kind": "warning", "title": "撤离令", "body": "回港避风", "target": {"all": True},
                "recall": {"deadline": (clock.now() + timedelta(hours=2)).isoformat(), "shelter": "云澳渔港"},
            })  # fmt: skip
            bid = (await r.json())["broadcast"]["id"]
        await page.clock.set_fixed_time(clock.now())
        await login(page, console.base, "ca", "coord-a-pass")
        await page.goto(f"{console.base}/#/broadcasts/{bid}/recall")
        await expect(page.locator(".recall-grid-row")).to_have_count(1)
        await expect(page.locator(".recall-grid-row")).to_have_attribute("data-grid", "G01")
        assert await _tile(page, "total") == "3"
        assert await _tile(page, "in_port") == "1"
        assert await _tile(page, "done") == "0/3"
        page.once("dialog", lambda d: d.accept("6"))
        await page.click('.recall-ashore-enter[data-vessel-id="V1"]')
        await expect(
            page.locator('.recall-tile[data-status="done"] .recall-tile-value')
        ).to_have_text("1/3")
        row = page.locator('.recall-boat-row[data-vessel-id="V1"] .recall-ashore')
        await expect(row).to_have_attribute("data-source", "coordinator:ca")
        await shot(page, "recall-board-coordinator")
    finally:
        v1.close()
