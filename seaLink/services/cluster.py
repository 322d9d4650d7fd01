"""Several hubs on one broker and one PostgreSQL.

- Every hub ingests: the broker spreads uplinks over the hubs' shared subscription, and each hub
  commits before it acknowledges, as a single hub does.
- One hub at a time, the holder of the `scheduler` lease, runs the stateful loops (contact watch,
  outbox, escalations, zones, requests, recall, training). The others forward the news of each
  committed batch to it over MQTT; it also re-reads the store every `refresh_s`, so news that did
  not travel (a broker restart, a hub dying after its commit) is only late, never lost.
- A hub silent for `dead_after_s` has its MQTT session adopted by a live one: Mosquitto keeps
  queueing a dead member its share of a shared subscription, so someone must take that session
  over, ingest what waits in it, and give it back when its owner returns.
- Events raised on any hub reach every hub's live console stream.
A hub that finds it has lost the lease while acting as its holder stops (LeaseLost): its process
manager restarts it as a follower, which is simpler and safer than unwinding every loop's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from seaLink.domain.events import DomainEvent, decode, encode
from seaLink.links.mqtt_link import MqttLink
from seaLink.store import leases
from seaLink.store.outage import StoreOutage
from seaLink.store.tables import VesselState

if TYPE_CHECKING:
    from seaLink.clock import Clock
    from seaLink.metrics import HubMetrics
    from seaLink.services.alerting import Alerting
    from seaLink.services.contact_watch import ContactWatch
    from seaLink.services.event_routes import EventRouter
    from seaLink.services.events import EventBus
    from seaLink.services.ingest import IngestPipeline
    from seaLink.services.outbox import Outbox
    from seaLink.services.training import TrainingService
    from seaLink.settings import ClusterSettings, MqttSettings
    from seaLink.store.db import Database
    from seaLink.wire.topics import Topics

log = logging.getLogger(__name__)

SCHEDULER = "scheduler"
RELAY_EVERY_S = 0.1


class LeaseLost(RuntimeError):
    """This hub held the scheduler lease and can no longer be sure it does."""


def default_hub_id() -> str:
    return socket.gethostname()


@dataclass(frozen=True, slots=True)
class ClusterParts:
    """What a hub's part in a cluster works with, handed over by the composition root."""

    settings: ClusterSettings
    mqtt: MqttSettings  # this hub's session (its client id), and the base of adopted ones
    topics: Topics
    link: MqttLink
    router: EventRouter
    events: EventBus
    db: Database
    clock: Clock
    metrics: HubMetrics
    watch: ContactWatch
    outbox: Outbox
    alerting: Alerting
    training: TrainingService
    # An ingest pipeline for an adopted session.
    make_ingest: Callable[[MqttLink], IngestPipeline]
    # The schedule's state read from the store, when this hub takes the schedule over.
    load_schedule: Callable[[], Awaitable[None]]
    # Starts the schedule's loops in the hub's TaskGroup.
    start_schedule: Callable[[asyncio.TaskGroup], Awaitable[None]]
    # Re-reads what other hubs' API calls created (the holder's periodic refresh).
    reload_shared: Callable[[], Awaitable[None]]


class Cluster:
    def __init__(self, parts: ClusterParts, hub_id: str) -> None:
        self.parts = parts
        self.settings = parts.settings
        self.hub_id = hub_id
        self.client_id = parts.mqtt.client_id
        base = f"{parts.mqtt.prefix}/hubs/"
        self._internal = base
        self._news_topic = f"{base}{hub_id}/news"
        self._events_topic = f"{base}{hub_id}/events"
        self.leader = False
        self.took_over_at: datetime | None = None
        self._held_until = 0.0  # monotonic time until which our lease is surely ours
        self._collected: list[list[DomainEvent]] | None = None
        self._adopted: dict[str, asyncio.Task[None]] = {}
        self._relay_buffer: list[list[Any]] = []
        self._tail_since: datetime | None = None
        self._next_refresh = 0.0

    # -- wiring ------------------------------------------------------------------------------------

    def attach(self) -> None:
        link = self.parts.link
        link.internal_prefix = self._internal
        link.internal_filters = [f"{self._internal}+/news", f"{self._internal}+/events"]
        link.on_internal = self._on_internal
        self.parts.router.forward = self.forward
        self.parts.events.on_local.append(self._relay)

    def forward(self, events: list[DomainEvent]) -> bool:
        """Router hook: True if the schedule's events went to the lease holder, not here."""
        if self.leader:
            return False
        if self.parts.link.publish(self._news_topic, encode(events, self.hub_id), qos=1) is None:
            log.warning("cluster: news not sent (broker away); the holder will re-read it")
        else:
            self.parts.metrics.cluster_news.labels("sent").inc()
        return True

    # -- the loop ----------------------------------------------------------------------------------

    async def run(self, tg: asyncio.TaskGroup) -> None:
        started = self.parts.clock.now()
        tg.create_task(self._flush_relay(), name="cluster-relay")
        # Logged once per store outage; the beat keeps its pace (no backoff): a follower takes
        # over as soon as it can, and a holder that cannot renew must stop in time (below).
        outage = StoreOutage("cluster heartbeat", self.parts.metrics.store_errors, logger=log)
        try:
            while True:
                try:
                    await self._beat(tg, started)
                except LeaseLost:
                    raise
                except Exception as exc:
                    outage.note(exc)
                else:
                    outage.recovered()
                if self.leader and time.monotonic() > self._held_until:
                    raise LeaseLost(f"hub {self.hub_id} could not renew the scheduler lease")
                await asyncio.sleep(self.settings.heartbeat_s)
        finally:
            for task in self._adopted.values():
                task.cancel()

    async def _beat(self, tg: asyncio.TaskGroup, started: datetime) -> None:
        db, now = self.parts.db, self.parts.clock.now()
        await leases.heartbeat(db, self.hub_id, self.client_id, now, started)
        asked = time.monotonic()
        held = await leases.acquire(db, SCHEDULER, self.hub_id, now, self.settings.lease_s)
        if held:
            # Counted from before we asked, and with a margin: we stop believing first.
            self._held_until = asked + 0.8 * self.settings.lease_s
            if not self.leader:
                await self._take_over(tg)
        elif self.leader:
            raise LeaseLost(f"hub {self.hub_id} lost the scheduler lease to another hub")
        await self._adopt_dead(tg, now)
        if self.leader:
            # Deliveries queued through another hub's API (a broadcast, a tasking) go out now.
            self.parts.outbox.kick()
        if self.leader and time.monotonic() >= self._next_refresh:
            self._next_refresh = time.monotonic() + self.settings.refresh_s
            await self._refresh(now)

    async def stop(self) -> None:
        """A clean stop: give the lease up so another hub takes over at once."""
        with contextlib.suppress(Exception):
            now = self.parts.clock.now()
            if self.leader:
                await leases.release(self.parts.db, SCHEDULER, self.hub_id, now)
            await leases.leave(self.parts.db, self.hub_id)

    # -- the schedule ------------------------------------------------------------------------------

    async def _take_over(self, tg: asyncio.TaskGroup) -> None:
        log.warning("cluster: hub %s takes over the schedule", self.hub_id)
        self._collected = []  # news that arrives while we read the store
        self.leader = True
        try:
            await self.parts.load_schedule()
            for alert_id in await leases.unannounced_alerts(self.parts.db):
                self.parts.alerting.raised(alert_id)
        except BaseException:
            # The store went away mid-way: not the holder yet, so the next beat that gets the
            # lease takes over again from the start (else the schedule would never start).
            self.leader = False
            self._collected = None
            raise
        collected, self._collected = self._collected, None
        for events in collected:
            self._apply(events)
        self._tail_since = self.parts.clock.now() - timedelta(seconds=self.settings.lease_s)
        await self.parts.start_schedule(tg)
        self.parts.training.resume()
        self.took_over_at = self.parts.clock.now()
        self.parts.metrics.cluster_leader.set(1)

    async def _refresh(self, now: datetime) -> None:
        """Re-read what followers' API calls created and what news may not have carried."""
        parts = self.parts
        since = self._tail_since or now
        self._tail_since = now - timedelta(seconds=2 * self.settings.refresh_s)
        vs = VesselState.__table__  # type: ignore[attr-defined]
        async with parts.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(vs.c.vessel_id, vs.c.last_heard, vs.c.last_link).where(
                        vs.c.last_heard > since
                    )
                )
            ).all()
        for vid, heard, link in rows:
            parts.watch.heard(vid, heard, link or "mqtt", None)
            parts.outbox.vessel_heard(vid, heard, link or "mqtt")
        settle = now - timedelta(seconds=self.settings.refresh_s)
        for alert_id in await leases.unannounced_alerts(parts.db, raised_before=settle):
            parts.alerting.raised(alert_id)
        await parts.reload_shared()

    # -- adopted sessions --------------------------------------------------------------------------

    async def _adopt_dead(self, tg: asyncio.TaskGroup, now: datetime) -> None:
        db = self.parts.db
        for hid, (client_id, beat) in (await leases.members(db)).items():
            if hid == self.hub_id:
                continue
            lease = f"adopt:{hid}"
            task = self._adopted.get(hid)
            if (now - beat).total_seconds() <= self.settings.dead_after_s:
                if task is not None:  # its owner is back: it has taken its session over
                    task.cancel()
                    del self._adopted[hid]
                    await leases.release(db, lease, self.hub_id, now)
                continue
            if await leases.acquire(db, lease, self.hub_id, now, self.settings.lease_s):
                if task is None or task.done():
                    log.warning(
                        "cluster: hub %s is silent; adopting its session %s", hid, client_id
                    )
                    self._adopted[hid] = tg.create_task(
                        self._run_adopted(client_id), name=f"adopted-{hid}"
                    )
            elif task is not None:
                task.cancel()
                del self._adopted[hid]

    async def _run_adopted(self, client_id: str) -> None:
        parts = self.parts
        link = MqttLink(
            parts.mqtt.model_copy(update={"client_id": client_id}), parts.metrics, parts.topics
        )
        link.reconnect = False
        link.internal_prefix = self._internal  # hub-to-hub traffic queued for it: dropped
        pipeline = parts.make_ingest(link)
        tasks = [
            asyncio.create_task(link.run(), name=f"adopted-link-{client_id}"),
            asyncio.create_task(pipeline.run(), name=f"adopted-ingest-{client_id}"),
            asyncio.create_task(pipeline.run_urgent(), name=f"adopted-distress-{client_id}"),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- hub-to-hub messages -----------------------------------------------------------------------

    def _on_internal(self, topic: str, payload: bytes) -> None:
        parts = topic[len(self._internal) :].split("/")
        if len(parts) != 2 or parts[0] == self.hub_id:
            return
        try:
            if parts[1] == "news":
                if self.leader:
                    _, events = decode(payload)
                    if self._collected is not None:
                        self._collected.append(events)
                    else:
                        self._apply(events)
            elif parts[1] == "events":
                for type_, data, volatile in json.loads(payload):
                    self.parts.events.publish(type_, data, volatile=volatile, relayed=True)
        except (ValueError, KeyError, TypeError):  # pydantic's ValidationError is a ValueError
            self.parts.metrics.cluster_news.labels("rejected").inc()
            log.warning("cluster: unreadable message on %s", topic)

    def _apply(self, events: list[DomainEvent]) -> None:
        self.parts.router.replay(events)
        self.parts.metrics.cluster_news.labels("applied").inc()

    def _relay(self, type_: str, data: dict[str, Any], volatile: bool) -> None:
        self._relay_buffer.append([type_, data, volatile])

    async def _flush_relay(self) -> None:
        while True:
            await asyncio.sleep(RELAY_EVERY_S)
            if not self._relay_buffer:
                continue
            batch, self._relay_buffer = self._relay_buffer, []
            body = json.dumps(batch, default=str, ensure_ascii=False, separators=(",", ":"))
            # Durable events at QoS 1; a burst of positions only is not worth a retry.
            qos = 1 if any(not v for _, _, v in batch) else 0
            self.parts.link.publish(self._events_topic, body, qos=qos)
