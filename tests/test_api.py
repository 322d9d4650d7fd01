"""The REST API of the hub core: authentication, roles, grid scopes, vessels, tracks, alerts."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, timedelta

import aiohttp
import pytest

from seaLink.clock import FakeClock
from seaLink.domain.roles import Role
from seaLink.runtime import Hub
from seaLink.services.auth import hash_password
from seaLink.settings import Settings
from seaLink.store import users
from tests.heard import until_heard, uplinks_heard
from tests.test_ingest import fix, wait_for
from tests.vessel_client import TestVessel

ADMIN_PW = "admin-pass-123"


@pytest.fixture
async def api(registered: Settings, fake_clock: FakeClock) -> AsyncIterator[tuple[Hub, str]]:
    settings = registered.model_copy(update={"admin_password": ADMIN_PW})
    hub = Hub(settings, clock=fake_clock)
    async with hub.running():
        now = fake_clock.now()
        await users.create_user(
            hub.db,
            username="coord1",
            password_hash=hash_password("coord-pass-1"),
            role=Role.COORDINATOR,
            grid_ids=["G01"],
            now=now,
        )
        await users.create_user(
            hub.db,
            username="viewer1",
            password_hash=hash_password("viewer-pass-1"),
            role=Role.VIEWER,
            grid_ids=[],
            now=now,
        )
        yield hub, f"http://127.0.0.1:{settings.api.port}"


async def _login(base: str, username: str, password: str) -> dict[str, str]:
    async with aiohttp.ClientSession() as s:
        r = await s.post(
            f"{base}/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert r.status == 200, await r.text()
        body = await r.json()
    return {"Authorization": f"Bearer {body['token']}"}


async def test_every_api_route_refuses_a_request_without_a_valid_token(
    api: tuple[Hub, str],
) -> None:
    hub, base = api
    from seaLink.api.app import build_app
    from seaLink.api.security import OPEN_PATHS

    routes = [
        (r.method, r.resource.canonical)
        for r in build_app(hub.api).router.routes()  # type: ignore[union-attr]
        if r.resource is not None and r.method != "HEAD"
    ]
    checked = 0
    async with aiohttp.ClientSession() as s:
        for method, path in routes:
            if path in OPEN_PATHS or not path.startswith("/api/"):
                continue
            url = base + path.replace("{vid}", "V1")
            for headers in ({}, {"Authorization": "Bearer not-a-token"}):
                r = await s.request(method, url, headers=headers)
                assert r.status == 401, f"{method} {path} answered {r.status} with {headers}"
                assert (await r.json())["error"] == "unauthorized"
            checked += 1
    assert checked >= 5


async def test_a_coordinator_sees_only_the_vessels_of_their_grids(api: tuple[Hub, str]) -> None:
    _hub, base = api
    h = await _login(base, "coord1", "coord-pass-1")
    async with aiohttp.ClientSession(headers=h) as s:
        body = await (await s.get(f"{base}/api/v1/vessels")).json()
        assert sorted(v["id"] for v in body["vessels"]) == ["V1", "V2", "V3"]
        assert (await s.get(f"{base}/api/v1/vessels/V4")).status == 404
        assert (await s.get(f"{base}/api/v1/vessels/V4/track")).status == 404
        assert (await s.get(f"{base}/api/v1/vessels?grid=G02")).status == 403
        assert (await s.get(f"{base}/api/v1/alerts?grid=G02")).status == 403
        grids = (await (await s.get(f"{base}/api/v1/grids")).json())["grids"]
        assert [g["id"] for g in grids] == ["G01"]
    admin = await _login(base, "admin", ADMIN_PW)
    async with aiohttp.ClientSession(headers=admin) as s:
        body = await (await s.get(f"{base}/api/v1/vessels")).json()
        assert body["count"] == 5
        assert (await s.get(f"{base}/api/v1/vessels/V4")).status == 200


async def test_a_viewer_reads_but_cannot_write(api: tuple[Hub, str]) -> None:
    _hub, base = api
    h = await _login(base, "viewer1", "viewer-pass-1")
    async with aiohttp.ClientSession(headers=h) as s:
        assert (await s.get(f"{base}/api/v1/vessels")).status == 200
        r = await s.post(f"{base}/api/v1/vessels", json={})
        assert r.status == 403
        assert (await r.json())["error"] == "forbidden"


async def test_repeated_failures_slow_down_that_name_from_that_address_and_tokens_expire(
    api: tuple[Hub, str], fake_clock: FakeClock
) -> None:
    _hub, base = api
    async with aiohttp.ClientSession() as s:
        for _ in range(5):
            r = await s.post(
                f"{base}/api/v1/auth/login", json={"username": "coord1", "password": "wrong"}
            )
            assert r.status == 401
        r = await s.post(
            f"{base}/api/v1/auth/login", json={"username": "coord1", "password": "coord-pass-1"}
        )
        assert r.status == 429
        assert (await r.json())["error"] == "slow_down"
        assert (await r.json())["retry_after_s"] > 0
        r = await s.post(f"{base}/api/v1/auth/login", data=b"{not json")
        assert r.status == 400
    fake_clock.advance(timedelta(minutes=16))
    h = await _login(base, "coord1", "coord-pass-1")
    async with aiohttp.ClientSession(headers=h) as s:
        assert (await s.get(f"{base}/api/v1/auth/me")).status == 200
        fake_clock.advance(timedelta(hours=12, seconds=1))
        assert (await s.get(f"{base}/api/v1/auth/me")).status == 401


async def test_vessel_list_track_and_alerts_show_what_the_hub_heard(
    api: tuple[Hub, str], fake_clock: FakeClock
) -> None:
    hub, base = api
    v = TestVessel(hub.settings.mqtt.url, "V2", prefix=hub.settings.mqtt.prefix)
    try:
        v.publish("position", [fix(fake_clock, 10, lat=23.2), fix(fake_clock, 0, lat=23.25)])
        await wait_for(lambda: _heard(hub))
        await hub.drained()
    finally:
        v.close()
    fake_clock.advance(timedelta(minutes=40))
    await hub.watch.settle()
    h = await _login(base, "coord1", "coord-pass-1")
    async with aiohttp.ClientSession(headers=h) as s:
        vessel = await (await s.get(f"{base}/api/v1/vessels/V2")).json()
        assert vessel["hull_name"] == "粤南澳渔00002"
        assert vessel["last_position"]["lat"] == 23.25
        assert vessel["contact"]["state"] == "lost"
        r = await s.get(f"{base}/api/v1/vessels/V2/track")
        assert r.content_type == "application/geo+json"
        track = await r.json()
        assert track["features"][0]["geometry"]["coordinates"] == [[117.6, 23.2], [117.6, 23.25]]
        since = (fake_clock.now() - timedelta(minutes=45)).astimezone(UTC).isoformat()
        r = await s.get(f"{base}/api/v1/vessels/V2/track", params={"since": since})
        assert len((await r.json())["features"]) == 2  # the line and the one newer fix
        assert (await s.get(f"{base}/api/v1/vessels/V2/track?since=yesterday")).status == 400
        alerts = (await (await s.get(f"{base}/api/v1/alerts")).json())["alerts"]
        assert [(a["vessel_id"], a["type"], a["phase"]) for a in alerts] == [
            ("V2", "lost_contact", "uncertainty")
        ]
        lost = await (await s.get(f"{base}/api/v1/vessels", params={"contact": "lost"})).json()
        assert [x["id"] for x in lost["vessels"]] == ["V2"]
    async with aiohttp.ClientSession() as s:
        health = await (await s.get(f"{base}/healthz")).json()
        assert health["mqtt"] is True and health["contact"]["lost"] == 1
        metrics = await (await s.get(f"{base}/metrics")).text()
        assert 'sealink_positions_stored_total{backfill="false"} 2.0' in metrics


async def _heard(hub: Hub) -> bool:
    from seaLink.store import queries

    v = await queries.get_vessel(hub.db, "V2")
    return v is not None and v["contact"]["last_heard"] is not None


def test_sealink_user_manages_accounts_from_the_command_line(registered: Settings) -> None:
    env = {"SEALINK_STORE__URL": registered.store.url, "PATH": "/usr/bin:/bin"}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "seaLink.cli", "user", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    r = run(
        "add",
        "chen",
        "--role",
        "coordinator",
        "--grids",
        "G01",
        "--name",
        "陈海生",
        "--password-stdin",
        stdin="long-enough-pw\n",
    )
    assert r.returncode == 0, r.stderr
    r = run(
        "add",
        "lin",
        "--role",
        "coordinator",
        "--grids",
        "G99",
        "--password-stdin",
        stdin="long-enough-pw\n",
    )
    assert r.returncode != 0 and "unknown grid(s): G99" in r.stderr
    r = run("add", "short", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert r.returncode != 0 and "at least 8" in r.stderr
    r = run("list")
    assert "chen" in r.stdout and "coordinator" in r.stdout and "G01" in r.stdout
    assert run("disable", "chen").returncode == 0
    assert "disabled" in run("list").stdout


async def test_the_live_stream_is_scoped_throttled_and_resumable(
    api: tuple[Hub, str], fake_clock: FakeClock
) -> None:
    import json

    hub, base = api
    h = await _login(base, "coord1", "coord-pass-1")
    token = h["Authorization"].split()[1]
    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(f"{base}/api/v1/events?token={token}")
        hello = json.loads((await ws.receive(timeout=5)).data)
        assert hello["type"] == "hello"
        vessels = [
            TestVessel(hub.settings.mqtt.url, vid, prefix=hub.settings.mqtt.prefix)
            for vid in ("V1", "V4")
        ]
        try:
            for v in vessels:
                for k in range(3):
                    v.publish("position", fix(fake_clock, 3 - k, lat=23.0 + k / 100))
            frames: list[dict[str, object]] = []
            while not any(f["type"] == "positions" for f in frames):
                frames.append(json.loads((await ws.receive(timeout=5)).data))
        finally:
            for v in vessels:
                v.close()
        [batch] = [f for f in frames if f["type"] == "positions"]
        seen = {p["vessel_id"] for p in batch["data"]["positions"]}  # type: ignore[index]
        assert seen == {"V1"}, "V4 is in grid G02, outside coord1's scope"
        await hub.drained()
        fake_clock.advance(timedelta(minutes=41))
        await hub.watch.settle()
        alert_frames: list[dict[str, object]] = []
        while not alert_frames:
            f = json.loads((await ws.receive(timeout=5)).data)
            if f["type"] == "alert":
                alert_frames.append(f)
        assert alert_frames[0]["data"]["vessel_id"] == "V1"  # type: ignore[index]
        last_id = int(alert_frames[0]["id"])  # type: ignore[call-overload]
        await ws.close()
        # Reconnect from before the alert: it is replayed; from after it: nothing old comes back.
        ws = await s.ws_connect(f"{base}/api/v1/events?token={token}&last_event_id={last_id - 1}")
        frames = [json.loads((await ws.receive(timeout=5)).data) for _ in range(2)]
        assert frames[1]["type"] == "alert" and frames[1]["id"] == last_id
        await ws.close()
        ws = await s.ws_connect(f"{base}/api/v1/events?token={token}&last_event_id={last_id}")
        await ws.receive(timeout=5)
        with __import__("contextlib").suppress(asyncio.TimeoutError):
            extra = await ws.receive(timeout=1.5)
            assert json.loads(extra.data)["type"] != "alert"
        await ws.close()
        # An id from another hub run (or from the future) cannot be replayed: resync.
        ws = await s.ws_connect(
            f"{base}/api/v1/events?token={token}&last_event_id={last_id + 10**9}"
        )
        frames = [json.loads((await ws.receive(timeout=5)).data) for _ in range(2)]
        assert frames[1]["type"] == "resync"
        await ws.close()


async def test_admins_manage_accounts_in_the_api_and_every_action_is_audited(
    api: tuple[Hub, str],
) -> None:
    _hub, base = api
    admin = await _login(base, "admin", ADMIN_PW)
    coord = await _login(base, "coord1", "coord-pass-1")
    async with aiohttp.ClientSession() as s:
        new = {
            "username": "lin",
            "password": "lin-pass-123",
            "role": "coordinator",
            "grids": ["G02"],
        }
        assert (await s.post(f"{base}/api/v1/users", json=new, headers=coord)).status == 403
        assert (await s.post(f"{base}/api/v1/users", json=new, headers=admin)).status == 201
        assert (await s.post(f"{base}/api/v1/users", json=new, headers=admin)).status == 409
        bad = await s.post(
            f"{base}/api/v1/users", json=new | {"username": "x2", "grids": ["G99"]}, headers=admin
        )
        assert bad.status == 400 and "G99" in (await bad.json())["message"]
        short = await s.post(
            f"{base}/api/v1/users",
            json=new | {"username": "x3", "password": "short"},
            headers=admin,
        )
        assert short.status == 400 and "password" in (await short.json())["message"]
        lin = await _login(base, "lin", "lin-pass-123")
        body = await (await s.get(f"{base}/api/v1/vessels", headers=lin)).json()
        assert sorted(v["id"] for v in body["vessels"]) == ["V4", "V5"]
        r = await s.patch(f"{base}/api/v1/users/lin", json={"disabled": True}, headers=admin)
        assert r.status == 200
        r = await s.post(
            f"{base}/api/v1/auth/login", json={"username": "lin", "password": "lin-pass-123"}
        )
        assert r.status == 401
        assert (
            await s.get(f"{base}/api/v1/vessels", headers=lin)
        ).status == 401  # its tokens die too
        audit = (await (await s.get(f"{base}/api/v1/audit", headers=admin)).json())["audit"]
        changes = [a["action"] for a in audit if not a["action"].startswith("auth.")]
        assert changes[:2] == ["user.change", "user.add"]
        # The disabled account's refused login is in the log too.
        assert audit[0]["action"] == "auth.login_failed" and audit[0]["username"] == "lin"
        assert (await s.get(f"{base}/api/v1/audit", headers=coord)).status == 403


async def test_alerts_can_be_filtered_by_vessel(
    api: tuple[Hub, str], fake_clock: FakeClock
) -> None:
    hub, base = api
    vs = [
        TestVessel(hub.settings.mqtt.url, vid, prefix=hub.settings.mqtt.prefix)
        for vid in ("V1", "V2")
    ]
    try:
        heard = uplinks_heard(hub)
        for v in vs:
            v.publish("position", fix(fake_clock, 0))
        await until_heard(hub, heard, position=len(vs))
    finally:
        for v in vs:
            v.close()
    fake_clock.advance(timedelta(minutes=41))
    await hub.watch.settle()
    h = await _login(base, "admin", ADMIN_PW)
    async with aiohttp.ClientSession(headers=h) as s:
        both = (await (await s.get(f"{base}/api/v1/alerts")).json())["alerts"]
        one = (await (await s.get(f"{base}/api/v1/alerts", params={"vessel": "V1"})).json())[
            "alerts"
        ]
    assert sorted(a["vessel_id"] for a in both) == ["V1", "V2"]
    assert [a["vessel_id"] for a in one] == ["V1"]
