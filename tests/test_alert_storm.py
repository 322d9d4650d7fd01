"""An alert storm (issue 13.4): 90 boats of three grids drop out of coverage within a minute and a
half. Each grid's duty officer gets one notification for the window, listing the grid's 30
boats; the console still lists all 90 alerts; a distress raised in the middle of it is told at
once, alone, without waiting for the window. Real hub, broker, store (both databases) and a
local webhook receiver; the clock is the test's."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from seaLink.clock import FakeClock
from seaLink.domain.fleetgen import CoordinatorSpec, Fleet, GridSpec, VesselSpec
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.tables import DutyShift
from tests.test_distress import Outside
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel

GRIDS = ("G01", "G02", "G03")
PER_GRID = 30


def storm_fleet() -> Fleet:
    grids = [GridSpec(g, f"第{i}网格", f"{g}L") for i, g in enumerate(GRIDS, 1)]
    coords = [CoordinatorSpec(f"{g}{r}", f"{g}{r}", f"1390000{i}{j}", "", (g,))
              for i, g in enumerate(GRIDS) for j, r in enumerate(("W", "L"))]  # fmt: skip
    vessels = [
        VesselSpec(f"{g}V{n:02d}", f"粤南澳渔{i}{n:04d}", None, None, g, f"{g}-F1", "云澳渔港",
                   "trawl", 5, ("mqtt",))
        for i, g in enumerate(GRIDS, 1) for n in range(PER_GRID + (1 if g == "G01" else 0))
    ]  # fmt: skip
    return Fleet(grids, coords, vessels)


@pytest.fixture
async def storm(settings_for: Settings) -> AsyncIterator[tuple[Hub, str, Outside, FakeClock]]:
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    outside = Outside()
    runner = await outside.start()
    settings = settings_for.model_copy(update={
        "admin_password": "admin-pass-123",
        "alerting": settings_for.alerting.model_copy(update={
            "webhook_url": f"http://127.0.0.1:{outside.port}/hook", "channel_timeout_s": 5.0}),
    })  # fmt: skip
    db = Database(settings.store.url)
    await db.create_all()
    await import_fleet(db, storm_fleet())
    async with db.engine.begin() as conn:
        await conn.execute(DutyShift.__table__.insert(), [  # type: ignore[attr-defined]
            {"grid_id": g, "coordinator_id": f"{g}W", "starts_at": clock.now() - timedelta(hours=1),
             "ends_at": clock.now() + timedelta(hours=12)} for g in GRIDS])  # fmt: skip
    await db.dispose()
    hub = Hub(settings, clock=clock)
    async with hub.running():
        yield hub, f"http://127.0.0.1:{settings.api.port}", outside, clock
    await runner.cleanup()


def _told(outside: Outside, recipient: str) -> list[dict[str, Any]]:
    return [n for n in outside.webhook if n["recipient"]["id"] == recipient]


async def test_ninety_boats_out_of_coverage_are_one_message_per_grid_and_a_distress_goes_alone(
    storm: tuple[Hub, str, Outside, FakeClock],
) -> None:
    hub, base, outside, clock = storm
    boats = [v.id for v in hub.registry.all() if not v.id.endswith(f"V{PER_GRID:02d}")]
    assert len(boats) == 90
    sender = TestVessel(hub.settings.mqtt.url, "tester", prefix=hub.settings.mqtt.prefix)
    try:
        # Last heard spread over 90 s: they will go silent one after another.
        for i, vid in enumerate(sorted(boats)):
            ts = clock.now() - timedelta(seconds=i % 90)
            sender.publish_raw(f"{hub.settings.mqtt.prefix}/vessels/{vid}/up/position",
                               json.dumps({"ts": ts.isoformat(), "lat": 23.3, "lon": 117.6}))  # fmt: skip

        async def all_heard() -> bool:
            return hub.watch.book.counts().get("ok", 0) >= 90

        await wait_for(all_heard, timeout=30)
        contact = hub.settings.contact
        clock.advance(timedelta(seconds=contact.interval_at_sea_s * contact.lost_missed - 100))
        await hub.watch.settle()
        for _ in range(4):  # the next two minutes, as they pass
            clock.advance(timedelta(seconds=30))
            await hub.watch.settle()
            await hub.alerting.settle()

        async def ninety_alerts() -> bool:
            async with aiohttp.ClientSession() as s:
                r = await s.post(f"{base}/api/v1/auth/login",
                                 json={"username": "admin", "password": "admin-pass-123"})  # fmt: skip
                h = {"Authorization": f"Bearer {(await r.json())['token']}"}
                alerts = (await (await s.get(f"{base}/api/v1/alerts", headers=h)).json())["alerts"]
            return len([a for a in alerts if a["type"] == "lost_contact"]) == 90

        await wait_for(ninety_alerts, timeout=30)  # the console lists every one of them
        # Inside the window nobody has been messaged yet; then a boat calls a distress.
        assert [n for n in outside.webhook if n["type"] == "lost_contact"] == []
        caller = f"G01V{PER_GRID:02d}"
        sender.publish_raw(f"{hub.settings.mqtt.prefix}/vessels/{caller}/up/distress",
                           json.dumps({"distress_id": "d-storm", "ts": clock.now().isoformat(),
                                       "lat": 23.2, "lon": 117.5, "nature": "flooding"}))  # fmt: skip

        async def distress_told() -> bool:
            await hub.alerting.settle()
            return any(n["type"] == "distress" for n in _told(outside, "G01W"))

        await wait_for(distress_told, timeout=10)  # no clock advance: never held by the window
        [call] = [n for n in _told(outside, "G01W") if n["type"] == "distress"]
        assert call["data"]["alert_ids"] == [call["alert_id"]] and call["vessel_id"] == caller

        clock.advance(timedelta(seconds=hub.settings.alerting.storm_window_s))
        await hub.alerting.settle()
    finally:
        sender.close()
    for g in GRIDS:
        lost = [n for n in _told(outside, f"{g}W") if n["type"] == "lost_contact"]
        assert len(lost) == 1, (g, [n["text"] for n in lost])  # one message for the window
        [msg] = lost
        assert len(msg["data"]["alert_ids"]) == PER_GRID
        assert f"{PER_GRID} 艘船" in msg["text"] and g in msg["text"]
    # Every alert has its record of who was told (the alert page shows it).
    assert len({aid for n in outside.webhook for aid in n["data"].get("alert_ids", [])}) == 91
