"""A boat leaving port raises a 离港 alert when it must not leave: a typhoon warning in force for
its grid (a signal, without any recall), or the summer moratorium in season for its gear; the
others leave quietly (their exits are still listed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select, update

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.tables import PortEvent, Position, Vessel
from tests.test_broadcasts import online
from tests.test_ingest import wait_for

HOME, AT_SEA = (23.405, 117.078), (23.30, 117.20)  # 云澳渔港, and 7 nmi out


@pytest.fixture
async def hub_of(registered: Settings) -> AsyncIterator[Any]:
    db = Database(registered.store.url)
    async with db.engine.begin() as conn:  # V2 fishes with hooks and lines: exempt in summer
        await conn.execute(update(Vessel).where(Vessel.id == "V2").values(gear="hook_and_line"))  # type: ignore[arg-type]
    await db.dispose()
    settings = registered.model_copy(update={"admin_password": "admin-pass-123"})

    async def start(at: datetime) -> AsyncIterator[tuple[Hub, str, dict[str, str]]]:
        hub = Hub(settings, clock=FakeClock(at))
        async with hub.running():
            base = f"http://127.0.0.1:{settings.api.port}"
            async with aiohttp.ClientSession() as s:
                r = await s.post(f"{base}/api/v1/auth/login",
                                 json={"username": "admin", "password": "admin-pass-123"})  # fmt: skip
                yield hub, base, {"Authorization": f"Bearer {(await r.json())['token']}"}

    yield start


async def _leave(hub: Hub, vids: list[str]) -> None:
    """Each boat reports from port, then from sea ten minutes later."""
    boats = {vid: online(hub, vid, hub.clock) for vid in vids}  # type: ignore[arg-type]
    try:
        for where in (HOME, AT_SEA):
            for b in boats.values():
                b.publish(
                    "position",
                    {"ts": hub.clock.now().isoformat(), "lat": where[0], "lon": where[1]},
                )

            async def stored(n: int = len(vids) if where == HOME else 2 * len(vids)) -> bool:
                await hub.drained()
                async with hub.db.engine.connect() as conn:
                    t = Position.__table__  # type: ignore[attr-defined]
                    got = (await conn.execute(select(func.count()).select_from(t))).scalar()
                return got == n

            await wait_for(stored)
            hub.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
        await hub.drained()
        await hub.alerting.settle()
    finally:
        for b in boats.values():
            b.close()
    async with hub.db.engine.connect() as conn:
        t = PortEvent.__table__  # type: ignore[attr-defined]
        outs = (await conn.execute(select(t.c.vessel_id).where(t.c.kind == "out"))).scalars().all()
    assert sorted(outs) == sorted(vids)  # every exit is listed, alert or not


async def _left_port_alerts(base: str, h: dict[str, str]) -> dict[str, str]:
    async with aiohttp.ClientSession(headers=h) as s:
        alerts = (await (await s.get(f"{base}/api/v1/alerts")).json())["alerts"]
    return {a["vessel_id"]: a["detail"] for a in alerts if a["type"] == "left_port"}


async def test_leaving_in_the_summer_moratorium_alerts_unless_the_gear_is_exempt(
    hub_of: Any,
) -> None:
    async for hub, base, h in hub_of(datetime(2026, 6, 15, 2, 0, tzinfo=UTC)):
        await _leave(hub, ["V1", "V2"])
        alerts = await _left_port_alerts(base, h)
        assert list(alerts) == ["V1"] and "伏季休渔期间离港" in alerts["V1"]


async def test_leaving_under_a_typhoon_signal_alerts_in_the_grids_it_covers(hub_of: Any) -> None:
    async for hub, base, h in hub_of(datetime(2026, 10, 15, 2, 0, tzinfo=UTC)):  # out of season
        async with aiohttp.ClientSession(headers=h) as s:
            r = await s.post(f"{base}/api/v1/broadcasts", json={
                "kind": "warning", "title": "台风蓝色预警", "body": "注意防范", "signal": "blue",
                "target": {"grids": ["G02"]},
            })  # fmt: skip
            assert r.status == 201
        await _leave(hub, ["V1", "V4"])
        alerts = await _left_port_alerts(base, h)
        assert list(alerts) == ["V4"] and "台风预警期间离港" in alerts["V4"]


async def test_a_recall_without_a_signal_binds_only_the_boats_it_names(hub_of: Any) -> None:
    """V1 is recalled by name, V3 (same grid) is not: only V1's leaving is 离港 (the recall's own
    judge flags it), V3 leaves quietly; no "typhoon warning" text without a signal."""
    async for hub, base, h in hub_of(datetime(2026, 10, 15, 2, 0, tzinfo=UTC)):  # out of season
        deadline = hub.clock.now() + timedelta(hours=6)
        async with aiohttp.ClientSession(headers=h) as s:
            r = await s.post(f"{base}/api/v1/broadcasts", json={
                "kind": "warning", "title": "撤离通知", "body": "请于今晚前回港",
                "recall": {"deadline": deadline.isoformat()}, "target": {"vessels": ["V1"]},
            })  # fmt: skip
            assert r.status == 201, await r.text()
        await _leave(hub, ["V1", "V3"])

        async def flagged(hub: Hub = hub, base: str = base, h: dict[str, str] = h) -> bool:
            await hub.drained()
            return "V1" in await _left_port_alerts(base, h)

        await wait_for(flagged)
        alerts = await _left_port_alerts(base, h)
        assert list(alerts) == ["V1"], alerts
        assert "台风" not in alerts["V1"]
