"""Zones and separation end to end: real broker, real store, the zones API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy import select

from seaLink.store.tables import ZoneEventRecord
from tests.heard import until_heard, uplinks_heard
from tests.test_distress import _get, _post, clock, setup  # noqa: F401  (fixtures)
from tests.vessel_client import TestVessel


def at(hub: Any, v: TestVessel, lat: float, lon: float, minutes: float, **extra: Any) -> None:
    ts = (hub.clock.now() + timedelta(minutes=minutes)).isoformat()
    v.publish("position", {"ts": ts, "lat": lat, "lon": lon, "sog": 4.0, "cog": 90.0} | extra)


async def test_zone_entry_crossing_backfill_and_separation(setup: Any) -> None:  # noqa: F811
    hub, base, h, _outside = setup
    vs = {
        vid: TestVessel(hub.settings.mqtt.url, vid, prefix=hub.settings.mqtt.prefix)
        for vid in ("V1", "V2", "V3", "V4")
    }
    try:
        heard = uplinks_heard(hub)
        # V1 crosses the Nanpeng reserve between two fixes an hour apart.
        at(hub, vs["V1"], 23.28, 117.02, -60)
        at(hub, vs["V1"], 23.28, 117.45, 0)
        # V4 goes into the reserve and stays; a backfilled fix of V2 inside it raises nothing.
        at(hub, vs["V4"], 23.28, 117.25, 0)
        vs["V2"].publish(
            "position",
            [
                {
                    "ts": (hub.clock.now() - timedelta(hours=3)).isoformat(),
                    "lat": 23.28,
                    "lon": 117.25,
                    "backfill": True,
                }
            ],
        )
        await until_heard(hub, heard, position=4)
        alerts = (await _get(base, h, "/api/v1/alerts?state=all"))["alerts"]
        zone_alerts = {
            (a["vessel_id"], a["state"]) for a in alerts if a["type"].startswith("zone:")
        }
        assert zone_alerts == {("V1", "resolved"), ("V4", "raised")}
        async with hub.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        ZoneEventRecord.vessel_id,
                        ZoneEventRecord.kind,  # type: ignore[call-overload]
                        ZoneEventRecord.alerted,
                    )
                )
            ).all()
        assert sorted(rows) == [
            ("V1", "enter", True),
            ("V1", "exit", True),
            ("V2", "enter", False),
            ("V4", "enter", True),
        ]
        detail = next(a["detail"] for a in alerts if a["vessel_id"] == "V4")
        assert "南澎列岛" in detail

        # Separation: V1, V2 and V3 sail in group G01-F1; V3 strays 6 nmi from the others.
        heard = uplinks_heard(hub)
        at(hub, vs["V1"], 23.00, 117.60, 1)
        at(hub, vs["V2"], 23.01, 117.61, 1)
        at(hub, vs["V3"], 23.10, 117.60, 2)
        await until_heard(hub, heard, position=3)
        alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
        assert [a["vessel_id"] for a in alerts if a["type"] == "separation"] == ["V3"]
        heard = uplinks_heard(hub)
        at(hub, vs["V3"], 23.03, 117.60, 3)  # back within 4.5 nmi
        await until_heard(hub, heard, position=1)
        alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
        assert [a for a in alerts if a["type"] == "separation"] == []
    finally:
        for v in vs.values():
            v.close()


async def test_zones_are_managed_by_admins_with_permits(setup: Any) -> None:  # noqa: F811
    hub, base, h, _outside = setup
    circle = {
        "name": "试验海域",
        "kind": "sensitive",
        "geometry": {"type": "Point", "coordinates": [117.8, 22.9]},
        "radius_nmi": 3.0,
    }
    status, made = await _post(base, h, "/api/v1/zones", circle)
    assert status == 201
    zid = made["id"]
    status, bad = await _post(base, h, "/api/v1/zones", circle | {"radius_nmi": 0})
    assert status == 400 and "radius_nmi" in bad["message"]
    status, _ = await _post(
        base, h, f"/api/v1/zones/{zid}/permits", {"vessel_id": "V2", "note": "科研许可"}
    )
    assert status == 201
    zones = await _get(base, h, "/api/v1/zones")
    assert any(f["properties"]["name"] == "试验海域" for f in zones["features"])
    assert any(
        f["properties"]["kind"] == "moratorium" for f in zones["features"]
    )  # the shipped defaults
    async with aiohttp.ClientSession() as s:
        from seaLink.domain.roles import Role
        from seaLink.services.auth import hash_password
        from seaLink.store import users

        await users.create_user(
            hub.db,
            username="c1",
            password_hash=hash_password("coord-pass-1"),
            role=Role.COORDINATOR,
            grid_ids=["G01"],
            now=hub.clock.now(),
        )
        r = await s.post(
            f"{base}/api/v1/auth/login", json={"username": "c1", "password": "coord-pass-1"}
        )
        ch = {"Authorization": f"Bearer {(await r.json())['token']}"}
        r = await s.post(f"{base}/api/v1/zones", json=circle, headers=ch)
        assert r.status == 403
    vs = {
        vid: TestVessel(hub.settings.mqtt.url, vid, prefix=hub.settings.mqtt.prefix)
        for vid in ("V1", "V2")
    }
    try:
        heard = uplinks_heard(hub)
        for v in vs.values():
            at(hub, v, 22.9, 117.8, 0)
        await until_heard(hub, heard, position=len(vs))
    finally:
        for v in vs.values():
            v.close()
    alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
    assert [a["vessel_id"] for a in alerts if a["type"] == f"zone:{zid}"] == [
        "V1"
    ]  # V2 holds a permit
