"""Ingestion over a real Mosquitto into SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store import queries
from seaLink.store.tables import DeadLetter, FisherRequest, Uplink
from tests.heard import until_heard, uplinks_heard
from tests.vessel_client import TestVessel


def fix(clock: FakeClock, minutes_ago: float = 0, **extra: object) -> dict[str, object]:
    ts = clock.now() - timedelta(minutes=minutes_ago)
    return {
        "ts": ts.isoformat().replace("+00:00", "Z"),
        "lat": 23.30,
        "lon": 117.60,  # east of the Nanpeng reserve: no zone alert unless a test wants one
        "sog": 6.5,
        "cog": 120.0,
    } | extra


async def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_positions_are_stored_and_drawn_as_a_track(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V1", prefix=registered.mqtt.prefix)
        try:
            v.publish("position", fix(fake_clock, 20, lat=23.31))
            v.publish("position", [fix(fake_clock, 10, lat=23.32), fix(fake_clock, 0, lat=23.33)])
            await wait_for(lambda: _count(hub, "V1", 3))
            await hub.drained()
        finally:
            v.close()
        vessel = await queries.get_vessel(hub.db, "V1")
        assert vessel is not None
        assert vessel["last_position"]["lat"] == 23.33
        assert vessel["contact"]["state"] == "ok"
        track = queries.track_geojson("V1", await queries.track(hub.db, "V1"))
        line = track["features"][0]
        assert [c[1] for c in line["geometry"]["coordinates"]] == [23.31, 23.32, 23.33]


async def test_a_redelivered_fix_is_stored_once(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V2", prefix=registered.mqtt.prefix)
        try:
            same = fix(fake_clock, 5)
            for _ in range(3):
                v.publish("position", same)
            v.publish("position", fix(fake_clock, 1))
            await wait_for(lambda: _count(hub, "V2", 2))
            await hub.drained()
        finally:
            v.close()
        assert await queries.count_positions(hub.db, "V2") == 2


async def test_backfill_is_stored_but_is_no_sign_of_life(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V3", prefix=registered.mqtt.prefix)
        try:
            v.publish(
                "position",
                [fix(fake_clock, 300, backfill=True), fix(fake_clock, 290, backfill=True)],
            )
            await wait_for(lambda: _count(hub, "V3", 2))
            await hub.drained()
        finally:
            v.close()
        vessel = await queries.get_vessel(hub.db, "V3")
        assert vessel is not None
        assert vessel["contact"]["last_heard"] is None
        assert vessel["contact"]["state"] == "unknown"
        fixes = await queries.track(hub.db, "V3")
        assert [f["backfill"] for f in fixes] == [True, True]


async def test_bad_uplinks_are_rejected_with_reasons_counted_and_kept(
    registered: Settings, fake_clock: FakeClock
) -> None:
    settings = registered.model_copy(
        update={"ingest": registered.ingest.model_copy(update={"max_payload_bytes": 2048})}
    )
    hub = Hub(settings, clock=fake_clock)
    prefix = settings.mqtt.prefix
    async with hub.running():
        v = TestVessel(settings.mqtt.url, "V1", prefix=prefix)
        try:
            v.publish_raw(
                f"{prefix}/vessels/GHOST/up/position",
                b'{"ts":"2026-09-01T00:00:00Z","lat":1,"lon":2}',
            )
            v.publish_raw(
                f"{prefix}/vessels/V1/up/position", b'{"ts": "2026-09-01T00:00:00Z", "lat":'
            )
            v.publish_raw(
                f"{prefix}/vessels/V1/up/position",
                b'{"ts":"2026-09-01T00:00:00Z","lat":"23.4","lon":117}',
            )
            v.publish_raw(f"{prefix}/vessels/V1/up/position", b"x" * 5000)
            v.publish_raw(
                f"{prefix}/vessels/V1/up/position",
                b'{"ts":"2026-09-02T00:00:00Z","lat":23,"lon":117}',
            )
            v.publish_raw(f"{prefix}/vessels/V1/up/teleport", b"{}")
            v.publish_raw(f"{prefix}/vessels/bad%id/up/position", b"{}")
            v.publish_raw(f"{prefix}/vessels/V1/status", b"sleeping")
            v.publish("position", fix(fake_clock))  # a good one after all that
            await wait_for(lambda: _count(hub, "V1", 1))
            await hub.drained()
        finally:
            v.close()
        async with hub.db.engine.connect() as conn:
            rows = (await conn.execute(select(DeadLetter.reason, DeadLetter.detail))).all()  # type: ignore[call-overload]
        reasons = sorted(r for r, _ in rows)
        assert reasons == sorted(
            [
                "unknown_vessel",
                "malformed_json",
                "invalid_payload",
                "oversized",
                "ts_in_future",
                "unknown_topic",
                "bad_vessel_id",
                "bad_status",
            ]
        )
        details = dict(rows)
        assert "lat: Input should be a valid number" in details["invalid_payload"]
        assert "5000 bytes" in details["oversized"]
        assert "GHOST" in details["unknown_vessel"]
        counted = {
            s.labels["reason"]: s.value
            for m in hub.metrics.rejected.collect()
            for s in m.samples
            if s.name.endswith("_total")
        }
        assert counted["oversized"] == 1 and counted["unknown_vessel"] == 1
        assert await queries.count_positions(hub.db, "V1") == 1


async def test_a_vessel_can_only_speak_as_itself_where_the_broker_names_the_sender(
    registered: Settings, fake_clock: FakeClock
) -> None:
    settings = registered.model_copy(
        update={"mqtt": registered.mqtt.model_copy(update={"sender_property": "sender"})}
    )
    hub = Hub(settings, clock=fake_clock)
    async with hub.running():
        v = TestVessel(settings.mqtt.url, "V4", prefix=settings.mqtt.prefix)
        try:
            v.publish_raw(v.topics.up("V5", "position"), _json(fix(fake_clock, 2)), sender="V4")
            v.publish_raw(v.topics.up("V4", "position"), _json(fix(fake_clock, 1)), sender="V4")
            await wait_for(lambda: _count(hub, "V4", 1))
            await hub.drained()
        finally:
            v.close()
        assert await queries.count_positions(hub.db, "V5") == 0
        assert (await queries.dead_letter_counts(hub.db)) == {"vessel_mismatch": 1}


async def test_distress_and_requests_are_journalled_once_and_stray_acks_refused(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    now = fake_clock.now().isoformat()
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V1", prefix=registered.mqtt.prefix)
        try:
            heard = uplinks_heard(hub)
            distress = {
                "distress_id": "d-1",
                "ts": now,
                "lat": 23.1,
                "lon": 117.5,
                "nature": "flooding",
                "persons": 6,
            }
            for _ in range(3):  # the terminal repeats until acknowledged
                v.publish("distress", distress)
            v.publish("ack", {"msg_id": "m-1", "state": "read", "ts": now})
            v.publish(
                "request",
                {"request_id": "r-1", "ts": now, "category": "equipment", "text": "雷达故障"},
            )
            await until_heard(hub, heard, distress=3, ack=1, request=1)
        finally:
            v.close()
        async with hub.db.engine.connect() as conn:
            kinds = (
                await conn.execute(select(Uplink.kind, func.count()).group_by(Uplink.kind))
            ).all()  # type: ignore[call-overload]
        assert dict(kinds) == {"distress": 1}
        async with hub.db.engine.connect() as conn:
            n = (await conn.execute(select(func.count()).select_from(FisherRequest))).scalar_one()
        assert n == 1
        assert await queries.dead_letter_counts(hub.db) == {"unknown_message": 1}


def _json(obj: object) -> bytes:
    import json

    return json.dumps(obj).encode()


async def _count(hub: Hub, vid: str, n: int) -> bool:
    return await queries.count_positions(hub.db, vid) >= n


async def test_status_follows_the_retained_online_and_the_will(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V5", prefix=registered.mqtt.prefix)
        v.client.publish(v.topics.status("V5"), b"online", qos=1, retain=True).wait_for_publish(10)
        await wait_for(lambda: _status(hub, "V5", "online"))
        # Lose the link without a DISCONNECT: the broker publishes the will.
        v.client.loop_stop()
        sock = v.client.socket()
        assert sock is not None
        sock.close()
        await wait_for(lambda: _status(hub, "V5", "offline"), timeout=15)
        vessel = await queries.get_vessel(hub.db, "V5")
        assert vessel is not None and vessel["contact"]["last_heard"] is not None


async def _status(hub: Hub, vid: str, status: str) -> bool:
    v = await queries.get_vessel(hub.db, vid)
    return v is not None and v["contact"]["link_status"] == status


async def test_raw_nmea_from_a_plain_terminal_becomes_fixes(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    day = fake_clock.now().strftime("%d%m%y")

    def sentence(body: str) -> str:
        c = 0
        for ch in body:
            c ^= ord(ch)
        return f"${body}*{c:02X}"

    lines = "\n".join([
        sentence(f"GNRMC,000000.00,A,2317.2260,N,11712.8760,E,3.2,218.0,{day},,,A"),
        sentence("BDGGA,000010.00,2317.3000,N,11712.9000,E,1,12,0.8,5.0,M,0.0,M,,"),
        "$GPRMC,garbage*00",
    ])  # fmt: skip
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V2", prefix=registered.mqtt.prefix)
        try:
            v.publish_raw(v.topics.up("V2", "nmea"), lines)
            await wait_for(lambda: _count(hub, "V2", 2))
            await hub.drained()
        finally:
            v.close()
        fixes = await queries.track(hub.db, "V2")
        assert [round(f["lat"], 4) for f in fixes] == [23.2871, 23.2883]
        assert fixes[0]["sog"] == 3.2 and fixes[0]["link"] == "mqtt"
        assert await queries.dead_letter_counts(hub.db) == {"bad_nmea": 1}
        vessel = await queries.get_vessel(hub.db, "V2")
        assert vessel is not None and vessel["contact"]["state"] == "ok"
