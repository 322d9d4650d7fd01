"""A database outage is a pause for the hub, not a crash: its loops wait (logging once per outage),
back off, and carry on when the store returns. PostgreSQL is a private server here, because the
test stops it; the machine's shared server is never touched."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select

from seaLink.domain.messaging import BroadcastKind, Target
from seaLink.domain.roles import Principal, Role
from seaLink.runtime import Hub
from seaLink.services.broadcasts import BroadcastSpec
from seaLink.settings import Settings
from seaLink.store import alert_store
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.outage import is_store_outage
from seaLink.store.tables import AckEvent, Alert, Notification
from seaLink.testing.postgres import PrivatePostgres
from seaLink.wire.topics import UplinkKind
from tests.brokers import Mosquitto, free_port
from tests.conftest import small_fleet
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel

ADMIN = Principal("admin", Role.ADMIN, frozenset())


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    pg.start()
    try:
        yield pg
    finally:
        pg.remove()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _notice(title: str) -> BroadcastSpec:
    return BroadcastSpec(BroadcastKind.NOTICE, title, "正文", Target(vessels=("V1",)), reply="read")


async def _next_down(v: TestVessel, kind: str, timeout: float = 60.0) -> dict[str, Any]:
    """The next down message of this kind (others are skipped)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        assert left > 0, f"no {kind} down message in time"
        msg: dict[str, Any] = await asyncio.to_thread(v.received.get, True, left)
        if msg["kind"] == kind:
            return msg


def _unreachable(caplog: pytest.LogCaptureFixture, loop_name: str) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.getMessage().startswith(f"{loop_name}: store unreachable")
    ]


async def _async(value: bool) -> bool:
    return value


def _back(caplog: pytest.LogCaptureFixture, loop_name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(f"{loop_name}: store is back")]


async def _outage_store(broker: Mosquitto, pg: PrivatePostgres) -> tuple[Settings, Database]:
    """A fresh database with the small fleet on the private server, and a hub's settings."""
    name = f"outage_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(pg.create_database, name)
    url = pg.url(name)
    db = Database(url)
    await db.create_all()
    await import_fleet(db, small_fleet())
    settings = Settings(
        mqtt={"url": broker.url, "client_id": f"hub-{uuid.uuid4().hex[:6]}",
              "prefix": f"t{uuid.uuid4().hex[:6]}/v1"},
        store={"url": url},
        api={"port": free_port()},
        contact={"startup_grace_s": 0},
    )  # type: ignore[arg-type]  # fmt: skip
    return settings, db


def _online_v1(settings: Settings) -> TestVessel:
    """V1's terminal, connected: online (retained) and hello."""
    v = TestVessel(settings.mqtt.url, "V1", prefix=settings.mqtt.prefix)
    v.client.publish(v.topics.status("V1"), b"online", qos=1, retain=True)
    v.publish("hello", {"ts": _now(), "terminal": "test/1"})
    return v


@contextlib.asynccontextmanager
async def _v1_heard(
    broker: Mosquitto, pg: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[tuple[Hub, TestVessel]]:
    """A hub on a fresh store, V1 online with its status and hello committed (the store up)."""
    caplog.set_level(logging.INFO, logger="seaLink")
    settings, db = await _outage_store(broker, pg)
    hub = Hub(settings, with_api=False)
    try:
        async with hub.running():
            v = _online_v1(settings)
            try:
                await wait_for(lambda: _async(hub.ingest.drained and hub.ingest.committed >= 2))
                yield hub, v
            finally:
                v.close()
    finally:
        await db.dispose()


async def test_a_distress_that_cannot_be_stored_is_a_stalled_hub_on_its_own(
    broker: Mosquitto, private_pg: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing else comes in: only the distress lane waits for the store. /healthz must say the
    hub is stalled (it said "ok" when it looked at the main lane only)."""
    async with _v1_heard(broker, private_pg, caplog) as (hub, v):
        await asyncio.to_thread(private_pg.stop, "fast")
        v.publish("distress", {"distress_id": "V1-d9", "ts": _now(), "lat": 23.1,
                               "lon": 117.5, "nature": "fire", "persons": 3})  # fmt: skip
        await wait_for(lambda: _async(bool(_unreachable(caplog, "distress lane"))), timeout=60)
        health = hub.ingest.health()
        assert health["writer"] == "stalled"
        assert health["stalled_lanes"] == ["distress"]
        await asyncio.to_thread(private_pg.start)
        ack = await _next_down(v, "distress_ack")
        assert ack["distress_id"] == "V1-d9"
        assert hub.ingest.health()["stalled_lanes"] == []


async def test_a_commit_still_failing_stays_an_outage_while_the_next_batch_is_judged(
    broker: Mosquitto, private_pg: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    """The ingest judges the next batch while one commits. A fix of a vessel it knows needs no
    store to be judged: that must not end the outage of the commit still waiting for the store
    (/healthz said "ok" meanwhile, and the outage was logged again at the next failure)."""
    async with _v1_heard(broker, private_pg, caplog) as (hub, v):
        await asyncio.to_thread(private_pg.stop, "fast")
        fix = {"ts": _now(), "lat": 23.0, "lon": 117.6, "sog": 5.0, "cog": 90.0}
        v.publish("position", fix)
        await wait_for(lambda: _async(bool(_unreachable(caplog, "ingest"))), timeout=60)
        committed = hub.ingest.committed
        v.publish("position", {**fix, "ts": _now(), "lat": 23.01})
        ingest: Any = hub.ingest
        # Judged into the next batch (its reads done first) while the commit still fails.
        await wait_for(lambda: _async(ingest._uplinks_seen[UplinkKind.POSITION] >= 1))
        assert hub.ingest.committed == committed
        health = hub.ingest.health()
        assert health["writer"] == "stalled"
        assert health["stalled_lanes"] == ["main"]
        assert not _back(caplog, "ingest")
        await asyncio.to_thread(private_pg.start)
        await wait_for(lambda: _async(hub.ingest.committed >= committed + 2), timeout=60)
        assert hub.ingest.health()["stalled_lanes"] == []
    assert len(_unreachable(caplog, "ingest")) == 1  # one outage, logged once
    assert len(_back(caplog, "ingest")) == 1


async def test_the_hub_rides_out_a_postgresql_restart(
    broker: Mosquitto, private_pg: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="seaLink")
    settings, db = await _outage_store(broker, private_pg)
    hub = Hub(settings, with_api=False)
    try:
        async with hub.running():
            v = _online_v1(settings)
            try:
                await hub.broadcasts.create(_notice("停电前"), ADMIN)
                before = await _next_down(v, "notice")
                v.publish("ack", {"msg_id": before["msg_id"], "state": "delivered", "ts": _now()})

                await asyncio.to_thread(private_pg.stop, "fast")
                # While the store is away: an acknowledgement comes in (of a message the hub
                # sent, which it knows without the store), its commit waits; then a distress,
                # which waits in its own lane; the outbox is asked to go round. In this order:
                # a distress being written first holds the main lane back before its commit.
                v.publish("ack", {"msg_id": before["msg_id"], "state": "read", "ts": _now()})
                await wait_for(lambda: _async(bool(_unreachable(caplog, "ingest"))), timeout=60)
                v.publish("distress", {"distress_id": "V1-d1", "ts": _now(), "lat": 23.1,
                                       "lon": 117.5, "nature": "flooding", "persons": 4})  # fmt: skip
                hub.outbox.kick()

                async def both_waiting() -> bool:
                    return bool(
                        _unreachable(caplog, "distress lane") and _unreachable(caplog, "outbox")
                    )

                await wait_for(both_waiting, timeout=60)
                # /healthz tells: the writer is stalled (nothing stored or acknowledged).
                assert hub.ingest.health()["writer"] == "stalled"
                assert hub.ingest.health()["stalled_lanes"] == ["distress", "main"]
                # A few seconds of outage: many quiet retries.
                await asyncio.sleep(3)
                await asyncio.to_thread(private_pg.start)

                # The distress is stored once the store is back, acknowledged to the boat, the
                # alert raised and the duty officer told.
                ack = await _next_down(v, "distress_ack")
                assert hub.ingest.health()["writer"] == "ok"
                assert ack["distress_id"] == "V1-d1"

                async def notified() -> bool:
                    async with db.engine.connect() as conn:
                        alerts = (
                            await conn.execute(select(Alert.id).where(Alert.type == "distress"))  # type: ignore[arg-type]
                        ).all()
                        if len(alerts) != 1:
                            return False
                        told = (
                            await conn.execute(
                                select(Notification.channel).where(
                                    Notification.alert_id == alerts[0][0]  # type: ignore[arg-type]
                                )
                            )
                        ).all()
                    return bool(told)

                await wait_for(notified, timeout=60)

                async def read_stored() -> bool:
                    async with db.engine.connect() as conn:
                        states = (
                            await conn.execute(
                                select(AckEvent.state).where(AckEvent.msg_id == before["msg_id"])  # type: ignore[arg-type]
                            )
                        ).all()
                    return ("read",) in states

                await wait_for(read_stored, timeout=60)

                # And the outbox still delivers.
                await hub.broadcasts.create(_notice("恢复后"), ADMIN)
                after = await _next_down(v, "notice")
                assert after["title"] == "恢复后"
            finally:
                v.close()
    finally:
        await db.dispose()
    # Logged once per outage (not once per retry), and once when the store came back.
    for loop_name in ("ingest", "outbox"):
        assert len(_unreachable(caplog, loop_name)) == 1, loop_name
        assert len(_back(caplog, loop_name)) == 1, loop_name


async def test_the_outbox_waits_out_a_failing_wake_up_query(
    registered: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_next_wake` reads the store too: its failure must not end the outbox's task."""
    hub = Hub(registered, with_api=False)
    await hub.prepare()
    calls = 0
    real = hub.outbox.store.next_due

    async def next_due() -> Any:
        nonlocal calls
        calls += 1
        if calls <= 3:
            raise ConnectionRefusedError(111, "Connect call failed")
        return await real()

    monkeypatch.setattr(hub.outbox.store, "next_due", next_due)
    task = asyncio.create_task(hub.outbox.run())
    try:

        async def retried_or_ended() -> bool:
            return calls >= 4 or task.done()

        await wait_for(retried_or_ended, timeout=60)
        assert not task.done(), task.exception() if task.done() else None
        await asyncio.wait_for(hub.outbox.settle(), 30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await hub.db.dispose()


async def test_a_new_alert_is_announced_after_the_store_comes_back(
    registered: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An alert raised just before an outage is not dropped by the alerting loop."""
    quick = registered.alerting.model_copy(update={"storm_window_s": 1})  # not a storm: soon
    hub = Hub(registered.model_copy(update={"alerting": quick}), with_api=False)
    await hub.prepare()
    now = datetime.now(UTC)
    async with hub.db.engine.begin() as conn:
        alert_id = (
            await conn.execute(
                Alert.__table__.insert().values(  # type: ignore[attr-defined]
                    vessel_id="V1", grid_id="G01", type="lost_contact", severity="major",
                    phase="alerfa", state="raised", raised_at=now, updated_at=now, detail="t",
                )
            )
        ).inserted_primary_key[0]  # fmt: skip
    failures = 0
    real = alert_store.get_alert

    async def get_alert(db: Database, aid: int) -> Any:
        nonlocal failures
        if failures < 3:
            failures += 1
            raise ConnectionRefusedError(111, "Connect call failed")
        return await real(db, aid)

    monkeypatch.setattr(alert_store, "get_alert", get_alert)
    task = asyncio.create_task(hub.alerting.run())
    try:
        hub.alerting.raised(int(alert_id))

        async def told() -> bool:
            async with hub.db.engine.connect() as conn:
                rows = (
                    await conn.execute(
                        select(Notification.level).where(Notification.alert_id == alert_id)  # type: ignore[arg-type]
                    )
                ).all()
            return bool(rows)

        await wait_for(told, timeout=60)
        assert failures == 3 and not task.done()
        assert hub.alerting.booked(int(alert_id)) is not None  # its escalation is booked
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await hub.db.dispose()


def test_a_connection_left_mid_operation_by_a_restart_is_an_outage_not_a_refused_message() -> None:
    """Under load, an acknowledgement committed as PostgreSQL restarted failed with asyncpg's
    InternalClientError and was dead-lettered as `store_refused`: the ack was lost. It is an
    outage (the batch is retried), as a refused connection is; a fault in the work is not."""
    state = asyncpg.InternalClientError(
        "cannot switch to state 11; another operation (2) is in progress"
    )
    assert is_store_outage(state)
    assert is_store_outage(RuntimeError("while committing")) is False
    wrapped = RuntimeError("commit failed")
    wrapped.__cause__ = state
    assert is_store_outage(wrapped)
