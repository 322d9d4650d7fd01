"""Broadcasts in the API, as the console's broadcast page uses them: a re-send reaches only the boats
that do not have the message yet, as the same message (terminals deduplicate by `msg_id`), for a
coordinator of the broadcast's grids only, audited; and the detail's per-vessel times, from which
the page draws delivery progress over time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest

from seaLink.clock import FakeClock
from seaLink.domain.roles import Role
from seaLink.runtime import Hub
from seaLink.services.auth import hash_password
from seaLink.store import broadcast_store, users
from seaLink.store.db import Database
from tests.test_broadcasts import (  # noqa: F401  (fixtures)
    NOTICE,
    ack,
    clock,
    hub_api,
    nothing_received,
    online,
    post,
    receive,
    rollup,
)
from tests.test_ingest import wait_for


async def _as(base: str, username: str, password: str) -> dict[str, str]:
    async with aiohttp.ClientSession() as s:
        r = await s.post(
            f"{base}/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert r.status == 200, await r.text()
        return {"Authorization": f"Bearer {(await r.json())['token']}"}


async def _resend(base: str, who: dict[str, str], bid: int) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession(headers=who) as s:
        r = await s.post(f"{base}/api/v1/broadcasts/{bid}/resend")
        return r.status, dict(await r.json())


async def _audit(base: str, admin: dict[str, str]) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession(headers=admin) as s:
        entries: list[dict[str, Any]] = (await (await s.get(f"{base}/api/v1/audit")).json())[
            "audit"
        ]
    return entries


async def _states(base: str, h: dict[str, str], bid: int) -> dict[str, str]:
    return {d["vessel_id"]: d["state"] for d in (await rollup(base, h, bid))["deliveries"]}


async def test_a_resend_reaches_only_the_boats_without_the_message_as_the_same_message(
    hub_api: tuple[Hub, str, dict[str, str]],  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    hub, base, admin = hub_api
    now = clock.now()
    for name, role, grids in (("coord2", Role.COORDINATOR, ["G02"]), ("watch", Role.VIEWER, [])):
        await users.create_user(hub.db, username=name, password_hash=hash_password(f"{name}-pass-1"),
                                role=role, grid_ids=grids, now=now)  # fmt: skip
    coord1 = await _as(base, "coord1", "coord-pass-1")
    coord2 = await _as(base, "coord2", "coord2-pass-1")
    viewer = await _as(base, "watch", "watch-pass-1")
    boats = {vid: online(hub, vid, clock) for vid in ("V1", "V2", "V3")}
    try:
        await wait_for(lambda: _reachable(hub, list(boats), clock))
        bid = (await post(base, coord1, NOTICE | {"target": {"grids": ["G01"]}}))["broadcast"]["id"]
        first = {vid: await receive(v) for vid, v in boats.items()}
        # V1 confirms; V2's terminal has it (delivered) but the crew has not confirmed; V3's
        # terminal never got it (or its receipt was lost): sent, not delivered.
        for state in ("delivered", "read", "acknowledged"):
            ack(boats["V1"], first["V1"]["msg_id"], state, clock)
        ack(boats["V2"], first["V2"]["msg_id"], "delivered", clock)

        async def answered() -> bool:
            return await _states(base, admin, bid) == {
                "V1": "acknowledged",
                "V2": "delivered",
                "V3": "sent",
            }

        await wait_for(answered)
        await nothing_received(boats["V3"])  # the outbox's own repeat is not due yet
        audit_before = await _audit(base, admin)

        # Nobody outside the broadcast's grids, and no viewer, may re-send it.
        status, body = await _resend(base, coord2, bid)
        assert body.pop("request_id")  # every error names its request (X-Request-Id)
        assert (status, body) == (
            404,
            {"error": "not_found", "message": f"no broadcast {bid} in your grids"},
        )
        status, body = await _resend(base, viewer, bid)
        assert (status, body["error"]) == (403, "forbidden")
        # Nor read it, while it is still going out (its roll-up is read beside it, then dropped).
        async with aiohttp.ClientSession(headers=coord2) as s:
            r = await s.get(f"{base}/api/v1/broadcasts/{bid}")
            assert (r.status, (await r.json())["error"]) == (404, "not_found")
        assert await _audit(base, admin) == audit_before
        await nothing_received(boats["V3"], 0.5)

        # The coordinator of G01 re-sends: only V3, and the same message (same msg_id).
        assert await _resend(base, coord1, bid) == (200, {"rearmed": 1})
        again = await receive(boats["V3"])
        assert again == first["V3"]
        await nothing_received(boats["V1"], 0.5)
        await nothing_received(boats["V2"], 0.1)
        entry = (await _audit(base, admin))[0]
        assert {k: entry[k] for k in ("username", "action", "target", "detail")} == {
            "username": "coord1",
            "action": "broadcast.resend",
            "target": f"broadcast/{bid}",
            "detail": "1 messages re-armed",
        }
        ack(boats["V3"], again["msg_id"], "delivered", clock)

        async def delivered() -> bool:
            return (await _states(base, admin, bid))["V3"] == "delivered"

        await wait_for(delivered)
        # Every boat has it on board now: a re-send has nothing to send (V2 and V3 must confirm on
        # their terminals; sending them the same message again would show them nothing new).
        assert await _resend(base, coord1, bid) == (200, {"rearmed": 0})
        for v in boats.values():
            await nothing_received(v, 0.3)
        r = (await rollup(base, coord1, bid))["rollup"]
        assert (r["done"], sorted(m["vessel_id"] for m in r["missing"])) == (1, ["V2", "V3"])
        assert [m["state"] for m in r["missing"]] == ["delivered", "delivered"]
    finally:
        for v in boats.values():
            v.close()


def _t(iso: str | None) -> datetime | None:
    return None if iso is None else datetime.fromisoformat(iso)


async def test_the_detail_gives_each_boats_delivery_times_for_the_progress_chart(
    hub_api: tuple[Hub, str, dict[str, str]],  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    hub, base, admin = hub_api
    boats = {vid: online(hub, vid, clock) for vid in ("V1", "V2", "V3", "V4")}
    try:
        await wait_for(lambda: _reachable(hub, list(boats), clock))
        t0 = clock.now()
        target = {"vessels": ["V1", "V2", "V3", "V4"]}
        bid = (await post(base, admin, NOTICE | {"target": target}))["broadcast"]["id"]
        msgs = {vid: await receive(v) for vid, v in boats.items()}
        clock.advance(timedelta(minutes=2))
        # Acknowledged without a word before: delivered and read by then as well.
        ack(boats["V1"], msgs["V1"]["msg_id"], "acknowledged", clock)
        clock.advance(timedelta(minutes=3))
        ack(boats["V2"], msgs["V2"]["msg_id"], "delivered", clock)
        clock.advance(timedelta(minutes=1))
        ack(boats["V2"], msgs["V2"]["msg_id"], "read", clock)
        # A terminal whose clock runs ahead: its time is taken as the hub's, never later.
        boats["V3"].publish(
            "ack",
            {
                "msg_id": msgs["V3"]["msg_id"],
                "state": "delivered",
                "ts": (clock.now() + timedelta(minutes=3)).isoformat(),
            },
        )

        async def heard() -> bool:
            d = {x["vessel_id"]: x for x in (await rollup(base, admin, bid))["deliveries"]}
            return bool(d["V1"]["acked_at"] and d["V2"]["read_at"] and d["V3"]["delivered_at"])

        await wait_for(heard)
        doc = await rollup(base, admin, bid)
        assert _t(doc["broadcast"]["created_at"]) == t0
        times = {
            d["vessel_id"]: tuple(_t(d[k]) for k in ("delivered_at", "read_at", "acked_at"))
            for d in doc["deliveries"]
        }
        m = timedelta(minutes=1)
        assert times == {
            "V1": (t0 + 2 * m, t0 + 2 * m, t0 + 2 * m),
            "V2": (t0 + 5 * m, t0 + 6 * m, None),
            "V3": (t0 + 6 * m, None, None),
            "V4": (None, None, None),
        }
        assert (doc["rollup"]["total"], doc["rollup"]["done"]) == (4, 1)
    finally:
        for v in boats.values():
            v.close()


async def _reachable(hub: Hub, vids: list[str], at: FakeClock) -> bool:
    return all(hub.outbox.reachable(v, at.now()) for v in vids)


async def test_the_post_answers_the_broadcast_as_created_and_its_audit_entry_is_written_with_it(
    hub_api: tuple[Hub, str, dict[str, str]],  # noqa: F811
    clock: FakeClock,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Boats online and reachable: the answer's roll-up is read in the creating transaction, so it
    shows every boat queued however late the answer is put together (held back here until the
    outbox has sent the broadcast: a CI run saw an outbox busy with an earlier round send 2 of 3
    between the commit and a read after it); the boats then get the message; the audit entry,
    written in the broadcast's own transaction, names it once."""
    hub, base, admin = hub_api
    boats = {vid: online(hub, vid, clock) for vid in ("V1", "V2", "V3")}
    read_broadcast = broadcast_store.get_broadcast

    async def read_once_sent(db: Database, bid: int) -> dict[str, Any] | None:
        async def sent() -> bool:
            states = [d["state"] for d in await broadcast_store.deliveries_of(db, bid)]
            return bool(states) and "queued" not in states

        hub.outbox.kick()  # as an outbox still going round after an earlier broadcast
        await wait_for(sent)
        return await read_broadcast(db, bid)

    monkeypatch.setattr(broadcast_store, "get_broadcast", read_once_sent)
    try:
        await wait_for(lambda: _reachable(hub, list(boats), clock))
        for _ in range(3):
            answer = await post(base, admin, NOTICE | {"target": {"grids": ["G01"]}})
            bid = answer["broadcast"]["id"]
            assert answer["rollup"]["total"] == 3
            assert answer["rollup"]["states"]["queued"] == 3, answer["rollup"]
            assert sorted(m["vessel_id"] for m in answer["rollup"]["missing"]) == list(boats)
            for vid, v in boats.items():
                got = await receive(v)
                assert (got["broadcast_id"], got["msg_id"]) == (bid, f"b{bid}-{vid}")
            created = [e for e in await _audit(base, admin) if e["target"] == f"broadcast/{bid}"]
            assert [(e["action"], e["username"]) for e in created] == [
                ("broadcast.create", "admin")
            ]
            assert created[0]["detail"].startswith("notice to 3 vessels")
    finally:
        for v in boats.values():
            v.close()
