"""Every route of the route table, walked with every kind of caller: without a token 401; as a
viewer every write 403; as the coordinator of grid G01, every read and write of grid G02's
objects (vessels, alerts, incidents, broadcasts, recall boards, requests, trainings, duty) is
refused or not found, and no list shows them. Afterwards nothing of G02 has changed."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from seaLink.api.openapi import PUBLIC, ROUTES
from seaLink.clock import FakeClock
from seaLink.domain.roles import Role
from seaLink.runtime import Hub
from seaLink.services.auth import hash_password
from seaLink.settings import Settings
from seaLink.store import users
from tests.test_broadcasts import online
from tests.test_ingest import wait_for

ADMIN_PW = "scope-admin-pass"
PASSWORDS = {"ca": "coord-a-pass", "cb": "coord-b-pass", "view": "viewer-pass"}
# Vessels of the test fleet (tests/conftest.py small_fleet): V1-V3 in G01, V4-V5 in G02.
GRID_VESSEL = {"G01": "V1", "G02": "V4"}
# A typhoon lying off Nan'ao for a day from the world's start, its 7-level circle over the boats.
FORECAST = "name 测试台风\n{start} 23.0 117.5 300 120\n{end} 23.0 117.5 300 120\n"
# Read by every reader alike (a forecast is the county's); what they show of boats is scoped.
COUNTY_WIDE = {("GET", "/api/v1/typhoons/{fid}")}
B_MARKS = ('"G02"', '"V4"', '"V5"', "粤南澳渔00004", "粤南澳渔00005")


@dataclass
class Objects:
    """The ids of one grid's objects, by path parameter name."""

    vid: str
    aid: int
    iid: int
    bid: int
    rid: int
    tid: int
    zid: int
    fid: int  # a typhoon forecast: the whole county's, the same for both grids
    username: str

    def path(self, template: str) -> str:
        return re.sub(r"{(\w+)}", lambda m: str(getattr(self, m[1])), template)


@dataclass
class World:
    hub: Hub
    base: str
    tokens: dict[str, dict[str, str]]
    grid: dict[str, Objects]
    counts: dict[str, int]  # broadcasts, trainings and duty shifts once the world was built


async def _login(s: aiohttp.ClientSession, base: str, name: str, pw: str) -> dict[str, str]:
    r = await s.post(f"{base}/api/v1/auth/login", json={"username": name, "password": pw})
    assert r.status == 200, await r.text()
    return {"Authorization": f"Bearer {(await r.json())['token']}"}


def bodies(grid: str, now: datetime) -> dict[tuple[str, str], Any]:
    """A valid body for each write, aimed at `grid`: a refusal must come from the scope, not from
    the schema."""
    vessel = GRID_VESSEL[grid]
    later = (now + timedelta(days=2)).isoformat()
    return {
        ("POST", "/api/v1/alerts/{aid}/ack"): {"note": "收到"},
        ("POST", "/api/v1/alerts/{aid}/resolve"): {"outcome": "other"},
        ("POST", "/api/v1/alerts/{aid}/silence"): {"minutes": 5},
        ("POST", "/api/v1/alerts/{aid}/assign"): {"username": "ca"},
        ("POST", "/api/v1/alerts/{aid}/comment"): {"text": "已电话联系"},
        ("POST", "/api/v1/drills"): {"vessel_id": vessel, "kind": "distress"},
        ("POST", "/api/v1/incidents/{iid}/task"): {"vessels": [vessel]},
        ("POST", "/api/v1/incidents/{iid}/sitrep"): {},
        ("POST", "/api/v1/duty"): {
            "grid_id": grid,
            "coordinator_id": "C01L" if grid == "G01" else "C02L",
            "starts_at": now.isoformat(),
            "ends_at": later,
        },
        ("POST", "/api/v1/broadcasts"): {
            "kind": "notice",
            "title": "通知",
            "body": "明日检查救生衣",
            "target": {"grids": [grid]},
        },
        ("POST", "/api/v1/zones"): {
            "name": "测试区",
            "kind": "sensitive",
            "geometry": {"type": "Point", "coordinates": [117.1, 23.4]},
            "radius_nmi": 1.0,
        },
        ("POST", "/api/v1/zones/{zid}/permits"): {"vessel_id": vessel},
        ("POST", "/api/v1/broadcasts/{bid}/recall/{vid}/ashore"): {"persons_ashore": 1},
        ("POST", "/api/v1/typhoons"): {"type": "FeatureCollection", "features": []},
        ("POST", "/api/v1/requests/{rid}/reply"): {"text": "已联系维修"},
        ("POST", "/api/v1/requests/{rid}/assign"): {"username": "ca"},
        ("POST", "/api/v1/requests/{rid}/resolve"): {"note": "done"},
        ("POST", "/api/v1/trainings"): {
            "title": "消防演练",
            "study_pack": "灭火器使用方法",
            "target": {"grids": [grid]},
            "starts_at": later,
        },
        ("POST", "/api/v1/users"): {
            "username": "newbie",
            "password": "newbie-pass-1",
            "role": "viewer",
        },
        ("PATCH", "/api/v1/users/{username}"): {"disabled": True},
    }


async def build_world(hub: Hub, base: str) -> World:
    """Users, and in each grid: a distress (alert and incident), a request, a tracked warning
    with a recall order, a training and a duty shift; a typhoon forecast over both."""
    now = hub.clock.now()
    for name, role, grids in (
        ("ca", Role.COORDINATOR, ["G01"]),
        ("cb", Role.COORDINATOR, ["G02"]),
        ("view", Role.VIEWER, []),
    ):
        await users.create_user(
            hub.db,
            username=name,
            password_hash=hash_password(PASSWORDS[name]),
            role=role,
            grid_ids=grids,
            now=now,
        )
    async with aiohttp.ClientSession() as s:
        tokens = {n: await _login(s, base, n, pw) for n, pw in PASSWORDS.items()}
        tokens["admin"] = admin = await _login(s, base, "admin", ADMIN_PW)
        fid = 0
        boats = {g: online(hub, vid, hub.clock) for g, vid in GRID_VESSEL.items()}
        try:
            for g, v in boats.items():
                v.publish("distress", {"distress_id": f"{g}-d1", "ts": now.isoformat(),
                                       "lat": 23.1, "lon": 117.55, "nature": "flooding",
                                       "persons": 5, "text": "机舱进水"})  # fmt: skip
                v.publish("request", {"request_id": f"{g}-r1", "ts": now.isoformat(),
                                      "category": "equipment", "text": "雷达故障"})  # fmt: skip
            await wait_for(lambda: _has_all(s, base, admin))
        finally:
            for v in boats.values():
                v.close()
        alerts = (await (await s.get(f"{base}/api/v1/alerts", headers=admin)).json())["alerts"]
        reqs = (await (await s.get(f"{base}/api/v1/requests", headers=admin)).json())["requests"]
        zones = (await (await s.get(f"{base}/api/v1/zones", headers=admin)).json())["features"]
        grid: dict[str, Objects] = {}
        for g, vid in GRID_VESSEL.items():
            alert = next(a for a in alerts if a["vessel_id"] == vid and a["type"] == "distress")
            warning = {
                "kind": "warning",
                "title": "台风蓝色预警",
                "body": "请立即回港避风",
                "target": {"grids": [g]},
                "signal": "blue",
                "recall": {"deadline": (now + timedelta(hours=6)).isoformat()},
            }
            r = await s.post(f"{base}/api/v1/broadcasts", json=warning, headers=admin)
            assert r.status == 201, await r.text()
            bid = (await r.json())["broadcast"]["id"]
            training = bodies(g, now)[("POST", "/api/v1/trainings")]
            r = await s.post(f"{base}/api/v1/trainings", json=training, headers=admin)
            assert r.status == 201, await r.text()
            tid = (await r.json())["id"]
            duty = bodies(g, now)[("POST", "/api/v1/duty")]
            r = await s.post(f"{base}/api/v1/duty", json=duty, headers=admin)
            assert r.status == 201, await r.text()
            if not fid:
                r = await s.post(
                    f"{base}/api/v1/typhoons",
                    data=FORECAST.format(
                        start=now.isoformat(), end=(now + timedelta(days=1)).isoformat()
                    ),
                    headers=admin | {"Content-Type": "text/plain"},
                )
                assert r.status == 201, await r.text()
                fid = (await r.json())["id"]
            grid[g] = Objects(
                vid=vid,
                aid=alert["id"],
                iid=alert["incident_id"],
                bid=bid,
                rid=next(q["id"] for q in reqs if q["vessel_id"] == vid),
                tid=tid,
                zid=zones[0]["properties"]["id"] if zones else 1,
                fid=fid,
                username="ca" if g == "G01" else "cb",
            )
        counts = await _counts(s, base, admin)
    return World(hub, base, tokens, grid, counts)


async def _counts(s: aiohttp.ClientSession, base: str, admin: dict[str, str]) -> dict[str, int]:
    got = {}
    for name in ("broadcasts", "trainings", "duty"):
        body = await (await s.get(f"{base}/api/v1/{name}", headers=admin)).json()
        got[name] = len(body["shifts" if name == "duty" else name])
    return got


async def _has_all(s: aiohttp.ClientSession, base: str, admin: dict[str, str]) -> bool:
    alerts = (await (await s.get(f"{base}/api/v1/alerts", headers=admin)).json())["alerts"]
    reqs = (await (await s.get(f"{base}/api/v1/requests", headers=admin)).json())["requests"]
    return len([a for a in alerts if a["type"] == "distress"]) == 2 and len(reqs) == 2


@pytest.fixture
async def world(registered: Settings) -> AsyncIterator[World]:
    settings = registered.model_copy(update={"admin_password": ADMIN_PW})
    hub = Hub(settings, clock=FakeClock(datetime.now(UTC).replace(microsecond=0)))
    async with hub.running():
        yield await build_world(hub, f"http://127.0.0.1:{settings.api.port}")


def _walked() -> list[tuple[str, str]]:
    # The live stream is a WebSocket: its scope is tested in test_api.py (live stream test).
    # Logout, which any role may do to its own session, is tested in test_security.py.
    skip = {"/api/v1/events", "/api/v1/auth/logout"}
    return [k for k in ROUTES if k[1] not in PUBLIC and k[1] not in skip]


async def _call(
    s: aiohttp.ClientSession, w: World, who: str | None, method: str, path: str, body: Any
) -> tuple[int, str]:
    headers = w.tokens[who] if who else {}
    r = await s.request(method, w.base + path, headers=headers, json=body)
    return r.status, await r.text()


async def test_every_route_refuses_callers_without_a_token(world: World) -> None:
    w = world
    async with aiohttp.ClientSession() as s:
        for method, template in _walked():
            path = w.grid["G01"].path(template)
            body = bodies("G01", w.hub.clock.now()).get((method, template))
            for headers in ({}, {"Authorization": "Bearer not-a-token"}):
                r = await s.request(method, w.base + path, headers=headers, json=body)
                assert r.status == 401, f"{method} {template} answered {r.status} to {headers}"
                assert (await r.json())["error"] == "unauthorized"


async def test_a_viewer_may_change_nothing_on_any_route(world: World) -> None:
    w = world
    writes = [(m, p) for m, p in _walked() if m != "GET"]
    assert len(writes) >= 15
    async with aiohttp.ClientSession() as s:
        for method, template in writes:
            body = bodies("G01", w.hub.clock.now()).get((method, template))
            status, text = await _call(s, w, "view", method, w.grid["G01"].path(template), body)
            assert status == 403, f"viewer: {method} {template} answered {status}: {text}"
            assert json.loads(text)["error"] == "forbidden"
    await _nothing_changed_by(w, "view")


async def test_a_coordinator_of_one_grid_can_neither_read_nor_change_another_grids_objects(
    world: World,
) -> None:
    w = world
    a, b = w.grid["G01"], w.grid["G02"]
    on_b = bodies("G02", w.hub.clock.now())
    on_b[("POST", "/api/v1/acknowledgements")] = {"ids": [b.aid], "note": "收到"}
    async with aiohttp.ClientSession() as s:
        for method, template in _walked():
            own = "{" in template
            if method == "GET" and own:
                # Control: the same read of grid A's object works, so B's refusal is the scope.
                status, text = await _call(s, w, "ca", method, a.path(template), None)
                assert status == 200, f"{template} of the own grid: {status} {text}"
            if (method, template) in COUNTY_WIDE:
                status, text = await _call(s, w, "ca", method, b.path(template), None)
                leaked = [m for m in B_MARKS if m in text]
                assert status == 200 and not leaked, f"{template} shows grid G02's {leaked}"
                continue
            if method == "GET" and not own:
                # A list: B's objects must not be in it, nor may B be asked for.
                status, text = await _call(s, w, "ca", method, template, None)
                assert status in (200, 403), f"{template}: {status}"
                leaked = [m for m in B_MARKS if m in text]
                assert not leaked, f"{template} shows grid G02's {leaked}: {text[:300]}"
                status, text = await _call(s, w, "ca", method, f"{template}?grid=G02", None)
                assert status in (200, 403), f"{template}?grid=G02: {status}"
                assert status == 403 or not [m for m in B_MARKS if m in text], template
                continue
            status, text = await _call(
                s, w, "ca", method, b.path(template), on_b.get((method, template))
            )
            assert status in (403, 404), f"{method} {template} on G02 answered {status}: {text}"
    await _nothing_changed_by(w, "ca")
    async with aiohttp.ClientSession(headers=w.tokens["admin"]) as s:
        alert = await (await s.get(f"{w.base}/api/v1/alerts/{b.aid}")).json()
        assert alert["state"] == "raised" and alert["acked_by"] is None
        req = await (await s.get(f"{w.base}/api/v1/requests/{b.rid}")).json()
        assert req["state"] == "open"
        users_ = (await (await s.get(f"{w.base}/api/v1/users")).json())["users"]
        assert not next(u for u in users_ if u["username"] == "cb")["disabled"]


async def _nothing_changed_by(w: World, who: str) -> None:
    """Every change is audited: a caller whose every write was refused left no audit entry but
    his logins, and no broadcast, training or duty shift appeared."""
    async with aiohttp.ClientSession() as s:
        audit = await (await s.get(f"{w.base}/api/v1/audit", headers=w.tokens["admin"])).json()
        changes = [e for e in audit["audit"] if not e["action"].startswith("auth.")]
        assert [e for e in changes if e["username"] == who] == []
        assert await _counts(s, w.base, w.tokens["admin"]) == w.counts
