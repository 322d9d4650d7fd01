"""Every kind of alert can be worked to the end (issue 13.1): acknowledged by a named person,
silenced (which is not acknowledging), assigned, commented, resolved with an outcome, and
acknowledged in bulk from a filtered list; scoped by grid, audited, live on every console.
Real hub, broker and API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp

from tests.test_distress import _get, _post, clock, setup  # noqa: F401  (fixtures)
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel

RESERVE = (23.28, 117.25)  # inside the Nanpeng Islands reserve (the shipped zones)


async def _user(base: str, admin: dict[str, str], name: str, grids: list[str]) -> dict[str, str]:
    body = {"username": name, "password": f"{name}-pass-123", "role": "coordinator", "grids": grids}
    status, _ = await _post(base, admin, "/api/v1/users", body)
    assert status == 201
    async with aiohttp.ClientSession() as s:
        r = await s.post(f"{base}/api/v1/auth/login",
                         json={"username": name, "password": f"{name}-pass-123"})  # fmt: skip
        return {"Authorization": f"Bearer {(await r.json())['token']}"}


async def _zone_alerts(hub: Any, base: str, h: dict[str, str], vids: list[str]) -> dict[str, int]:
    """Boats enter the reserve: one zone alert each (a kind that had no action before)."""
    boats = [TestVessel(hub.settings.mqtt.url, v, prefix=hub.settings.mqtt.prefix) for v in vids]
    try:
        for b in boats:
            b.publish("position", {"ts": hub.clock.now().isoformat(), "lat": RESERVE[0],
                                   "lon": RESERVE[1], "sog": 3.0, "cog": 90.0})  # fmt: skip

        async def raised() -> bool:
            alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
            return len([a for a in alerts if a["type"].startswith("zone:")]) == len(vids)

        await wait_for(raised, timeout=20)
        await hub.drained()
    finally:
        for b in boats:
            b.close()
    alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
    return {a["vessel_id"]: a["id"] for a in alerts if a["type"].startswith("zone:")}


async def test_a_zone_alert_is_silenced_assigned_commented_acknowledged_and_resolved(
    setup: Any,  # noqa: F811
) -> None:
    hub, base, admin, _outside = setup
    ca = await _user(base, admin, "ca", ["G01"])
    cb = await _user(base, admin, "cb", ["G02"])
    ids = await _zone_alerts(hub, base, admin, ["V1", "V2"])
    aid = ids["V1"]
    live: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as s:
        token = ca["Authorization"].split()[1]
        ws = await s.ws_connect(f"{base}/api/v1/events?token={token}")

        async def listen() -> None:
            async for msg in ws:
                doc = msg.json()
                if doc.get("type") == "alert":
                    live.append(doc["data"])

        listener = asyncio.create_task(listen())
        try:
            # Another grid's coordinator can neither see nor touch it.
            for path, body in (("silence", {"minutes": 5}), ("comment", {"text": "x"}),
                               ("assign", {"username": "cb"}), ("ack", {})):  # fmt: skip
                status, refused = await _post(base, cb, f"/api/v1/alerts/{aid}/{path}", body)
                assert (status, refused["error"]) == (404, "not_found"), path

            status, a = await _post(base, ca, f"/api/v1/alerts/{aid}/silence", {"minutes": 10})
            assert status == 200 and a["state"] == "raised"  # silencing is not acknowledging
            assert a["silenced_by"] == "ca" and a["silenced_until"] and a["acked_by"] is None
            status, refused = await _post(
                base, ca, f"/api/v1/alerts/{aid}/assign", {"username": "cb"}
            )
            assert (status, refused["error"]) == (400, "bad_assignee")  # cb has no G01
            # Who may be chosen, as the console offers them: G01's coordinators, then admins.
            people = (await _get(base, ca, f"/api/v1/alerts/{aid}/assignees"))["people"]
            assert [(p["username"], p["role"]) for p in people] == [
                ("ca", "coordinator"), ("admin", "admin"),
            ]  # fmt: skip
            async with aiohttp.ClientSession(headers=cb) as other:
                r = await other.get(f"{base}/api/v1/alerts/{aid}/assignees")
                assert r.status == 404
            status, a = await _post(base, ca, f"/api/v1/alerts/{aid}/assign", {"username": "ca"})
            assert status == 200 and a["assigned_to"] == "ca"
            status, a = await _post(
                base, ca, f"/api/v1/alerts/{aid}/comment", {"text": "已电话联系船长"}
            )
            assert status == 200
            status, a = await _post(base, ca, f"/api/v1/alerts/{aid}/ack", {"note": "正在驶离"})
            assert status == 200 and a["state"] == "acknowledged" and a["acked_by"] == "ca"
            status, a = await _post(base, ca, f"/api/v1/alerts/{aid}/resolve", {"outcome": "other", "note": "已离开"})  # fmt: skip
            assert status == 200 and a["state"] == "resolved" and a["outcome"] == "other"
            trail = [(e["action"], e["actor"]) for e in a["events"]]
            assert trail[1:] == [("silenced", "ca"), ("assigned", "ca"), ("comment", "ca"),
                                 ("acknowledged", "ca"), ("resolved", "ca")], trail  # fmt: skip
            assert a["events"][3]["note"] == "已电话联系船长"

            async def all_live() -> bool:
                return {d["action"] for d in live if d["alert_id"] == aid} >= {
                    "silenced",
                    "assigned",
                    "commented",
                    "acknowledged",
                    "resolved",
                }

            await wait_for(all_live, timeout=10)
            assert all(d["by"] == "ca" for d in live if d["alert_id"] == aid and "by" in d)
        finally:
            listener.cancel()
            await ws.close()
    audit = (await _get(base, admin, "/api/v1/audit"))["audit"]
    actions = {
        e["action"] for e in audit if e["username"] == "ca" and e["target"] == f"alert/{aid}"
    }
    assert actions == {
        "alert.silence",
        "alert.assign",
        "alert.comment",
        "alert.ack",
        "alert.resolve",
    }
    # cb's refused attempts changed nothing (his login is all the log has of him).
    assert not [e for e in audit if e["username"] == "cb" and not e["action"].startswith("auth.")]


async def test_a_filtered_list_is_acknowledged_in_one_action(setup: Any) -> None:  # noqa: F811
    hub, base, admin, _outside = setup
    ca = await _user(base, admin, "ca", ["G01"])
    ids = await _zone_alerts(hub, base, admin, ["V1", "V2", "V3", "V4"])  # V4 is in G02
    mine = [ids["V1"], ids["V2"], ids["V3"]]
    # One id of another grid: nothing is done (not even the others).
    status, refused = await _post(base, ca, "/api/v1/acknowledgements", {"ids": [*mine, ids["V4"]]})
    assert (status, refused["error"]) == (404, "not_found")
    assert {a["state"] for a in (await _get(base, admin, "/api/v1/alerts"))["alerts"]} == {"raised"}
    status, _ = await _post(base, ca, f"/api/v1/alerts/{ids['V3']}/ack", {})
    status, done = await _post(
        base, ca, "/api/v1/acknowledgements", {"ids": mine, "note": "批量确认"}
    )
    assert status == 200
    assert done["results"] == {str(ids["V1"]): "acknowledged", str(ids["V2"]): "acknowledged",
                               str(ids["V3"]): "not_open"}  # fmt: skip
    by_vessel = {a["vessel_id"]: a for a in (await _get(base, admin, "/api/v1/alerts"))["alerts"]}
    assert {v: (a["state"], a["acked_by"]) for v, a in by_vessel.items()} == {
        "V1": ("acknowledged", "ca"), "V2": ("acknowledged", "ca"), "V3": ("acknowledged", "ca"),
        "V4": ("raised", None),
    }  # fmt: skip
    # An acknowledged alert no longer climbs the escalation chain.
    hub.clock.advance(timedelta(hours=2))
    await hub.drained()
    for v in ("V1", "V2", "V3"):
        alert = await _get(base, admin, f"/api/v1/alerts/{by_vessel[v]['id']}")
        assert alert["escalation_level"] == 0
