"""Regression tests for what the property-based API run found, and for the console team's asks:
alert detail codes, vessel paging, the live stream closing when its token expires."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import WSMsgType
from sqlalchemy import update

from seaLink.api.events_ws import CLOSE_TOKEN_EXPIRED
from seaLink.clock import FakeClock
from seaLink.store.tables import Alert
from tests.test_api_scopes import World, world  # noqa: F401  (fixture)


async def _get(w: World, who: str, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession(headers=w.tokens[who]) as s:
        r = await s.get(w.base + path)
        return r.status, json.loads(await r.text())


async def _send(w: World, who: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession(headers=w.tokens[who]) as s:
        r = await s.request(method, w.base + path, json=body)
        return r.status, json.loads(await r.text())


async def test_a_refusal_quoting_the_callers_input_is_still_valid_json(world: World) -> None:  # noqa: F811
    # The id ends up in the message; quotes and backslashes used to break the hand-built JSON.
    for raw, vid in (("a%22b", 'a"b'), ("%5CZ3", "\\Z3")):
        status, body = await _get(world, "admin", f"/api/v1/vessels/{raw}")
        assert status == 404 and vid in body["message"]
        status, body = await _get(world, "admin", f"/api/v1/vessels/{raw}/track?since=x%22y")
        assert status == 404 and body["error"] == "not_found"
    status, body = await _get(world, "admin", "/api/v1/vessels/V1/track?since=x%22y")
    assert status == 400 and body["error"] == "bad_query"


async def test_ids_beyond_64_bits_or_not_numbers_are_simply_not_found(world: World) -> None:  # noqa: F811
    huge = "2783013411000257871872"
    for path in (
        f"/api/v1/alerts/{huge}",
        f"/api/v1/incidents/{huge}/nearest",
        f"/api/v1/requests/{huge}",
        f"/api/v1/trainings/{huge}",
        f"/api/v1/broadcasts/{huge}",
        "/api/v1/alerts/0",
        "/api/v1/alerts/-1",
        "/api/v1/alerts/%C2%B2",  # "²" is a digit to str.isdigit, not to int()
    ):
        status, body = await _get(world, "admin", path)
        assert (status, body["error"]) == (404, "not_found"), path
    for method, path in (
        ("DELETE", f"/api/v1/zones/{huge}"),
        ("POST", f"/api/v1/broadcasts/{huge}/resend"),
        ("POST", f"/api/v1/incidents/{huge}/task"),
    ):
        status, body = await _send(world, "admin", method, path, {"vessels": ["V2"]})
        assert status == 404, (method, path, body)


async def test_tasking_the_nearest_of_an_incident_without_a_position_is_a_conflict(
    world: World,  # noqa: F811
) -> None:
    a = world.grid["G01"]
    # A Beidou text distress may come without a position; make this one so.
    async with world.hub.db.engine.begin() as conn:
        await conn.execute(update(Alert.__table__).where(Alert.__table__.c.id == a.aid).values(lat=None, lon=None))  # type: ignore[attr-defined]  # fmt: skip
    for body_in in ({"top": 2}, {"vessels": ["V2"]}):
        status, body = await _send(world, "ca", "POST", f"/api/v1/incidents/{a.iid}/task", body_in)
        assert (status, body["error"]) == (409, "no_position"), body_in
    # Where the scene is known, boats are tasked, each once however often it is named.
    b = world.grid["G02"]
    status, body = await _send(
        world, "cb", "POST", f"/api/v1/incidents/{b.iid}/task", {"vessels": ["V5", "V5"]}
    )
    assert status == 201 and body["tasked"] == ["V5"] and len(body["msg_ids"]) == 1


async def test_a_permit_names_a_zone_that_exists(world: World) -> None:  # noqa: F811
    status, body = await _send(
        world, "admin", "POST", "/api/v1/zones/987654/permits", {"vessel_id": "V1"}
    )
    assert (status, body["error"]) == (404, "not_found")
    zid = world.grid["G01"].zid
    status, body = await _send(
        world, "admin", "POST", f"/api/v1/zones/{zid}/permits", {"vessel_id": "V1"}
    )
    assert status == 201 and body == {"zone_id": zid, "vessel_id": "V1"}


async def test_unknown_query_values_are_refused_not_ignored(world: World) -> None:  # noqa: F811
    a = world.grid["G01"]
    status, _ = await _get(world, "ca", f"/api/v1/broadcasts/{a.bid}?deliveries=yes")
    assert status == 400
    status, body = await _get(world, "ca", f"/api/v1/broadcasts/{a.bid}?deliveries=1")
    assert status == 200 and {d["vessel_id"] for d in body["deliveries"]} == {"V1", "V2", "V3"}
    status, _ = await _get(world, "ca", f"/api/v1/trainings/{a.tid}/attendance?format=xml")
    assert status == 400


async def test_the_vessel_list_pages_in_id_order_with_a_cursor_and_a_total(world: World) -> None:  # noqa: F811
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        path = "/api/v1/vessels?limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, body = await _get(world, "admin", path)
        assert status == 200 and body["total"] == 5 and body["count"] == len(body["vessels"])
        seen += [v["id"] for v in body["vessels"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["V1", "V2", "V3", "V4", "V5"] and pages == 3
    status, body = await _get(world, "ca", "/api/v1/vessels?limit=2&cursor=V2")
    assert [v["id"] for v in body["vessels"]] == ["V3"] and body["total"] == 3
    assert body["next_cursor"] is None
    status, body = await _get(world, "admin", "/api/v1/vessels")
    assert body["count"] == body["total"] == 5 and body["next_cursor"] is None
    for bad in ("0", "5001", "x"):
        status, body = await _get(world, "admin", f"/api/v1/vessels?limit={bad}")
        assert (status, body["error"]) == (400, "bad_query"), bad


async def test_alerts_and_incident_logs_answer_in_the_readers_language(world: World) -> None:  # noqa: F811
    a = world.grid["G01"]
    status, alert = await _get(world, "ca", f"/api/v1/alerts/{a.aid}")
    assert status == 200
    assert alert["detail_phrase"] == {
        "key": "alert.distress",
        "args": {"nature": "flooding", "persons": 5, "where": [23.1, 117.55]},
    }
    # Chinese first: words and degrees and minutes, never codes or decimal degrees.
    assert alert["detail"] == "进水，船上 5 人，23°06.00′N 117°33.00′E"
    status, english = await _get(world, "ca", f"/api/v1/alerts/{a.aid}?lang=en")
    assert english["detail"] == "flooding, 5 aboard, 23°06.00′N 117°33.00′E"
    status, listed = await _get(world, "ca", "/api/v1/alerts?lang=en")
    [same] = [x for x in listed["alerts"] if x["id"] == a.aid]
    assert same["detail"] == english["detail"] and same["data"]["nature"] == "flooding"
    status, incident = await _get(world, "ca", f"/api/v1/incidents/{a.iid}?lang=en")
    assert incident["alert"]["detail"] == english["detail"]
    [alarm] = [e for e in incident["log"] if e["kind"] == "alarm"]
    assert alarm["phrase"]["key"] == "log.alarm"
    assert alarm["text"].startswith(
        "粤南澳渔00001 distress call: flooding, 5 aboard, at 23°06.00′N"
    )
    assert "T" not in alarm["text"].split("(")[1]  # a Beijing time, not an ISO string


async def test_the_live_stream_closes_with_4401_when_its_token_expires(world: World) -> None:  # noqa: F811
    token = world.tokens["ca"]["Authorization"].split()[1]
    clock = world.hub.clock
    assert isinstance(clock, FakeClock)
    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(f"{world.base}/api/v1/events?token={token}")
        hello = json.loads((await ws.receive(timeout=5)).data)
        assert hello["type"] == "hello"
        clock.advance(timedelta(hours=12, seconds=1))
        while True:
            msg = await ws.receive(timeout=30)
            if msg.type is not WSMsgType.TEXT:
                break
        assert msg.type is WSMsgType.CLOSE
        assert (msg.data, msg.extra) == (CLOSE_TOKEN_EXPIRED, "token_expired")
        # Reconnecting with the dead token is refused at the handshake.
        r = await s.get(f"{world.base}/api/v1/events?token={token}")
        assert r.status == 401


def test_a_body_that_breaks_its_documented_schema_is_never_sent() -> None:
    from seaLink.api.responses import MeOut, ResponseDrift, respond

    ok = respond(MeOut, {"username": "ca", "role": "coordinator", "grids": ["G01"]})
    assert ok.status == 200 and json.loads(ok.text or "")["grids"] == ["G01"]
    try:
        respond(MeOut, {"username": "ca", "role": "captain", "grids": "G01"})
    except ResponseDrift as exc:
        assert "MeOut" in str(exc) and "grids" in str(exc)
    else:
        raise AssertionError("a body outside the schema was answered")


async def test_refusals_aiohttp_gives_itself_are_json_too(world: World) -> None:  # noqa: F811
    async with aiohttp.ClientSession(headers=world.tokens["admin"]) as s:
        r = await s.put(f"{world.base}/api/v1/vessels")
        assert r.status == 405 and "GET" in r.headers["Allow"]
        assert (await r.json())["error"] == "method_not_allowed"
        r = await s.get(f"{world.base}/api/v1/no-such-thing")
        assert r.status == 404 and (await r.json())["error"] == "not_found"
        big = b'{"kind": "notice", "title": "t", "body": "' + b"x" * (2 * 1024 * 1024) + b'"}'
        r = await s.post(
            f"{world.base}/api/v1/broadcasts",
            data=big,
            headers={"Content-Type": "application/json"},
        )
        assert r.status == 413 and (await r.json())["error"] == "too_large"
