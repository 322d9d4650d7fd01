"""A broadcast to 200 vessels, 30% of them out of coverage, with the hub killed -9 mid fan-out."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from seaLink.domain.fleetgen import generate_fleet
from seaLink.domain.ports import load_zones_document, ports_from_geojson
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from tests.hub_process import HubProcess
from tests.terminal_fleet import TerminalFleet

N = 200


async def _register(settings: Settings) -> list[str]:
    fleet = generate_fleet(N, ports_from_geojson(load_zones_document()), seed=11)
    db = Database(settings.store.url)
    try:
        await import_fleet(db, fleet)
    finally:
        await db.dispose()
    return [v.id for v in fleet.vessels]


_TOKENS: dict[int, str] = {}


async def _api(hub: HubProcess, method: str, path: str, body: Any = None) -> Any:
    """Call the API as admin, logging in once per hub start (tokens survive restarts anyway)."""
    base = f"http://127.0.0.1:{hub.settings.api.port}"
    async with aiohttp.ClientSession() as s:
        if hub.starts not in _TOKENS:
            r = await s.post(
                f"{base}/api/v1/auth/login",
                json={"username": "admin", "password": "fanout-admin-1"},
            )
            assert r.status == 200, await r.text()
            _TOKENS[hub.starts] = (await r.json())["token"]
        h = {"Authorization": f"Bearer {_TOKENS[hub.starts]}"}
        r = await s.request(method, base + path, json=body, headers=h)
        assert r.status < 300, await r.text()
        return await r.json()


async def _until(predicate: Any, timeout: float, explain: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"condition not met in time: {await explain() if explain else ''}")


async def test_fan_out_to_200_vessels_with_outages_expiry_and_a_hub_crash(
    registered: Settings, tmp_path: Path
) -> None:
    _TOKENS.clear()
    vids = await _register(registered)
    hub = HubProcess(
        registered,
        tmp_path,
        {"SEALINK_ADMIN_PASSWORD": "fanout-admin-1", "SEALINK_MESSAGING__REPLAY_GRACE_S": "2"},
    )
    hub.start()
    fleet = TerminalFleet(registered.mqtt.url, registered.mqtt.prefix, vids)
    online, back_in_time, back_too_late = vids[:140], vids[140:170], vids[170:]
    try:
        await fleet.connect(vids)  # every terminal has a session and a subscription ...
        fleet.drop(vids[140:])  # ... then 60 go out of coverage
        await asyncio.sleep(1.0)
        expires = datetime.now(UTC) + timedelta(seconds=25)
        created = await _api(hub, "POST", "/api/v1/broadcasts", {
            "kind": "notice", "title": "禁渔期提醒", "body": "5月1日12时起伏季休渔。", "reply": "none",
            "target": {"vessels": vids}, "expires_at": expires.isoformat(),
        })  # fmt: skip
        bid = created["broadcast"]["id"]
        hub.kill9()  # in the middle of the fan-out (or just after it)
        await asyncio.sleep(0.5)
        hub.start()
        await fleet.connect(back_in_time)
        while datetime.now(UTC) < expires + timedelta(seconds=2):
            await asyncio.sleep(0.5)
        await fleet.connect(back_too_late)

        async def settled() -> bool:
            r = (await _api(hub, "GET", f"/api/v1/broadcasts/{bid}"))["rollup"]
            return bool(r["states"]["delivered"] == 170 and r["states"]["expired"] == 30)

        async def explain() -> Any:
            r = await _api(hub, "GET", f"/api/v1/broadcasts/{bid}?deliveries=1")
            late = [
                (d["vessel_id"], d["state"], d["attempts"], d.get("sent_at"), d.get("delivered_at"))
                for d in r["deliveries"]
                if d["vessel_id"] in back_in_time and d["state"] != "delivered"
            ]
            return {"states": r["rollup"]["states"], "expires": expires.isoformat(), "late": late}

        await _until(settled, 60, explain)
        await asyncio.sleep(3)  # anything sent twice now would show up at the terminals
        rollup = (await _api(hub, "GET", f"/api/v1/broadcasts/{bid}"))["rollup"]
    finally:
        await fleet.close()
        hub.stop()
    msg = f"b{bid}-"
    for vid in online + back_in_time:
        shown = [m["msg_id"] for m in fleet.terminals[vid].shown]
        assert shown == [msg + vid], f"{vid} showed {shown}"
    for vid in back_too_late:
        assert fleet.terminals[vid].shown == [], f"{vid} was shown an expired message"
    assert rollup["total"] == N and rollup["done"] == 170
    assert rollup["states"]["delivered"] == 170 and rollup["states"]["expired"] == 30
    assert sorted(m["vessel_id"] for m in rollup["missing"]) == sorted(back_too_late)
