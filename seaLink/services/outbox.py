"""The outbox dispatcher: hands each vessel what it still has to receive, over the best link.

The store is the truth. A message goes out only while its vessel is reachable (status `online`,
or heard recently when no status is known); otherwise it waits, parked, and is re-armed when the
vessel says hello or comes online, then sent in priority order. Sent but not delivered: sent again
with backoff while the vessel is reachable. Expired: closed, never sent again. Acknowledgements
are applied by the ingest pipeline in the same transaction as the rest of their batch.

A reachable vessel never waits for news of its own: an outbox that starts (hub start, schedule
takeover) arms every vessel the store says is reachable, as if each had said hello, and every
`RECHECK_S` it arms the vessels that have parked messages although the store says they are
reachable (news this hub never saw, or saw out of order).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select

from seaLink.clock import Clock
from seaLink.domain.messaging import next_resend
from seaLink.links.mqtt_link import MqttLink
from seaLink.metrics import HubMetrics
from seaLink.services.events import EventBus
from seaLink.settings import MessagingSettings
from seaLink.store.db import Database
from seaLink.store.outage import StoreOutage
from seaLink.store.outbox_store import DueMessage, OutboxStore
from seaLink.store.tables import VesselState
from seaLink.wire.gateway import BeidouTxResult
from seaLink.wire.topics import Topics

log = logging.getLogger(__name__)


BEIDOU_RETRY_S = 1800
# At most this long between two looks at the store for vessels whose messages are parked although
# they are reachable there (their news went to a hub that died, or came out of order).
RECHECK_S = 10


class BeidouRoute(Protocol):
    """What the outbox needs to send by Beidou: a vessel's card, an online gateway, its results."""

    results: deque[BeidouTxResult]

    def card_of(self, vessel_id: str) -> str | None: ...

    def gateway(self) -> str | None: ...


@dataclass(slots=True)
class Reach:
    status: str | None = None  # online / offline from the status topic and the will
    last_heard: datetime | None = None
    offline_since: datetime | None = None
    news: int = 0  # Outbox._news when news of this vessel last came in


class Outbox:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        link: MqttLink,
        topics: Topics,
        settings: MessagingSettings,
        metrics: HubMetrics,
        events: EventBus,
    ) -> None:
        self.store = OutboxStore(db)
        self._db = db
        self._clock = clock
        self._link = link
        self._topics = topics
        self._settings = settings
        self._metrics = metrics
        self._events = events
        self._reach: dict[str, Reach] = {}
        self._inflight: dict[tuple[int, int], int] = {}  # (connection, mid) -> delivery id
        self._arm_queue: list[str] = []
        self._news = 0  # counts news of vessels; a store read taken before news must not undo it
        self._recheck_at: datetime | None = None  # next look at the store for parked vessels
        self._beidou_inflight: dict[str, int] = {}  # msg_id -> delivery id
        self._unconfirmed: list[int] = []  # broker-confirmed sends not yet marked (store away)
        self.beidou: BeidouRoute | None = None
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()
        self.activity = 0  # bumped on every send/ack round; the progress reporter watches it
        link.on_connected.append(self.kick)

    async def load(self) -> None:
        """Reachability from the store (start, schedule takeover). Every reachable vessel is then
        armed on the first round, as if it had said hello: news that came while no outbox was
        listening (a hub killed after committing a hello, a schedule changing hands) is not heard
        again, and what the last holder published may have died with its connection unconfirmed
        (never seen by the broker), which only a send again after the replay grace makes good."""
        mark = self._news
        vs = VesselState.__table__  # type: ignore[attr-defined]
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(select(vs.c.vessel_id, vs.c.link_status, vs.c.last_heard))
            ).all()
        for vid, status, heard in rows:
            r = self._reach.get(vid)
            if r is not None and r.news > mark:
                continue  # news committed after our read (a takeover while ingesting): newer
            self._reach[vid] = Reach(status, heard)
        now = self._clock.now()
        self._arm_queue.extend(v for v in self._reach if self.reachable(v, now))
        self._recheck_at = None

    # -- news from the ingest pipeline (after commit) ----------------------------------------------

    def _news_of(self, vessel_id: str) -> Reach:
        self._news += 1
        r = self._reach.setdefault(vessel_id, Reach())
        r.news = self._news
        return r

    def vessel_status(self, vessel_id: str, online: bool, at: datetime) -> None:
        r = self._news_of(vessel_id)
        was = self.reachable(vessel_id, at)
        r.status = "online" if online else "offline"
        r.offline_since = None if online else at
        if online and not was:
            self._arm_queue.append(vessel_id)
            self.kick()

    def vessel_hello(self, vessel_id: str, at: datetime) -> None:
        r = self._news_of(vessel_id)
        r.status = "online"
        r.offline_since = None
        r.last_heard = at
        self._arm_queue.append(vessel_id)
        self.kick()

    def vessel_heard(self, vessel_id: str, at: datetime) -> None:
        r = self._news_of(vessel_id)
        was = self.reachable(vessel_id, at)
        if r.last_heard is None or at > r.last_heard:
            r.last_heard = at
        if not was and self.reachable(vessel_id, at):
            self._arm_queue.append(vessel_id)
            self.kick()

    def acks_applied(self) -> None:
        self.activity += 1

    def reachable(self, vessel_id: str, now: datetime) -> bool:
        r = self._reach.get(vessel_id)
        if r is None:
            return False
        if r.status is not None:
            return r.status == "online"
        window = timedelta(seconds=self._settings.online_window_s)
        return r.last_heard is not None and now - r.last_heard <= window

    def link_now(self, vessel_id: str, now: datetime) -> str | None:
        """The link a message to this vessel would leave by now (`mqtt`, `beidou`), or None: it
        would wait until the vessel is reachable again. The same decision as `_dispatch`."""
        if self.reachable(vessel_id, now):
            return "mqtt"
        if self._beidou_route(vessel_id, now) is not None:
            return "beidou"
        return None

    def kick(self) -> None:
        self.idle.clear()
        self._wake.set()

    async def settle(self) -> None:
        self.kick()
        await self.idle.wait()

    # -- the loop ---------------------------------------------------------------------------------

    async def run(self) -> None:
        outage = StoreOutage("outbox", self._metrics.store_errors, logger=log)
        while True:
            self._wake.clear()
            now = self._clock.now()
            try:
                busy = await self._round(now)
                wake_at = None if busy else await self._next_wake(now)
            except Exception as exc:
                # The store is away (a PostgreSQL restart) or a round failed: nothing is lost
                # (the store is the truth), so wait and go round again.
                await outage.failed(exc)
                continue
            outage.recovered()
            if busy:
                continue
            self.idle.set()
            await self._wait(wake_at)

    async def _wait(self, wake_at: datetime | None) -> None:
        confirm = asyncio.ensure_future(self._link.published_ready.wait())
        tick = asyncio.ensure_future(self._clock.wait_until(wake_at, self._wake))
        try:
            await asyncio.wait({confirm, tick}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            confirm.cancel()
            tick.cancel()

    async def _next_wake(self, now: datetime) -> datetime:
        candidates = [now + timedelta(seconds=60)]
        if self._recheck_at is not None:
            candidates.append(self._recheck_at)
        for t in (await self.store.next_due(), await self.store.next_expiry(now)):
            if t is not None:
                candidates.append(t)
        return min(candidates)

    async def _round(self, now: datetime) -> bool:
        busy = False
        if self.beidou is not None and self.beidou.results:
            await self._beidou_results(now)
            busy = True
        if self._link.published or self._unconfirmed:
            await self._confirm_sent(now)
            busy = True
        if self._recheck_at is None or now >= self._recheck_at:
            await self._recheck(now)
            self._recheck_at = now + timedelta(seconds=RECHECK_S)
        if self._arm_queue:
            vessels, self._arm_queue = self._arm_queue, []
            grace = timedelta(seconds=self._settings.replay_grace_s)
            try:
                await self.store.arm(list(dict.fromkeys(vessels)), now, grace=grace)
            except Exception:
                self._arm_queue[:0] = vessels  # armed on the next round instead
                raise
            busy = True
        expired = await self.store.expire(now)
        if expired:
            self._metrics.outbox_expired.inc(len(expired))
            self.activity += 1
        if not self._link.connected.is_set():
            return busy
        due = await self.store.due(now, self._settings.dispatch_batch)
        if due:
            await self._dispatch(due, now)
            busy = True
        return busy

    async def _recheck(self, now: datetime) -> None:
        """Arm the vessels whose messages are parked although the store says they are reachable.
        The store has every committed status and sign of life, whichever hub committed it, while
        this hub may have missed the news (another hub died between its commit and its news) or
        had it out of order (another hub's older `offline` after the `online`)."""
        mark = self._news
        heard_since = now - timedelta(seconds=self._settings.online_window_s)
        for vid, status, heard in await self.store.parked_but_reachable(now, heard_since):
            r = self._reach.setdefault(vid, Reach())
            if r.news > mark:
                continue  # news during our read: newer than what we read, and acted upon
            r.status = status
            r.offline_since = None
            if heard is not None and (r.last_heard is None or heard > r.last_heard):
                r.last_heard = heard
            self._arm_queue.append(vid)

    def _beidou_route(self, vessel_id: str, now: datetime) -> tuple[str, str] | None:
        """(gateway, card) when the vessel has been unreachable on MQTT long enough to use Beidou."""
        if self.beidou is None:
            return None
        card = self.beidou.card_of(vessel_id)
        gateway = self.beidou.gateway()
        if card is None or gateway is None:
            return None
        r = self._reach.get(vessel_id)
        since = (r.offline_since or r.last_heard) if r else None
        if since is not None and now - since < timedelta(seconds=self._settings.beidou_after_s):
            return None
        return gateway, card

    def _send_beidou(self, m: DueMessage, gateway: str, card: str) -> bool:
        request = {
            "id": m.msg_id,
            "card": card,
            "priority": m.priority,
            "down": json.loads(m.payload),
        }
        topic = self._topics.gateway(gateway, "beidou", "tx")
        return (
            self._link.publish(topic, json.dumps(request, ensure_ascii=False).encode(), qos=1)
            is not None
        )

    async def _dispatch(self, due: list[DueMessage], now: datetime) -> None:
        attempts = []
        parked: list[str] = []
        limit = self._settings.max_attempts
        given_up = [m.id for m in due if m.attempts >= limit]
        if given_up:
            await self.store.fail(given_up, now, f"not delivered after {limit} attempts")
            self._metrics.outbox_failed.inc(len(given_up))
            self.activity += 1
            due = [m for m in due if m.attempts < limit]
        for m in due:
            if not self.reachable(m.vessel_id, now):
                route = self._beidou_route(m.vessel_id, now)
                if route is not None and self._send_beidou(m, *route):
                    # Beidou is slow and metered: wait for the gateway's result before trying again.
                    attempts.append(
                        {
                            "did": m.id,
                            "link": "beidou",
                            "attempts": m.attempts + 1,
                            "next_at": now + timedelta(seconds=BEIDOU_RETRY_S),
                        }
                    )
                    self._beidou_inflight[m.msg_id] = m.id
                    self._metrics.outbox_sent.labels("beidou").inc()
                    continue
                parked.append(m.vessel_id)
                continue
            mid = self._link.publish(self._topics.down(m.vessel_id), m.payload.encode(), qos=1)
            if mid is None:
                break  # the link went down: what is left stays due
            self._inflight[(self._link.connection, mid)] = m.id
            attempts.append(
                {
                    "did": m.id,
                    "link": "mqtt",
                    "attempts": m.attempts + 1,
                    "next_at": next_resend(m.attempts + 1, now),
                }
            )
        await self.store.record_attempts(attempts)
        await self.store.park(dict.fromkeys(parked), now)
        self._metrics.outbox_sent.labels("mqtt").inc(len(attempts))
        self.activity += 1

    async def _beidou_results(self, now: datetime) -> None:
        assert self.beidou is not None
        sent: list[tuple[int, str]] = []
        failed: list[tuple[int, str]] = []
        results = list(self.beidou.results)
        self.beidou.results.clear()
        try:
            for r in results:
                did = self._beidou_inflight.get(r.id)
                if did is None:
                    did = await self.store.delivery_id(r.id)
                if did is None:
                    continue
                (sent if r.outcome == "sent" else failed).append((did, r.reason or "failed"))
            await self.store.mark_sent([d for d, _ in sent], now)
            await self.store.record_failures(failed, now + timedelta(seconds=60))
        except Exception:
            self.beidou.results.extendleft(reversed(results))  # applied on the next round
            raise
        for r in results:
            self._beidou_inflight.pop(r.id, None)

    async def _confirm_sent(self, now: datetime) -> None:
        confirmed = []
        published = self._link.published
        self._link.published_ready.clear()
        while published:
            key = published.popleft()
            did = self._inflight.pop(key, None)
            if did is not None:
                confirmed.append(did)
        if len(self._inflight) > 200_000:
            # Packet ids of dropped connections are never confirmed; forget the old ones.
            current = self._link.connection
            self._inflight = {k: v for k, v in self._inflight.items() if k[0] == current}
        confirmed, self._unconfirmed = self._unconfirmed + confirmed, []
        try:
            await self.store.mark_sent(confirmed, now)
        except Exception:
            self._unconfirmed = confirmed  # marked on the next round instead
            raise
        self.activity += 1
