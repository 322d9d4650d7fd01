"""Accounts in the API: an admin changes a role and a grid scope, the server enforces it at once
(the account's sessions end, its live stream closes), every change is audited; nobody else may
change an account, not even their own; the last admin stays an admin."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiohttp import WSMsgType

from seaLink.api.events_ws import CLOSE_TOKEN_EXPIRED
from seaLink.runtime import Hub
from tests.test_api import ADMIN_PW, _login, api  # noqa: F401  (fixture)

COORD_PW = "coord-pass-1"
VIEWER_PW = "viewer-pass-1"


async def _patch(base: str, who: dict[str, str], name: str, body: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession(headers=who) as s:
        r = await s.patch(f"{base}/api/v1/users/{name}", json=body)
        return r.status, json.loads(await r.text())


async def _user(base: str, admin: dict[str, str], name: str) -> dict[str, Any]:
    async with aiohttp.ClientSession(headers=admin) as s:
        body = await (await s.get(f"{base}/api/v1/users")).json()
    user: dict[str, Any] = next(u for u in body["users"] if u["username"] == name)
    return user


async def _audit(base: str, admin: dict[str, str]) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession(headers=admin) as s:
        entries: list[dict[str, Any]] = (await (await s.get(f"{base}/api/v1/audit")).json())[
            "audit"
        ]
    return entries


async def _vessel_ids(base: str, who: dict[str, str]) -> tuple[int, list[str]]:
    async with aiohttp.ClientSession(headers=who) as s:
        r = await s.get(f"{base}/api/v1/vessels")
        if r.status != 200:
            return r.status, []
        return 200, sorted(v["id"] for v in (await r.json())["vessels"])


async def test_an_admin_moves_a_coordinator_to_another_grid_and_the_new_scope_applies_at_once(
    api: tuple[Hub, str],  # noqa: F811
) -> None:
    _hub, base = api
    admin = await _login(base, "admin", ADMIN_PW)
    coord = await _login(base, "coord1", COORD_PW)
    assert await _vessel_ids(base, coord) == (200, ["V1", "V2", "V3"])
    token = coord["Authorization"].split()[1]
    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(f"{base}/api/v1/events?token={token}")
        assert json.loads((await ws.receive(timeout=5)).data)["type"] == "hello"

        status, body = await _patch(base, admin, "coord1", {"grids": ["G02"]})
        assert status == 200, body
        assert (body["username"], body["role"], body["grids"]) == ("coord1", "coordinator", ["G02"])
        assert body["disabled"] is False

        # The old session saw G01: it ends, and so does its live stream (closed, not left open
        # with the old scope).
        assert (await _vessel_ids(base, coord))[0] == 401
        while True:
            msg = await ws.receive(timeout=30)
            if msg.type is not WSMsgType.TEXT:
                break
        assert msg.type is WSMsgType.CLOSE
        assert (msg.data, msg.extra) == (CLOSE_TOKEN_EXPIRED, "token_expired")

    again = await _login(base, "coord1", COORD_PW)  # the password is unchanged
    assert await _vessel_ids(base, again) == (200, ["V4", "V5"])
    entry = _audit_entry(await _audit(base, admin), "user/coord1")
    assert entry["username"] == "admin" and entry["detail"] == "grids G01->G02"


def _audit_entry(entries: list[dict[str, Any]], target: str) -> dict[str, Any]:
    return next(e for e in entries if e["target"] == target and e["action"] == "user.change")


async def test_an_admin_changes_roles_and_the_server_enforces_the_new_role(
    api: tuple[Hub, str],  # noqa: F811
) -> None:
    _hub, base = api
    admin = await _login(base, "admin", ADMIN_PW)
    notice = {"kind": "notice", "title": "通知", "body": "正文", "target": {"grids": ["G01"]}}

    # A coordinator made a viewer may read, but no longer send.
    status, body = await _patch(base, admin, "coord1", {"role": "viewer"})
    assert (status, body["role"], body["grids"]) == (200, "viewer", ["G01"])
    viewer = await _login(base, "coord1", COORD_PW)
    assert await _vessel_ids(base, viewer) == (200, ["V1", "V2", "V3"])
    async with aiohttp.ClientSession(headers=viewer) as s:
        r = await s.post(f"{base}/api/v1/broadcasts", json=notice)
        assert r.status == 403

    # A viewer of every grid made a coordinator needs grids; with one, it may send there.
    status, body = await _patch(base, admin, "viewer1", {"role": "coordinator"})
    assert (status, body["error"]) == (400, "refused")
    assert "at least one grid" in body["message"]
    status, body = await _patch(base, admin, "viewer1", {"role": "coordinator", "grids": ["G01"]})
    assert (status, body["role"], body["grids"]) == (200, "coordinator", ["G01"])
    coord = await _login(base, "viewer1", VIEWER_PW)
    async with aiohttp.ClientSession(headers=coord) as s:
        r = await s.post(f"{base}/api/v1/broadcasts", json=notice)
        assert r.status == 201, await r.text()
        r = await s.post(f"{base}/api/v1/broadcasts", json=notice | {"target": {"grids": ["G02"]}})
        assert r.status == 403
    entries = await _audit(base, admin)
    assert (
        _audit_entry(entries, "user/viewer1")["detail"] == "role viewer->coordinator grids -->G01"
    )
    assert _audit_entry(entries, "user/coord1")["detail"] == "role coordinator->viewer"

    # Raised to admin: every grid, and the admin calls.
    status, body = await _patch(base, admin, "viewer1", {"role": "admin"})
    assert (status, body["role"]) == (200, "admin")
    new_admin = await _login(base, "viewer1", VIEWER_PW)
    assert await _vessel_ids(base, new_admin) == (200, ["V1", "V2", "V3", "V4", "V5"])
    async with aiohttp.ClientSession(headers=new_admin) as s:
        assert (await s.get(f"{base}/api/v1/audit")).status == 200


async def test_nobody_but_an_admin_changes_an_account_not_even_their_own(
    api: tuple[Hub, str],  # noqa: F811
) -> None:
    _hub, base = api
    admin = await _login(base, "admin", ADMIN_PW)
    coord = await _login(base, "coord1", COORD_PW)
    viewer = await _login(base, "viewer1", VIEWER_PW)
    before = await _audit(base, admin)
    for who, name in ((coord, "coord1"), (viewer, "viewer1"), (coord, "viewer1")):
        for change in ({"role": "admin"}, {"grids": ["G01", "G02"]}, {"disabled": True}):
            status, body = await _patch(base, who, name, change)
            assert (status, body["error"]) == (403, "forbidden"), (name, change)
    assert await _user(base, admin, "coord1") == {
        "username": "coord1",
        "role": "coordinator",
        "display_name": "",
        "grids": ["G01"],
        "disabled": False,
        "locked_until": None,
    }
    assert (await _user(base, admin, "viewer1"))["role"] == "viewer"
    assert await _audit(base, admin) == before  # nothing changed, nothing audited
    assert await _vessel_ids(base, coord) == (200, ["V1", "V2", "V3"])  # still logged in


async def test_refused_changes_change_nothing(api: tuple[Hub, str]) -> None:  # noqa: F811
    _hub, base = api
    admin = await _login(base, "admin", ADMIN_PW)
    coord = await _login(base, "coord1", COORD_PW)
    before = await _audit(base, admin)
    for name, change, expected in (
        ("coord1", {"grids": ["G01", "G99"]}, (400, "refused", "G99")),
        ("coord1", {"grids": []}, (400, "refused", "at least one grid")),
        ("coord1", {"role": "superuser"}, (400, "invalid_body", "role")),
        ("coord1", {"grids": "G02"}, (400, "invalid_body", "grids")),
        ("coord1", {"grids": ["G02"], "username": "x"}, (400, "invalid_body", "username")),
        ("coord1", {}, (400, "invalid_body", "nothing to change")),
        ("nobody", {"role": "viewer"}, (404, "not_found", "nobody")),
        # The only admin can be neither demoted nor disabled: nobody could manage accounts.
        ("admin", {"role": "coordinator", "grids": ["G01"]}, (409, "last_admin", "last")),
        ("admin", {"disabled": True}, (409, "last_admin", "last")),
    ):
        status, body = await _patch(base, admin, name, change)
        assert (status, body["error"]) == expected[:2], (name, change, body)
        assert expected[2] in body["message"], (name, change, body)
    assert (await _user(base, admin, "coord1"))["grids"] == ["G01"]
    assert (await _user(base, admin, "admin"))["role"] == "admin"
    assert await _audit(base, admin) == before
    assert await _vessel_ids(base, coord) == (200, ["V1", "V2", "V3"])  # its session lives on

    # With a second admin, the first may step down.
    status, _ = await _patch(base, admin, "viewer1", {"role": "admin"})
    assert status == 200
    status, body = await _patch(base, admin, "admin", {"role": "viewer"})
    assert (status, body["role"]) == (200, "viewer")
    second = await _login(base, "viewer1", VIEWER_PW)
    status, body = await _patch(base, second, "viewer1", {"disabled": True})
    assert (status, body["error"]) == (409, "last_admin")


async def test_a_password_or_disabling_alone_keeps_the_scope_and_a_same_scope_change_keeps_the_session(
    api: tuple[Hub, str],  # noqa: F811
) -> None:
    _hub, base = api
    admin = await _login(base, "admin", ADMIN_PW)
    coord = await _login(base, "coord1", COORD_PW)
    status, body = await _patch(
        base, admin, "coord1", {"grids": ["G01", "G01"], "role": "coordinator"}
    )
    assert (status, body["grids"]) == (200, ["G01"])
    assert await _vessel_ids(base, coord) == (200, ["V1", "V2", "V3"])  # nothing changed: kept
    status, body = await _patch(base, admin, "coord1", {"password": "new-coord-pass"})
    assert (status, body["grids"], body["role"]) == (200, ["G01"], "coordinator")
    await _login(base, "coord1", "new-coord-pass")
    assert _audit_entry(await _audit(base, admin), "user/coord1")["detail"] == "password"
