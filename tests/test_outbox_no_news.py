"""A boat that is reachable gets its messages without saying anything new.

The outbox parks a message for a boat it believes offline and re-arms it on news from the boat
(hello, status online). A boat that stays connected sends no such news, so what the outbox knows
must come from the store when it has not seen the news itself:

- a hub killed -9 after it published a message that the broker never got (the publish died with
  the hub's connection; here the broker is held still while the hub publishes and dies, as a
  busy machine does): the new hub must send it again, not wait for the resend backoff;
- a schedule holder that believes a boat offline while the store says online (another hub's
  news came late, or never: that hub died between its commit and its news): the parked message
  must go out all the same;
- several hubs: a boat's will must not reach a hub (and the store) after the boat's newer
  `online`, as it did when statuses went through the shared group and the will waited in the
  session of a hub that was dead: store and holder then said offline for good.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import select, text, update

from seaLink.clock import FakeClock
from seaLink.domain.events import LinkStatusChanged
from seaLink.domain.messaging import BroadcastKind, Target, next_resend
from seaLink.domain.roles import Principal, Role
from seaLink.runtime import Hub
from seaLink.services.broadcasts import BroadcastSpec
from seaLink.services.outbox import RECHECK_S
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.outbox_store import PARKED, OutboxStore
from seaLink.store.tables import Delivery, VesselState
from seaLink.wire.mqtt import parse_broker_url
from seaLink.wire.topics import Topics
from tests.brokers import Mosquitto
from tests.hub_process import HubProcess
from tests.terminal_fleet import TerminalFleet
from tests.test_broadcast_fanout import _TOKENS, _api
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel

_vs: Any = VesselState.__table__  # type: ignore[attr-defined]
_d: Any = Delivery.__table__  # type: ignore[attr-defined]
ADMIN = Principal("admin", Role.ADMIN, frozenset())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def boats(registered: Settings) -> Iterator[dict[str, TestVessel]]:
    made: dict[str, TestVessel] = {}
    yield made
    for v in made.values():
        v.close()


def connect(settings: Settings, vid: str, boats: dict[str, TestVessel], status: bool) -> TestVessel:
    """A boat's terminal, subscribed to its down topic; with its retained `online` if `status`."""
    v = TestVessel(settings.mqtt.url, vid, prefix=settings.mqtt.prefix)
    boats[vid] = v
    if status:
        v.client.publish(v.topics.status(vid), b"online", qos=1, retain=True).wait_for_publish(10)
    return v


async def received(v: TestVessel, timeout: float = 10.0) -> str:
    try:
        msg = await asyncio.to_thread(v.received.get, True, timeout)
    except queue.Empty:
        raise AssertionError(f"{v.vessel_id} received nothing in {timeout:g} s") from None
    return str(msg["msg_id"])


async def nothing_more(v: TestVessel, wait: float = 1.0) -> None:
    with pytest.raises(queue.Empty):
        await asyncio.to_thread(v.received.get, True, wait)


async def set_status(url: str, vid: str, status: str, at: datetime) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                update(_vs)
                .where(_vs.c.vessel_id == vid)
                .values(link_status=status, status_ts=at, last_heard=at, last_link="mqtt")
            )
    finally:
        await db.dispose()


async def test_a_restarted_hub_sends_what_the_killed_one_left_to_boats_that_stay_silent(
    registered: Settings, clock: FakeClock, boats: dict[str, TestVessel]
) -> None:
    now = clock.now()
    expires = now + timedelta(seconds=25)
    url = registered.store.url
    for vid in ("V1", "V2", "V3"):
        await set_status(url, vid, "online", now - timedelta(seconds=5))

    def row(vid: str, **state: Any) -> dict[str, Any]:
        base = {"msg_id": f"m-{vid}", "vessel_id": vid, "grid_id": "G01", "kind": "notice",
                "priority": 3, "payload": f'{{"msg_id": "m-{vid}"}}', "queued_at": now,
                "expires_at": expires, "next_attempt_at": now, "attempts": 0,
                "link": None}  # fmt: skip
        return base | state

    # What the killed hub left behind: V1's message was published but the broker never had it
    # (it died with the hub's connection), so it is waiting for its resend backoff; V2's was
    # parked while the hub had not yet heard that V2 was back; V3's was never sent.
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await OutboxStore(db).insert(
                conn,
                [
                    row("V1", attempts=1, link="mqtt", next_attempt_at=next_resend(1, now)),
                    row("V2", next_attempt_at=now + PARKED),
                    row("V3"),
                ],
            )
    finally:
        await db.dispose()
    # The boats stayed connected throughout: their retained status says online, nothing more.
    for vid in ("V1", "V2", "V3"):
        connect(registered, vid, boats, status=True)
    hub = Hub(registered, clock=clock, with_api=False)
    async with hub.running():
        await hub.drained()
        assert await received(boats["V2"]) == "m-V2"
        assert await received(boats["V3"]) == "m-V3"
        # V1's copy may still be with the broker: the replay grace first, as for a hello.
        clock.advance(timedelta(seconds=registered.messaging.replay_grace_s))
        await hub.outbox.settle()
        assert clock.now() < expires
        assert await received(boats["V1"]) == "m-V1"
        for vid in ("V1", "V2", "V3"):
            await nothing_more(boats[vid], 0.5)


@pytest.mark.parametrize("missed", ["late offline news", "lost online news"])
async def test_a_boat_the_holder_wrongly_believes_offline_still_gets_its_message(
    registered: Settings, clock: FakeClock, boats: dict[str, TestVessel], missed: str
) -> None:
    url = registered.store.url
    if missed == "lost online news":
        await set_status(url, "V1", "offline", clock.now() - timedelta(minutes=5))
    hub = Hub(registered, clock=clock, with_api=False)
    async with hub.running():
        if missed == "late offline news":
            # V1 is online and the holder knows it ...
            v1 = connect(registered, "V1", boats, status=True)
            await wait_for(lambda: _reachable(hub, "V1", clock))
            # ... then another hub's news of V1's earlier will arrives after the news of its
            # return (the store kept `online`: it had the newer one).
            hub.router.replay([LinkStatusChanged("V1", False, clock.now() - timedelta(seconds=1))])
        else:
            # V1 came back through another hub, which committed `online` and died before its
            # news reached the holder: the boat is connected and says nothing more.
            v1 = connect(registered, "V1", boats, status=False)
            await set_status(url, "V1", "online", clock.now())
        assert not hub.outbox.reachable("V1", clock.now())
        spec = BroadcastSpec(BroadcastKind.NOTICE, "t", "b", Target(vessels=("V1",)), reply="none")
        bid = await hub.broadcasts.create(spec, ADMIN)
        await wait_for(lambda: _parked(url, bid, clock))
        await nothing_more(v1, 0.5)
        clock.advance(timedelta(seconds=RECHECK_S))
        await hub.outbox.settle()
        assert await received(v1) == f"b{bid}-V1"
        assert hub.outbox.reachable("V1", clock.now())
        await nothing_more(v1, 0.5)


async def _reachable(hub: Hub, vid: str, clock: FakeClock) -> bool:
    return hub.outbox.reachable(vid, clock.now())


async def _parked(url: str, bid: int, clock: FakeClock) -> bool:
    return await _next_attempt(url, bid) > clock.now() + PARKED / 2


async def _next_attempt(url: str, bid: int) -> datetime:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            q = select(_d.c.next_attempt_at).where(_d.c.broadcast_id == bid)
            value: datetime = (await conn.execute(q)).scalar_one()
            return value
    finally:
        await db.dispose()


async def test_a_publish_that_died_with_a_killed_hub_reaches_the_boats_that_stay_connected(
    registered: Settings, broker: Mosquitto, tmp_path: Path
) -> None:
    _TOKENS.clear()
    vids = ["V1", "V2", "V3"]
    url = registered.store.url
    env = {"SEALINK_ADMIN_PASSWORD": "fanout-admin-1", "SEALINK_MESSAGING__REPLAY_GRACE_S": "2"}
    hub = HubProcess(registered, tmp_path, env)
    hub.start()
    fleet = TerminalFleet(registered.mqtt.url, registered.mqtt.prefix, vids)
    try:
        await fleet.connect(vids)
        await _until(lambda: _count(url, "vessel_state where link_status = 'online'", 3), 20)
        await _api(hub, "GET", "/api/v1/broadcasts")  # logged in while the broker still runs
        assert broker.proc is not None
        # The broker is not scheduled (a busy machine) while the hub publishes the notice,
        # records the attempts, and is killed: the publishes die with its connection.
        os.kill(broker.proc.pid, signal.SIGSTOP)
        try:
            # The dead hub's resend would come 60 s after its attempt, after this expiry; the
            # new hub's after the replay grace (2 s here), however slowly it starts.
            expires = datetime.now(UTC) + timedelta(seconds=55)
            created = await _api(hub, "POST", "/api/v1/broadcasts", {
                "kind": "notice", "title": "禁渔期提醒", "body": "5月1日12时起伏季休渔。",
                "reply": "none", "target": {"vessels": vids}, "expires_at": expires.isoformat(),
            })  # fmt: skip
            await _until(lambda: _count(url, "delivery where attempts = 1", 3), 30)
            hub.kill9()
        finally:
            os.kill(broker.proc.pid, signal.SIGCONT)
        hub.start()  # the boats stay connected and say nothing new

        async def all_shown() -> bool:
            return all(fleet.terminals[v].shown for v in vids)

        await _until(
            all_shown,
            (expires - datetime.now(UTC)).total_seconds(),
            lambda: (
                f"not shown before expiry on {[v for v in vids if not fleet.terminals[v].shown]}"
            ),
        )
    finally:
        await fleet.close()
        hub.stop()
    bid = created["broadcast"]["id"]
    for vid in vids:
        assert [m["msg_id"] for m in fleet.terminals[vid].shown] == [f"b{bid}-{vid}"]


async def _count(url: str, where: str, n: int) -> bool:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            got = (await conn.execute(text(f"select count(*) from {where}"))).scalar_one()
    finally:
        await db.dispose()
    return bool(got == n)


async def _until(predicate: Any, timeout: float, explain: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"condition not met in {timeout:.0f} s: {explain() if explain else ''}"
            )
        await asyncio.sleep(0.1)


class HubSession:
    """A hub's MQTT session as a cluster member has it: persistent, the hub's subscriptions."""

    def __init__(self, url: str, client_id: str, topics: Topics) -> None:
        self.statuses: list[tuple[str, bool]] = []  # (payload, retained), in arrival order
        self.subscribed = threading.Event()
        self._addr = parse_broker_url(url)
        self._topics = topics
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv5,
        )
        self.client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(
            [(f, 1) for f in topics.hub_subscriptions("sealink-hubs")]
        )
        self.client.on_subscribe = lambda c, u, mid, rc, p=None: self.subscribed.set()
        self.client.on_message = lambda c, u, m: self.statuses.append(
            (m.payload.decode(), bool(m.retain))
        )

    def connect(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        self.subscribed.clear()
        self.client.connect(
            self._addr.host, self._addr.port, 30, clean_start=False, properties=props
        )
        self.client.loop_start()
        assert self.subscribed.wait(10)

    def leave(self) -> None:
        self.client.disconnect()  # the session stays: the broker queues for it meanwhile
        self.client.loop_stop()


async def test_every_hub_gets_every_status_of_a_boat_in_order_also_what_waited_while_away(
    broker: Mosquitto,
) -> None:
    topics = Topics(f"t{os.getpid()}{time.monotonic_ns() % 10**6}/v1")
    a = HubSession(broker.url, f"{topics.prefix}-hub-a", topics)
    b = HubSession(broker.url, f"{topics.prefix}-hub-b", topics)
    boat = TestVessel(broker.url, "V1", client_id=f"{topics.prefix}-V1", prefix=topics.prefix)
    try:
        a.connect()
        b.connect()
        b.leave()  # hub-b is away (killed, restarting) ...
        status = topics.status("V1")
        # ... while V1's link drops (the broker publishes its will) and V1 comes back.
        boat.client.publish(status, b"offline", qos=1, retain=True).wait_for_publish(10)
        boat.client.publish(status, b"online", qos=1, retain=True).wait_for_publish(10)

        def live(h: HubSession) -> list[str]:
            return [payload for payload, retained in h.statuses if not retained]

        async def a_has_both() -> bool:
            return len(live(a)) >= 2

        await _until(a_has_both, 10, lambda: f"hub-a got {a.statuses}")
        b.connect()  # hub-b is back: what waited for it, then the retained status

        async def b_is_current() -> bool:
            return len(live(b)) >= 2 and ("online", True) in b.statuses

        await _until(b_is_current, 10, lambda: f"hub-b got {b.statuses}")
        assert live(a) == ["offline", "online"]
        assert live(b) == ["offline", "online"]
    finally:
        boat.close()
        for h in (a, b):
            h.client.disconnect()
            h.client.loop_stop()
