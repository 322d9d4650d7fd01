"""No single uplink can stall ingest (issue 12.1): text with NUL or other control characters is
refused (or, in a distress, cleaned) at the wire; a message the database itself refuses is found
by halving the batch, dead-lettered as `store_refused`, and the rest is stored; a step of ours
that raises costs only its message (`internal_error`). On SQLite and PostgreSQL, real broker."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, text

from seaLink.runtime import Hub
from seaLink.services import uplink_steps
from seaLink.settings import Settings
from seaLink.store import queries
from seaLink.store.db import Database
from seaLink.store.tables import Alert, DeadLetter, FisherRequest, Uplink
from seaLink.wire.topics import UplinkKind
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel

POISON_LAT = 13.1313  # a latitude the test's database is told to refuse


def _ts(minutes_ago: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def _fix(minutes_ago: float, lat: float = 23.30) -> dict[str, Any]:
    return {"ts": _ts(minutes_ago), "lat": lat, "lon": 117.60, "sog": 5.0, "cog": 90.0}


async def _dead_letters(db: Database) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(DeadLetter.__table__))).mappings().all()  # type: ignore[attr-defined]
    return [dict(r) for r in rows]


async def _count(db: Database, table: Any) -> int:
    async with db.engine.connect() as conn:
        return len((await conn.execute(select(table.__table__))).all())


async def test_nul_and_control_characters_never_stall_ingest(registered: Settings) -> None:
    """The defect: on PostgreSQL one request with U+0000 failed every commit, forever, and the
    other boats' positions and distress calls waited behind it."""
    settings = registered.model_copy(update={"admin_password": "admin-pass-123"})
    hub = Hub(settings)
    prefix = settings.mqtt.prefix
    async with hub.running():
        boats = {vid: TestVessel(settings.mqtt.url, vid, prefix=prefix) for vid in ("V1", "V2", "V3", "V4", "V5")}  # fmt: skip
        try:
            bad_request = {"request_id": "r-nul", "ts": _ts(), "category": "other", "text": "a\u0000b"}  # fmt: skip
            boats["V1"].publish("request", bad_request)
            boats["V1"].publish("hello", {"ts": _ts(), "terminal": "vendor\u0000x"})
            boats["V2"].publish("request", {"request_id": "r-bel", "ts": _ts(), "category": "other", "text": "bell\u0007"})  # fmt: skip
            # Raw bytes a JSON parser refuses, holding a NUL byte: kept as base64.
            boats["V2"].publish_raw(f"{prefix}/vessels/V2/up/request", b'{"text":"\x00"}')
            boats["V4"].publish_raw(f"{prefix}/vessels/V4/up/nmea", b"$GPRMC,\x00*00")
            boats["V3"].publish("distress", {"distress_id": "V3-d1", "ts": _ts(), "lat": 23.2,
                                             "lon": 117.5, "nature": "fire", "persons": 3,
                                             "text": "engine\u0000room"})  # fmt: skip
            for i in range(20):
                boats["V5"].publish("position", _fix(20 - i))
            boats["V1"].publish("request", {"request_id": "r-ok", "ts": _ts(), "category": "other", "text": "网破了 عربى"})  # fmt: skip

            async def all_in() -> bool:
                return (
                    await queries.count_positions(hub.db, "V5") == 20
                    and await _count(hub.db, Alert) == 1
                    and len(await _dead_letters(hub.db)) == 5
                    and await _count(hub.db, FisherRequest) == 1
                )

            await wait_for(all_in, timeout=30)
            await hub.drained()
        finally:
            for b in boats.values():
                b.close()
        letters = {(d["vessel_id"], d["reason"]): d for d in await _dead_letters(hub.db)}
        assert set(letters) == {
            ("V1", "bad_text"),  # the request and the hello
            ("V2", "bad_text"),
            ("V2", "malformed_json"),
            ("V4", "bad_nmea"),
        }
        assert sorted(d["reason"] for d in await _dead_letters(hub.db)) == [
            "bad_nmea", "bad_text", "bad_text", "bad_text", "malformed_json",
        ]  # fmt: skip
        nul_json = letters[("V2", "malformed_json")]
        assert nul_json["payload"].startswith("base64:")
        assert base64.b64decode(nul_json["payload"][7:]) == b'{"text":"\x00"}'
        assert "U+0000" in " ".join(d["detail"] for d in await _dead_letters(hub.db))
        # The distress was raised, its words cleaned, not refused.
        async with hub.db.engine.connect() as conn:
            alert = (await conn.execute(select(Alert.__table__))).mappings().one()  # type: ignore[attr-defined]
        assert alert["vessel_id"] == "V3" and alert["type"] == "distress"
        assert json.loads(alert["data"])["text"] == "engine\ufffdroom"
        # The good request is stored; the hello's bad terminal name changed nothing.
        async with hub.db.engine.connect() as conn:
            [req] = (await conn.execute(select(FisherRequest.__table__))).mappings().all()  # type: ignore[attr-defined]
            hellos = (
                await conn.execute(select(Uplink.__table__).where(Uplink.kind == "hello"))
            ).all()  # type: ignore[attr-defined, arg-type]
        assert req["request_id"] == "r-ok" and req["text"] == "网破了 عربى"
        assert hellos == []
        assert hub.ingest.health()["writer"] == "ok"
        async with aiohttp.ClientSession() as s:
            r = await s.get(f"http://127.0.0.1:{settings.api.port}/healthz")
            health = await r.json()
        assert r.status == 200 and health["parts"] == {
            "mqtt": "ok",
            "distress_session": "ok",
            "ingest": "ok",
        }


async def _refuse_poison_fixes(url: str) -> None:
    """Teach the database itself to refuse one latitude: a real refusal by the store, of the
    kind a NUL caused on PostgreSQL, for a message that passes every check of the hub."""
    db = Database(url)
    async with db.engine.begin() as conn:
        if db.dialect == "sqlite":
            await conn.execute(text(
                "CREATE TRIGGER poison BEFORE INSERT ON position "
                f"WHEN NEW.lat = {POISON_LAT} BEGIN SELECT RAISE(ABORT, 'poison fix'); END"
            ))  # fmt: skip
        else:
            await conn.execute(text(
                f"ALTER TABLE position ADD CONSTRAINT poison CHECK (lat <> {POISON_LAT})"
            ))  # fmt: skip
    await db.dispose()


async def test_a_message_the_database_refuses_is_found_dead_lettered_and_the_rest_stored(
    registered: Settings,
) -> None:
    await _refuse_poison_fixes(registered.store.url)
    hub = Hub(registered, with_api=False)
    prefix = registered.mqtt.prefix
    async with hub.running():
        boats = [TestVessel(registered.mqtt.url, f"V{i}", prefix=prefix) for i in range(1, 6)]
        try:
            stored_before = hub.ingest.committed
            for b in boats:
                for i in range(10):
                    b.publish("position", _fix(30 - i))
            boats[2].publish("position", _fix(5, lat=POISON_LAT))
            boats[4].publish("distress", {"distress_id": "V5-d1", "ts": _ts(), "lat": 23.2,
                                          "lon": 117.5, "nature": "flooding", "persons": 2})  # fmt: skip
            for b in boats:
                b.publish("position", _fix(1))

            async def stored() -> bool:
                return hub.ingest.committed - stored_before >= 57

            await wait_for(stored, timeout=30)
            await hub.drained()
        finally:
            for b in boats:
                b.close()
        for i in range(1, 6):
            assert await queries.count_positions(hub.db, f"V{i}") == 11
        letters = await _dead_letters(hub.db)
        assert [(d["vessel_id"], d["reason"]) for d in letters] == [("V3", "store_refused")]
        assert str(POISON_LAT) in letters[0]["payload"]
        assert await _count(hub.db, Alert) == 1  # the distress behind it was raised
        assert hub.ingest.health()["writer"] == "ok"


async def test_a_step_that_raises_costs_only_its_message(
    registered: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in one handler (here: the request step, made to fail on one request id) is caught
    per message: dead-lettered as `internal_error`, acknowledged, and ingest goes on."""
    real = uplink_steps.HANDLERS[UplinkKind.REQUEST]

    def buggy(item: Any, ctx: Any, plan: Any) -> None:
        if item.payload.request_id == "r-bug":
            raise KeyError("a bug")
        real(item, ctx, plan)

    monkeypatch.setitem(uplink_steps.HANDLERS, UplinkKind.REQUEST, buggy)
    hub = Hub(registered, with_api=False)
    prefix = registered.mqtt.prefix
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V1", prefix=prefix)
        try:
            v.publish("request", {"request_id": "r-bug", "ts": _ts(), "category": "other", "text": "一"})  # fmt: skip
            v.publish("request", {"request_id": "r-next", "ts": _ts(), "category": "other", "text": "二"})  # fmt: skip
            v.publish("position", _fix(1))

            async def after() -> bool:
                return await _count(hub.db, FisherRequest) == 1 and bool(
                    await queries.count_positions(hub.db, "V1")
                )

            await wait_for(after, timeout=20)
            await hub.drained()
        finally:
            v.close()
        [letter] = await _dead_letters(hub.db)
        assert letter["reason"] == "internal_error" and "KeyError" in letter["detail"]
        assert "r-bug" in letter["payload"]
        task = next(t for t in asyncio.all_tasks() if t.get_name() == "ingest")
        assert not task.done()
