"""Several hubs on one broker and PostgreSQL: leases, shared ingest, and taking over from a dead hub."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from seaLink.settings import Settings
from seaLink.store import leases
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.tables import Alert, Position
from seaLink.testing.mosquitto import free_port
from tests.brokers import ShippedMosquitto
from tests.conftest import small_fleet
from tests.hub_process import HubProcess
from tests.vessel_client import TestVessel

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


async def test_a_lease_has_one_holder_until_it_expires_or_is_released(clean_store: str) -> None:
    db = Database(clean_store)
    try:
        assert await leases.acquire(db, "scheduler", "a", T0, 10)
        assert not await leases.acquire(db, "scheduler", "b", T0 + timedelta(seconds=5), 10)
        assert await leases.acquire(db, "scheduler", "a", T0 + timedelta(seconds=8), 10)  # renew
        # Renewed at +8 s for 10 s: still a's at +17 s, free at +19 s.
        assert not await leases.acquire(db, "scheduler", "b", T0 + timedelta(seconds=17), 10)
        assert await leases.holder_of(db, "scheduler", T0 + timedelta(seconds=17)) == "a"
        assert await leases.acquire(db, "scheduler", "b", T0 + timedelta(seconds=19), 10)
        assert not await leases.acquire(db, "scheduler", "a", T0 + timedelta(seconds=20), 10)
        await leases.release(db, "scheduler", "b", T0 + timedelta(seconds=21))
        assert await leases.acquire(db, "scheduler", "a", T0 + timedelta(seconds=21), 10)
        # Leases are independent of each other.
        assert await leases.acquire(db, "adopt:x", "b", T0 + timedelta(seconds=21), 10)
    finally:
        await db.dispose()


CLUSTER_ENV = {
    "SEALINK_CLUSTER__ENABLED": "true",
    "SEALINK_CLUSTER__LEASE_S": "4",
    "SEALINK_CLUSTER__HEARTBEAT_S": "0.5",
    "SEALINK_CLUSTER__DEAD_AFTER_S": "2",
    "SEALINK_CLUSTER__REFRESH_S": "2",
    "SEALINK_CONTACT__STARTUP_GRACE_S": "0",
    # A 2-second report interval: the silent boat is lost after 4 missed reports (8 s).
    "SEALINK_CONTACT__INTERVAL_AT_SEA_S": "2",
}


class Publisher:
    """Boats V1..V4 report every 0.1 s; each fix counts once the broker has acknowledged it.
    `urls`: each boat's broker URL with its own account (default: the hub's URL)."""

    def __init__(self, settings: Settings, urls: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.urls = urls or {}
        self.acked: list[tuple[str, datetime, float]] = []  # vessel, fix time, when acked
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="publisher")

    def __enter__(self) -> Publisher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(20)

    def _run(self) -> None:
        s = self.settings
        boats = [
            TestVessel(self.urls.get(f"V{i}", s.mqtt.url), f"V{i}", prefix=s.mqtt.prefix)
            for i in range(1, 5)
        ]
        try:
            i = 0
            while not self._stop.is_set():
                ts = datetime.now(UTC).replace(microsecond=(i % 1000) * 1000)
                for b in boats:
                    payload = f'{{"ts":"{ts.isoformat()}","lat":23.2,"lon":117.4,"sog":5,"cog":90}}'
                    b.publish_raw(b.topics.up(b.vessel_id, "position"), payload)
                    self.acked.append((b.vessel_id, ts, time.monotonic()))
                i += 1
                time.sleep(0.1)
        finally:
            for b in boats:
                b.close()


async def _stored(db: Database) -> int:
    async with db.engine.connect() as conn:
        q = select(func.count()).select_from(Position).where(Position.vessel_id != "V5")  # type: ignore[arg-type]
        return int((await conn.execute(q)).scalar_one())


async def _lost_contact_alerts(db: Database, vid: str) -> int:
    async with db.engine.connect() as conn:
        q = (
            select(func.count())
            .select_from(Alert)
            .where(Alert.vessel_id == vid, Alert.type == "lost_contact")
        )  # type: ignore[arg-type]
        return int((await conn.execute(q)).scalar_one())


@pytest.fixture
def hubs(registered: Settings, tmp_path: Path) -> Iterator[tuple[HubProcess, HubProcess]]:
    def hub(name: str) -> HubProcess:
        workdir = tmp_path / name
        workdir.mkdir()
        s = registered.model_copy(
            update={"api": registered.api.model_copy(update={"port": free_port()})}
        )
        return HubProcess(s, workdir, CLUSTER_ENV | {"SEALINK_CLUSTER__HUB_ID": name})

    a, b = hub("hub-a"), hub("hub-b")
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_when_a_hub_dies_another_carries_ingest_and_the_schedule(
    hubs: tuple[HubProcess, HubProcess], registered: Settings
) -> None:
    a, b = hubs
    db = Database(registered.store.url)
    try:
        a.start()

        async def holder() -> str | None:
            return await leases.holder_of(db, "scheduler", datetime.now(UTC))

        await _until(lambda: holder(), "hub-a", 10)
        b.start()
        silent = TestVessel(registered.mqtt.url, "V5", prefix=registered.mqtt.prefix)
        silent.publish(
            "position",
            {"ts": datetime.now(UTC).isoformat(), "lat": 23.2, "lon": 117.4, "sog": 5, "cog": 90},
        )
        silent.close()
        with Publisher(registered) as pub:
            await asyncio.sleep(2.0)  # both hubs take their share
            a.kill9()
            killed = time.monotonic()
            await asyncio.sleep(6.0)
        # Every fix the broker acknowledged is stored once: the live hub ingested its own share and
        # adopted the dead hub's session to ingest what the broker had queued for it.
        sent = len(pub.acked)
        assert sent > 200
        assert len({(v, ts) for v, ts, _ in pub.acked}) == sent
        await _until(lambda: _stored(db), sent, 30)
        # How long ingest waited: the oldest fix acknowledged after the kill, to when all of those
        # were stored (polled from the kill on).
        carried = await _carry_time(db, pub, killed)
        print(f"\ningest carried by the surviving hub {carried:.1f} s after kill -9")
        assert carried < 5.0

        # The schedule moved to hub-b within its lease, and the silent boat's lost-contact
        # alert was raised there, once.
        assert await holder() == "hub-b"
        await _until(lambda: _lost_contact_alerts(db, "V5"), 1, 20)
        await asyncio.sleep(2.0)
        assert await _lost_contact_alerts(db, "V5") == 1

        # hub-a comes back under its own id: it takes its session back and follows.
        a.start()
        with Publisher(registered) as pub2:
            await asyncio.sleep(2.0)
        await _until(lambda: _stored(db), sent + len(pub2.acked), 30)
        assert await holder() == "hub-b"
    finally:
        await db.dispose()


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_on_the_shipped_broker_the_hubs_account_carries_a_cluster_and_its_adoption(
    clean_store: str, tmp_path: Path
) -> None:
    """The hubs with the hub's account and the boats with their own, on the shipped Mosquitto
    configuration (client ids bound, per-account topics): each hub connects as
    `sealink-hub-<hub_id>`, and when one is killed the other adopts its session, so every fix
    the broker acknowledged is stored once."""
    broker = ShippedMosquitto(tmp_path / "broker", log_all=True)
    broker.start()
    try:
        hub_password = broker.credentials("hub")
        urls = {
            f"V{i}": f"mqtt://V{i}:{broker.credentials('vessel', f'V{i}')}@127.0.0.1:{broker.port}"
            for i in range(1, 5)
        }
        base = Settings(
            mqtt={"url": f"mqtt://sealink-hub:{hub_password}@127.0.0.1:{broker.port}"},
            store={"url": clean_store},
            contact={"startup_grace_s": 0},
        )  # type: ignore[arg-type]
        db = Database(clean_store)
        await import_fleet(db, small_fleet())

        def hub(name: str) -> HubProcess:
            (tmp_path / name).mkdir()
            s = base.model_copy(update={"api": base.api.model_copy(update={"port": free_port()})})
            return HubProcess(s, tmp_path / name, CLUSTER_ENV | {"SEALINK_CLUSTER__HUB_ID": name})

        a, b = hub("hub-1"), hub("hub-2")
        try:
            a.start()
            await _until(lambda: leases.holder_of(db, "scheduler", datetime.now(UTC)), "hub-1", 10)
            b.start()
            with Publisher(base, urls) as pub:
                await asyncio.sleep(2.0)
                a.kill9()
                await asyncio.sleep(5.0)
            sent = len(pub.acked)
            assert sent > 100
            await _until(lambda: _stored(db), sent, 30)
            log = (broker.workdir / "mosquitto.log").read_text(encoding="utf-8", errors="replace")
            assert "not authorised" not in log.lower()
            # hub-1's session: by hub-1, then adopted by hub-2, both with the hub's account
            logins = re.findall(
                r"New client connected from \S+ as sealink-hub-hub-1 \(.*u'(\S+)'\)", log
            )
            assert len(logins) >= 2 and set(logins) == {"sealink-hub"}, logins
        finally:
            a.stop()
            b.stop()
            await db.dispose()
    finally:
        broker.stop()


async def _carry_time(db: Database, pub: Publisher, killed: float) -> float:
    """Seconds from the kill until every fix acknowledged in the first second after it was stored."""
    after = [(v, ts) for v, ts, at in pub.acked if killed <= at <= killed + 1.0]
    assert after, "nothing was published just after the kill"
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(Position.vessel_id, Position.ts, Position.received_at).where(  # type: ignore[call-overload]
                    Position.vessel_id != "V5"
                )
            )
        ).all()
    stored = {(r[0], r[1]): r[2] for r in rows}
    missing = [k for k in after if k not in stored]
    assert not missing, missing[:5]
    # received_at is the hub's wall clock at ingest: relate it to the kill through the wall clock.
    latest = max(stored[k] for k in after)
    wall_at_kill = datetime.now(UTC) - timedelta(seconds=time.monotonic() - killed)
    return (latest - wall_at_kill).total_seconds()


async def _until(read: object, want: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    got: object = None
    while time.monotonic() < deadline:
        got = await read()  # type: ignore[operator]
        if got == want:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {want!r}, last saw {got!r}")


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_distress_on_either_hub_is_raised_once_acknowledged_and_seen_on_both_consoles(
    hubs: tuple[HubProcess, HubProcess], registered: Settings
) -> None:
    import json

    import aiohttp

    from seaLink.store.tables import Notification

    a, b = hubs
    for h in hubs:
        h.extra_env["SEALINK_ADMIN_PASSWORD"] = "cluster-admin-1"
    db = Database(registered.store.url)
    boats = []
    try:
        a.start()
        await _until(lambda: leases.holder_of(db, "scheduler", datetime.now(UTC)), "hub-a", 10)
        b.start()
        async with aiohttp.ClientSession() as s:
            sockets = []
            for h in hubs:
                base = f"http://127.0.0.1:{h.settings.api.port}"
                r = await s.post(
                    f"{base}/api/v1/auth/login",
                    json={"username": "admin", "password": "cluster-admin-1"},
                )
                token = (await r.json())["token"]
                sockets.append(await s.ws_connect(f"{base}/api/v1/events?token={token}"))
            boats = [
                TestVessel(registered.mqtt.url, f"V{i}", prefix=registered.mqtt.prefix)
                for i in range(1, 5)
            ]
            now = datetime.now(UTC).isoformat()
            for i, boat in enumerate(boats):
                boat.publish(
                    "distress",
                    {"distress_id": f"d{i}", "ts": now, "lat": 23.1, "lon": 117.3, "persons": 5},
                )
            # Each boat hears the hub's distress acknowledgement (sent by the schedule holder).
            for boat in boats:
                msg = await asyncio.to_thread(boat.received.get, True, 15)
                assert msg["kind"] == "distress_ack"
            # Each console, whichever hub it is on, sees each distress raised once.
            for ws in sockets:
                raised: list[str] = []
                deadline = time.monotonic() + 10
                while len(raised) < 4 and time.monotonic() < deadline:
                    frame = json.loads((await ws.receive(timeout=10)).data)
                    if frame["type"] == "alert" and frame["data"].get("action") == "raised":
                        raised.append(frame["data"]["vessel_id"])
                assert sorted(raised) == ["V1", "V2", "V3", "V4"]
                await ws.close()
            # Both paths ran: some distresses landed on the follower, which forwarded the news.
            per_hub = [await _metric(s, h, 'sealink_uplinks_total{kind="distress"}') for h in hubs]
            assert all(n >= 1 for n in per_hub), per_hub
            assert await _metric(s, b, 'sealink_cluster_news_total{direction="sent"}') >= 1
            assert await _metric(s, a, 'sealink_cluster_news_total{direction="applied"}') >= 1
        async with db.engine.connect() as conn:
            alerts = (
                await conn.execute(
                    select(Alert.id, Alert.vessel_id).where(Alert.type == "distress")
                )  # type: ignore[call-overload, arg-type]
            ).all()
            assert sorted(v for _, v in alerts) == ["V1", "V2", "V3", "V4"]
            await asyncio.sleep(1.0)
            notes = (
                await conn.execute(
                    select(
                        Notification.alert_id,  # type: ignore[call-overload]
                        Notification.level,
                        Notification.channel,
                        Notification.recipient,
                    )
                )
            ).all()
        told = [n for n in notes if n[1] == 0]
        assert {n[0] for n in told} == {aid for aid, _ in alerts}, "every alert told to duty once"
        assert len(told) == len(set(told)), "nobody was told twice"
    finally:
        for boat in boats:
            boat.close()
        await db.dispose()


async def _metric(session: object, hub: HubProcess, name: str) -> float:
    import aiohttp

    assert isinstance(session, aiohttp.ClientSession)
    async with session.get(f"http://127.0.0.1:{hub.settings.api.port}/metrics") as r:
        for line in (await r.text()).splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
    return 0.0


async def test_a_hub_that_loses_the_scheduler_lease_stops_rather_than_run_the_schedule_twice(
    registered: Settings,
) -> None:
    from sqlalchemy import update

    from seaLink.runtime import Hub
    from seaLink.services.cluster import LeaseLost
    from seaLink.store.tables import HubLease

    settings = registered.model_copy(
        update={
            "cluster": registered.cluster.model_copy(
                update={"enabled": True, "hub_id": "hub-x", "heartbeat_s": 0.2, "lease_s": 3}
            )
        }
    )
    hub = Hub(settings, with_api=False)
    serving = asyncio.create_task(hub.serve())
    try:
        await _until(lambda: leases.holder_of(hub.db, "scheduler", datetime.now(UTC)), "hub-x", 10)
        assert hub.cluster is not None and hub.cluster.leader
        # Another hub got the lease (say, this one stalled past its lease): this one must stop.
        async with hub.db.engine.begin() as conn:
            await conn.execute(
                update(HubLease.__table__)  # type: ignore[attr-defined]
                .where(HubLease.__table__.c.name == "scheduler")  # type: ignore[attr-defined]
                .values(holder="hub-y", expires_at=datetime.now(UTC) + timedelta(minutes=5))
            )
        with pytest.raises(ExceptionGroup) as stopped:
            await asyncio.wait_for(serving, 10)
        assert stopped.group_contains(LeaseLost)
    finally:
        serving.cancel()
        with contextlib.suppress(BaseException):
            await serving


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_a_broadcast_sent_through_a_follower_reaches_every_boat_and_is_tracked_on_both(
    hubs: tuple[HubProcess, HubProcess], registered: Settings
) -> None:
    import aiohttp

    a, b = hubs
    for h in hubs:
        h.extra_env["SEALINK_ADMIN_PASSWORD"] = "cluster-admin-1"
    db = Database(registered.store.url)
    boats: list[TestVessel] = []
    try:
        a.start()
        await _until(lambda: leases.holder_of(db, "scheduler", datetime.now(UTC)), "hub-a", 10)
        b.start()
        now = datetime.now(UTC).isoformat()
        for i in range(1, 5):
            boat = TestVessel(registered.mqtt.url, f"V{i}", prefix=registered.mqtt.prefix)
            boat.client.publish(boat.topics.status(boat.vessel_id), b"online", qos=1, retain=True)
            boat.publish("hello", {"ts": now, "terminal": "test/1"})
            boats.append(boat)
        await asyncio.sleep(1.5)  # the holder hears of them (news or its re-read)
        bases = [f"http://127.0.0.1:{h.settings.api.port}" for h in hubs]
        async with aiohttp.ClientSession() as s:
            r = await s.post(
                f"{bases[1]}/api/v1/auth/login",
                json={"username": "admin", "password": "cluster-admin-1"},
            )
            auth = {"Authorization": f"Bearer {(await r.json())['token']}"}
            r = await s.post(
                f"{bases[1]}/api/v1/broadcasts",
                headers=auth,
                json={
                    "kind": "notice",
                    "title": "台风预警",
                    "body": "今晚台风接近，请回港避风。",
                    "reply": "confirm",
                    "target": {"vessels": ["V1", "V2", "V3", "V4"]},
                },
            )
            assert r.status == 201, await r.text()
            bid = (await r.json())["broadcast"]["id"]
            for boat in boats:
                msg = await asyncio.to_thread(boat.received.get, True, 15)
                assert msg["msg_id"] == f"b{bid}-{boat.vessel_id}"
                boat.publish(
                    "ack",
                    {"msg_id": msg["msg_id"], "state": "acknowledged", "ts": now},
                )

            async def acknowledged(base: str) -> int:
                r = await s.get(f"{base}/api/v1/broadcasts/{bid}", headers=auth)
                return int((await r.json())["rollup"]["states"].get("acknowledged", 0))

            for base in bases:
                await _until(lambda: acknowledged(base), 4, 15)  # noqa: B023
        for boat in boats:  # and each boat was sent the notice once
            with pytest.raises(__import__("queue").Empty):
                boat.received.get(True, 1.0)
    finally:
        for boat in boats:
            boat.close()
        await db.dispose()


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_a_training_scheduled_through_a_follower_starts_once_on_the_holder(
    hubs: tuple[HubProcess, HubProcess], registered: Settings
) -> None:
    import queue

    import aiohttp

    a, b = hubs
    for h in hubs:
        h.extra_env["SEALINK_ADMIN_PASSWORD"] = "cluster-admin-1"
    db = Database(registered.store.url)
    boats: list[TestVessel] = []
    try:
        a.start()
        await _until(lambda: leases.holder_of(db, "scheduler", datetime.now(UTC)), "hub-a", 10)
        b.start()
        now = datetime.now(UTC).isoformat()
        for vid in ("V1", "V2"):
            boat = TestVessel(registered.mqtt.url, vid, prefix=registered.mqtt.prefix)
            boat.client.publish(boat.topics.status(vid), b"online", qos=1, retain=True)
            boat.publish("hello", {"ts": now, "terminal": "test/1"})
            boats.append(boat)
        await asyncio.sleep(1.5)
        base = f"http://127.0.0.1:{b.settings.api.port}"
        starts = datetime.now(UTC) + timedelta(seconds=4)
        async with aiohttp.ClientSession() as s:
            r = await s.post(
                f"{base}/api/v1/auth/login",
                json={"username": "admin", "password": "cluster-admin-1"},
            )
            auth = {"Authorization": f"Bearer {(await r.json())['token']}"}
            r = await s.post(
                f"{base}/api/v1/trainings",
                headers=auth,
                json={
                    "title": "海上急救",
                    "study_pack": "第一讲：心肺复苏要点",
                    "target": {"vessels": ["V1", "V2"]},
                    "starts_at": starts.isoformat(),
                    "duration_min": 30,
                },
            )
            assert r.status == 201, await r.text()
            tid = (await r.json())["id"]
        for boat in boats:
            pack = await asyncio.to_thread(boat.received.get, True, 15)
            assert pack["title"].startswith("【学习资料】")
            notice = await asyncio.to_thread(boat.received.get, True, 20)
            assert notice["title"] == "【培训开始】海上急救" and notice["training_id"] == tid
        for boat in boats:  # started once, by one hub
            with pytest.raises(queue.Empty):
                boat.received.get(True, 2.0)
    finally:
        for boat in boats:
            boat.close()
        await db.dispose()


async def test_hubs_starting_together_on_an_empty_postgresql_create_the_tables_once(
    pg_database: str,
) -> None:
    import uuid

    import asyncpg

    from tests.conftest import PG_ADMIN_URL

    name = f"{pg_database.rsplit('/', 1)[1]}_race_{uuid.uuid4().hex[:4]}"  # counted as ours
    admin = await asyncpg.connect(PG_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{pg_database.rsplit('/', 1)[0]}/{name}"
    dbs = [Database(url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(d.create_all() for d in dbs), return_exceptions=True)
        assert results == [None, None, None]
    finally:
        for d in dbs:
            await d.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
