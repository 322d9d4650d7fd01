"""Protocol v1.1 limits, refusals and times (issue 15.6, 15.7, 15.8): the documented number of
fixes fits the byte limit and one more is `too_many_fixes`; a refused uplink is answered on the
vessel's down topic (reason, refused id); an uplink on a topic no kind matches reaches the hub and
is recorded as `unknown_topic`; the time window keeps a stale or future-stamped fix from passing
as the vessel's live position, and never refuses a distress for its clock. Real hub, broker and
store (both databases)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import FIX_BYTES, IngestSettings, Settings
from seaLink.store import queries
from seaLink.store.tables import Alert, DeadLetter, Vessel
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel, announce_gateway

BEIJING = timezone(timedelta(hours=8))


def _z(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


async def _refused(v: TestVessel, timeout: float = 10.0) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = deadline - loop.time()
        assert left > 0, "no refusal notice in time"
        msg: dict[str, Any] = await asyncio.to_thread(v.received.get, True, left)
        if msg["kind"] == "refused":
            return msg


async def _dead_letters(hub: Hub) -> list[tuple[str, str | None]]:
    async with hub.db.engine.connect() as conn:
        rows = await conn.execute(select(DeadLetter.reason, DeadLetter.vessel_id))  # type: ignore[call-overload]
        return [(r[0], r[1]) for r in rows.all()]


def test_the_settings_refuse_a_fix_limit_the_byte_limit_cannot_hold() -> None:
    s = IngestSettings()
    assert s.max_fixes_per_message * FIX_BYTES <= s.max_payload_bytes
    with pytest.raises(ValidationError, match="cannot hold"):
        IngestSettings(max_fixes_per_message=2000)  # the old pair: 2,000 fixes, 64 KiB


async def test_limits_hold_and_every_refusal_is_told_to_the_vessel(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    limit = registered.ingest.max_fixes_per_message
    prefix = registered.mqtt.prefix
    now = fake_clock.now()
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V1", prefix=prefix)
        try:
            # The largest fixes the limit is sized for: every field, 7 decimals, an offset.
            full = [
                {"ts": (now - timedelta(seconds=limit - i)).astimezone(BEIJING).isoformat(
                    timespec="milliseconds"),
                 "lat": -23.1234567, "lon": -117.1234567, "sog": 102.2, "cog": 359.9,
                 "state": "steaming", "backfill": True}
                for i in range(limit)
            ]  # fmt: skip
            payload = json.dumps(full, separators=(",", ":")).encode()
            assert len(payload) <= registered.ingest.max_payload_bytes
            v.publish_raw(v.topics.up("V1", "position"), payload)
            await wait_for(lambda: _stored(hub, limit), timeout=20)

            one_more = [{"ts": _z(now - timedelta(hours=3, seconds=i)), "lat": 23.1, "lon": 117.4}
                        for i in range(limit + 1)]  # fmt: skip
            v.publish("position", one_more)
            notice = await _refused(v)
            assert notice["reason"] == "too_many_fixes"
            assert notice["refused_id"] == one_more[0]["ts"]
            assert notice["topic"] == v.topics.up("V1", "position")
            assert notice["ack"] == "none" and "too_many_fixes" in notice["body"]

            # 2,001 minimal fixes are larger than 64 KiB: still told as too many fixes.
            many = [{"ts": _z(now - timedelta(hours=4, seconds=i)), "lat": 23.1, "lon": 117.4}
                    for i in range(2001)]  # fmt: skip
            assert len(json.dumps(many)) > registered.ingest.max_payload_bytes
            v.publish("position", many)
            notice = await _refused(v)
            assert notice["reason"] == "too_many_fixes" and notice["detail"].startswith("2001 ")

            v.publish("request", {"request_id": "V1-r-9", "ts": _z(now), "category": "Bad!",
                                  "text": "x"})  # fmt: skip
            notice = await _refused(v)
            assert (notice["reason"], notice["refused_id"]) == ("invalid_payload", "V1-r-9")
            assert notice["detail"].startswith("category")

            # Anywhere under the vessel's up/ (where its ACL lets it publish) reaches the hub.
            v.publish_raw(f"{prefix}/vessels/V1/up/position/extra", b"{}")
            notice = await _refused(v)
            assert notice["reason"] == "unknown_topic"
            # A terminal that confirms every down message confirms a notice too: taken, ignored.
            v.publish("ack", {"msg_id": notice["msg_id"], "state": "delivered", "ts": _z(now)})
            v.publish("position", {"ts": _z(now), "lat": 23.3, "lon": 117.6})
            await wait_for(lambda: _stored(hub, limit + 1))
            await hub.drained()
        finally:
            v.close()
        assert sorted(await _dead_letters(hub)) == [
            ("invalid_payload", "V1"),
            ("too_many_fixes", "V1"),
            ("too_many_fixes", "V1"),
            ("unknown_topic", "V1"),
        ]
        sent = hub.metrics.refusal_notices.labels("sent")._value.get()
        assert sent == 4


async def test_refusal_notices_are_rate_limited(
    registered: Settings, fake_clock: FakeClock
) -> None:
    settings = registered.model_copy(
        update={"ingest": registered.ingest.model_copy(update={"refusal_notices_per_min": 2})}
    )
    hub = Hub(settings, clock=fake_clock)
    async with hub.running():
        v = TestVessel(settings.mqtt.url, "V1", prefix=settings.mqtt.prefix)
        try:
            for i in range(5):
                v.publish_raw(v.topics.up("V1", "position"), f"not json {i}")
            await wait_for(lambda: _refusals(hub, 5))
            await hub.drained()
            n = hub.metrics.refusal_notices
            assert (n.labels("sent")._value.get(), n.labels("suppressed")._value.get()) == (2, 3)
            fake_clock.advance(61)
            v.publish_raw(v.topics.up("V1", "position"), b"not json again")
            notice = await _refused(v)
            notice = await _refused(v)
            notice = await _refused(v)  # the two of the first minute, then this one
            assert notice["reason"] == "malformed_json"
        finally:
            v.close()


async def test_the_time_window_of_fixes_and_distress(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    now = fake_clock.now()
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V1", prefix=registered.mqtt.prefix)
        try:
            # A flat battery's clock: 2001 is older than the hub keeps history for.
            v.publish("position", {"ts": "2001-01-01T00:00:00Z", "lat": 23.3, "lon": 117.6})
            assert (await _refused(v))["reason"] == "ts_too_old"
            # Two hours old and not marked backfill: stored, but as history, never as live.
            v.publish("position", {"ts": _z(now - timedelta(hours=2)), "lat": 23.31, "lon": 117.61})
            await wait_for(lambda: _stored(hub, 1))
            await hub.drained()
            vessel = await queries.get_vessel(hub.db, "V1")
            assert vessel is not None and vessel["contact"]["last_heard"] is None
            assert [f["backfill"] for f in await queries.track(hub.db, "V1")] == [True]
            # Four minutes ahead (within the tolerance): stored, and counts as received now;
            # a fix a minute later by the hub's clock then is the last position.
            v.publish("position", {"ts": _z(now + timedelta(minutes=4)), "lat": 23.32,
                                   "lon": 117.62})  # fmt: skip
            await wait_for(lambda: _stored(hub, 2))
            await hub.drained()
            fake_clock.advance(60)
            v.publish("position", {"ts": _z(fake_clock.now()), "lat": 23.33, "lon": 117.63})
            await wait_for(lambda: _stored(hub, 3))
            await hub.drained()
            vessel = await queries.get_vessel(hub.db, "V1")
            assert vessel is not None and vessel["last_position"]["lat"] == 23.33
            # Six minutes ahead: refused.
            v.publish("position", {"ts": _z(fake_clock.now() + timedelta(minutes=6)), "lat": 23.3,
                                   "lon": 117.6})  # fmt: skip
            assert (await _refused(v))["reason"] == "ts_in_future"
            # A distress stamped 1970 is raised all the same, at the time the hub received it.
            received = fake_clock.now()
            v.publish("distress", {"distress_id": "V1-d1", "ts": "1970-01-01T00:00:00Z",
                                   "lat": 23.3, "lon": 117.6, "nature": "fire"})  # fmt: skip
            await wait_for(lambda: _distress(hub))
            await hub.drained()
            async with hub.db.engine.connect() as conn:
                event_ts = (
                    await conn.execute(select(Alert.event_ts).where(Alert.type == "distress"))  # type: ignore[arg-type]
                ).scalar()
            assert event_ts is not None and event_ts.replace(tzinfo=UTC) == received
        finally:
            v.close()
        assert sorted(r for r, _ in await _dead_letters(hub)) == ["ts_in_future", "ts_too_old"]


async def _stored(hub: Hub, n: int) -> bool:
    return await queries.count_positions(hub.db, "V1") >= n


async def _refusals(hub: Hub, n: int) -> bool:
    return len(await _dead_letters(hub)) >= n


async def _distress(hub: Hub) -> bool:
    async with hub.db.engine.connect() as conn:
        n = (await conn.execute(select(Alert.id).where(Alert.type == "distress"))).all()  # type: ignore[call-overload,arg-type]
    return bool(n)


async def test_a_boats_message_by_beidou_keeps_the_same_time_window(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    prefix = registered.mqtt.prefix
    async with hub.running():
        async with hub.db.engine.begin() as conn:
            await conn.execute(update(Vessel).where(Vessel.id == "V2").values(beidou_card="166166"))  # type: ignore[arg-type]
        await hub.registry.load()
        pub = TestVessel(registered.mqtt.url, "gw-bd", prefix=prefix)
        try:
            announce_gateway(pub, prefix, "bd-1", "beidou")
            now = fake_clock.now()
            base = {"card": "166166", "ts": _z(now), "family": "4.0"}
            old_fix = {"ts": "2001-01-01T00:00:00Z", "lat": 23.3, "lon": 117.6}
            rx = [
                base | {"rx_id": "r1", "kind": "position", "fixes": [old_fix]},
                base | {"rx_id": "r2", "kind": "distress", "distress": {
                    "distress_id": "V2-d1", "ts": "1970-01-01T00:00:00Z", "lat": 23.3,
                    "lon": 117.6, "nature": "fire"}},
            ]  # fmt: skip
            for message in rx:
                pub.publish_raw(f"{prefix}/gateways/bd-1/beidou/rx", json.dumps(message))
            await wait_for(lambda: _distress(hub))
            await wait_for(lambda: _refusals(hub, 1))
            await hub.drained()
        finally:
            pub.close()
        assert await _dead_letters(hub) == [("ts_too_old", "V2")]
        async with hub.db.engine.connect() as conn:
            event_ts = (
                await conn.execute(select(Alert.event_ts).where(Alert.type == "distress"))  # type: ignore[arg-type]
            ).scalar()
        assert event_ts is not None and event_ts.replace(tzinfo=UTC) == now
