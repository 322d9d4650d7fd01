"""A distress never waits behind positions (issue 17.1): with the position table locked by
another transaction (a slow commit, a long vacuum), a boat's position batch hangs in its commit
and the broker holds the uplinks behind it (the hub's in-flight window is full); a distress from
another boat is still stored, acknowledged to the boat and announced meanwhile: it has its own
lane in the hub and its own MQTT session at the broker.
PostgreSQL only: SQLite has one writer for the whole file, there is no lane past a held lock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest
from sqlalchemy import text

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from tests.test_broadcasts import online, receive
from tests.test_ingest import fix, wait_for


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _waiting_on_a_lock(admin: asyncpg.Connection, dbname: str) -> bool:
    n = await admin.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
        dbname,
    )
    return bool(n)


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_a_distress_is_stored_acknowledged_and_announced_while_positions_wait_on_a_lock(
    registered: Settings,
) -> None:
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    url = _plain(registered.store.url)
    dbname = url.rsplit("/", 1)[1]
    # A small in-flight window: the broker hands the hub 5 uplinks until it acknowledges some,
    # and the hub acknowledges only what it committed. The rest waits at the broker, in order.
    settings = registered.model_copy(update={
        "admin_password": "admin-pass-123",
        "mqtt": registered.mqtt.model_copy(update={"receive_maximum": 5}),
    })  # fmt: skip
    hub = Hub(settings, clock=clock)
    base = f"http://127.0.0.1:{settings.api.port}"
    async with hub.running(), aiohttp.ClientSession() as http:
        r = await http.post(
            f"{base}/api/v1/auth/login", json={"username": "admin", "password": "admin-pass-123"}
        )
        ws = await http.ws_connect(f"{base}/api/v1/events?token={(await r.json())['token']}")
        announced: list[dict[str, Any]] = []

        async def listen() -> None:
            async for msg in ws:
                doc = msg.json()
                if doc.get("type") == "alert":
                    announced.append(doc["data"])

        listener = asyncio.create_task(listen(), name="console")
        v1, v2 = online(hub, "V1", clock), online(hub, "V2", clock)
        holder = await asyncpg.connect(url)
        admin = await asyncpg.connect(url)
        try:

            async def reachable() -> bool:
                return hub.outbox.reachable("V1", clock.now())

            async def shown() -> bool:
                return any(a.get("vessel_id") == "V1" for a in announced)

            await wait_for(reachable)
            await hub.drained()
            tx = holder.transaction()
            await tx.start()
            await holder.execute("LOCK TABLE position IN EXCLUSIVE MODE")  # reads go on
            for i in range(20):  # more than the window: the broker holds the rest
                v2.publish("position", fix(clock, i / 10))
            await wait_for(lambda: _waiting_on_a_lock(admin, dbname), timeout=20)

            v1.publish("distress", {
                "distress_id": "lane-1", "ts": clock.now().isoformat(), "lat": 23.1, "lon": 117.5,
                "nature": "fire", "persons": 5,
            })  # fmt: skip
            got = [await receive(v1, timeout=20)]
            while got[-1]["kind"] != "distress_ack":  # whatever else the boat was sent first
                got.append(await receive(v1, timeout=20))
            assert got[-1]["distress_id"] == "lane-1", got
            stored = await admin.fetch("SELECT vessel_id, type FROM alert WHERE type = 'distress'")
            assert [(r["vessel_id"], r["type"]) for r in stored] == [("V1", "distress")]
            await wait_for(shown)
            # The position batch is still held by the lock: the distress did not wait for it.
            assert await _waiting_on_a_lock(admin, dbname)
            assert await admin.fetchval("SELECT count(*) FROM position") == 0

            await tx.rollback()  # the lock goes: the positions are stored too, nothing lost
            await hub.drained()
            rows = await admin.fetch("SELECT vessel_id FROM position")
            assert [r["vessel_id"] for r in rows] == ["V2"] * 20
        finally:
            listener.cancel()
            await ws.close()
            await holder.close()
            await admin.close()
            v1.close()
            v2.close()


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_a_distress_stuck_on_the_store_stops_the_hub_hearing_boats_for_seconds_at_most(
    registered: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the distress lane works, the hub's main session reads nothing (the loop's turns go
    to the distress). Should the distress itself be stuck (SQLite's one writer held by a long
    transaction), the hub reads the boats' uplinks again after `_HOLD_MAX_S`; once the store is
    free, the distress and every position are stored."""
    from seaLink.services import ingest as ingest_module

    monkeypatch.setattr(ingest_module, "_HOLD_MAX_S", 0.5)
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    hub = Hub(registered, clock=clock)
    async with hub.running():
        v1, v2 = online(hub, "V1", clock), online(hub, "V2", clock)
        try:
            await wait_for(lambda: _true(hub.outbox.reachable("V1", clock.now())))
            await hub.drained()
            gate = hub.db.write_gate
            assert gate is not None
            async with hub.db.engine.begin() as conn:  # a long write transaction holds the lock
                await conn.execute(text("CREATE TABLE held_by_test (x INTEGER)"))
                assert gate.holder is not None
                v1.publish("distress", {
                    "distress_id": "stuck-1", "ts": clock.now().isoformat(), "lat": 23.1,
                    "lon": 117.5, "nature": "fire", "persons": 3,
                })  # fmt: skip
                await wait_for(lambda: _true(not hub.ingest.urgent_idle.is_set()))
                for i in range(5):
                    v2.publish("position", fix(clock, i / 10))
                # Read after the hold ran out, although the distress still waits for the store.
                heard = hub.metrics.uplinks.labels("position")
                await wait_for(lambda: _true(heard._value.get() >= 5), timeout=20)
                assert not hub.ingest.urgent_idle.is_set()
                await conn.rollback()
            await hub.drained()
            async with hub.db.engine.connect() as conn:
                alerts = (await conn.execute(text(
                    "SELECT vessel_id FROM alert WHERE type = 'distress'"))).scalars().all()  # fmt: skip
                positions = (await conn.execute(text(
                    "SELECT count(*) FROM position WHERE vessel_id = 'V2'"))).scalar()  # fmt: skip
            assert list(alerts) == ["V1"] and positions == 5
        finally:
            v1.close()
            v2.close()


async def _true(value: bool) -> bool:
    return value
