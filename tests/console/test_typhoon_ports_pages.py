"""The typhoon page (a forecast file imported in the browser, its danger area on the map with the
boats inside or on course into it, the proposed recall sent from there) and the port in/out page
(a boat that left and one that came in, counted per port and grid, and the CSV)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Page, expect

from seaLink.domain.typhoon import parse_text
from tests.console.conftest import ADMIN_PW, Console, shot
from tests.console.helpers import login
from tests.test_broadcasts import online
from tests.test_ingest import wait_for

USAGI = Path(__file__).parent.parent / "data" / "typhoon" / "usagi_2013.txt"
HOME = (23.405, 117.078)  # 云澳渔港


async def test_a_forecast_is_imported_drawn_and_its_recall_sent(
    page: Page, console: Console, tmp_path: Path
) -> None:
    hub, clock = console.hub, console.clock
    # Usagi's track moved to today: its 22 Sep 13:00 position (22.1N 117.1E) an hour from now.
    usagi = parse_text(USAGI.read_text(encoding="utf-8"))
    shift = clock.now() + timedelta(hours=1) - usagi.points[1].ts
    doc = {"type": "FeatureCollection", "properties": {"name": usagi.name}, "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
         "properties": {"time": (p.ts + shift).isoformat(), "r7_nm": p.r7_nm, "r10_nm": p.r10_nm}}
        for p in usagi.points]}  # fmt: skip
    path = tmp_path / "usagi.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    spots = {"V2": (23.2, 117.3), "V4": (22.5, 121.9)}  # inside the circle; far east, out of it
    boats = {vid: online(hub, vid, clock) for vid in spots}
    try:
        for vid, (lat, lon) in spots.items():
            boats[vid].publish("position", {"ts": clock.now().isoformat(), "lat": lat, "lon": lon})

        async def placed() -> bool:
            return all(hub.outbox.reachable(v, clock.now()) for v in boats)

        await wait_for(placed)
        await hub.drained()
        await login(page, console.base, "admin", ADMIN_PW)
        await page.click('.nav-link[data-route="typhoons"]')
        await page.set_input_files("input[name=forecast]", str(path))
        await page.click(".typhoon-import")
        await expect(page.locator(".typhoon-detail h2")).to_contain_text("危险区内船舶（1）")
        await expect(page.locator(".typhoon-boat-row")).to_have_count(1)
        await expect(page.locator('.typhoon-boat-row[data-vessel-id="V2"]')).to_contain_text(
            "已在风圈内"
        )
        # The danger area on the map: the track, a 7-level circle per position, a 10-level one
        # where the storm has 10-level winds (not inland).
        for kind, n in (("track", 1), ("r7", 4), ("r10", 3)):
            await expect(page.locator(f".typhoon-map path.typhoon-{kind}")).to_have_count(n)
        await shot(page, "typhoon-danger-area")
        page.once("dialog", lambda d: d.accept())
        await page.click(".typhoon-send-recall")
        await expect(page.locator(".recall-page")).to_be_visible()
        await expect(
            page.locator('.recall-tile[data-status="total"] .recall-tile-value')
        ).to_have_text("1")
    finally:
        for b in boats.values():
            b.close()


async def test_the_port_list_shows_who_came_in_and_who_left(page: Page, console: Console) -> None:
    hub, clock = console.hub, console.clock
    boats = {vid: online(hub, vid, clock) for vid in ("V1", "V4")}
    at_sea = (23.3, 117.2)
    try:
        first = {"V1": at_sea, "V4": HOME}  # V1 comes in, V4 (grid G02) goes out
        for places in (first, {"V1": HOME, "V4": at_sea}):
            ts = clock.now().isoformat()
            for vid, (lat, lon) in places.items():
                boats[vid].publish("position", {"ts": ts, "lat": lat, "lon": lon})

            async def stored(ts: str = ts) -> bool:
                await hub.drained()
                return await _stored(hub, ts) == 2

            await wait_for(stored)
            clock.advance(timedelta(minutes=10))

        # V4's skipper reports the exit too (5 aboard), after the track showed it: one passage.
        boats["V4"].publish("port", {"report_id": "V4-p-1", "kind": "out", "port": "云澳渔港",
                                     "persons": 5, "ts": (clock.now() - timedelta(minutes=5)).isoformat()})  # fmt: skip

        async def logged() -> bool:
            await hub.drained()
            events = (await _log(hub))["events"]
            return len(events) == 2 and any(e["source"] == "terminal+track" for e in events)

        await wait_for(logged)
        await login(page, console.base, "admin", ADMIN_PW)
        await page.click('.nav-link[data-route="ports"]')
        await page.fill("input[name=date]", (clock.now() + timedelta(hours=8)).date().isoformat())
        await page.click(".ports-show")
        await expect(page.locator(".ports-row")).to_have_count(2)
        await expect(page.locator('.ports-row[data-vessel-id="V1"]')).to_have_attribute(
            "data-kind", "in"
        )
        await expect(page.locator('.ports-row[data-vessel-id="V4"]')).to_contain_text("出港")
        v4 = page.locator('.ports-row[data-vessel-id="V4"] td')
        await expect(v4.nth(5)).to_have_text("5")  # the persons the skipper reported
        await expect(v4.nth(6)).to_have_text("终端报告（轨迹印证）")
        await expect(page.locator('.ports-row[data-vessel-id="V1"] td').nth(6)).to_have_text("轨迹")
        home = page.locator('.ports-by-port tr[data-key="云澳渔港"] td')
        await expect(home).to_have_text(["1", "1"])
        await shot(page, "port-in-out")
        async with page.expect_download() as dl:
            await page.click(".ports-csv")
        text = (await (await dl.value).path()).read_text(encoding="utf-8-sig")
        assert "进港" in text and "出港" in text and text.count("\n") == 3
        assert "终端报告（轨迹印证）" in text
    finally:
        for b in boats.values():
            b.close()


async def _stored(hub: object, ts: str) -> int:
    from datetime import datetime

    from sqlalchemy import func, select

    from seaLink.store.tables import Position

    t = Position.__table__  # type: ignore[attr-defined]
    async with hub.db.engine.connect() as conn:  # type: ignore[attr-defined]
        q = select(func.count()).select_from(t).where(t.c.ts == datetime.fromisoformat(ts))
        return int((await conn.execute(q)).scalar() or 0)


async def _log(hub: object) -> dict[str, list[object]]:
    from seaLink.texts.render import BEIJING

    now = hub.clock.now()  # type: ignore[attr-defined]
    return await hub.port_log.day(now.astimezone(BEIJING).date(), None, None)
