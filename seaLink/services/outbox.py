"""The outbox dispatcher: hands each vessel what it still has to receive, over the best link.

The store is the truth. The link is chosen per vessel and message, from what reaches the vessel
now (the rule, in docs/protocol.md section 7.10, "Link choice"):

- MQTT while the vessel's MQTT session is live: its status is `online` (or, no status known, it
  was heard on MQTT within `online_window_s`). A vessel that also has a Beidou card, while a
  Beidou gateway is online, must in addition have been heard on MQTT (an uplink, its hello or its
  status) within `online_window_s`: an `online` status with no MQTT uplink that long is a quiet
  link, not a live one. Signs of life by Beidou or AIS never make MQTT live.
- Otherwise Beidou when the vessel has a card and a Beidou gateway is online with its card, once
  MQTT has been offline for `beidou_after_s` (a boat that just dropped gets a moment to come back).
- Otherwise the message waits, parked, and is re-armed when the vessel says hello or comes online.

A link that goes quiet hands its pending messages to the other within `RECHECK_S` of the switch
(every `RECHECK_S` the vessels with a card and messages waiting on MQTT are looked at). Back on
MQTT, a copy the Beidou terminal already sent is not sent again (it waits for its acknowledgement
or its own resend time), and a copy still queued at the gateway is withdrawn first (`cancel`):
the boat gets each message once. Each copy's link is recorded in `delivery.copies`, each
acknowledgement's in `ack_event.link` (and the last one's in `delivery.ack_link`).

Sent but not delivered: sent again with backoff while the vessel is reachable. Expired: closed,
never sent again. Acknowledgements are applied by the ingest pipeline in the same transaction as
the rest of their batch.

A reachable vessel never waits for news of its own: an outbox that starts (hub start, schedule
takeover) arms every vessel the store says is reachable, as if each had said hello, and every
`RECHECK_S` it arms the vessels that have parked messages although the store says they are
reachable (news this hub never saw, or saw out of order).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from seaLink.clock import Clock
from seaLink.domain.messaging import next_resend
from seaLink.links.mqtt_link import PUBLISH_WINDOW, MqttLink
from seaLink.metrics import HubMetrics
from seaLink.services.events import EventBus
from seaLink.settings import MessagingSettings
from seaLink.store.db import Database
from seaLink.store.outage import StoreOutage
from seaLink.store.outbox_store import PARKED, DueKey, DueMessage, OutboxStore
from seaLink.store.tables import VesselState
from seaLink.turns import bulk_turn
from seaLink.wire.gateway import BeidouTxResult
from seaLink.wire.topics import Topics

log = logging.getLogger(__name__)


BEIDOU_RETRY_S = 1800
# At most this long between two looks at the store for vessels whose messages are parked although
# they are reachable there (their news went to a hub that died, or came out of order).
RECHECK_S = 10
_ATTEMPT = re.compile(r"\.t\d+$")
# How long to wait for a Beidou gateway to answer a withdrawal before sending by MQTT anyway.
WITHDRAW_S = 120
DISPATCH_TURN = 250  # messages handed to the links between turns given to the other tasks
# While a round's bookkeeping is being written (on SQLite it waits for the one write lock, which
# the ingest's batch of acknowledgements may hold for a few hundred ms), the next rounds go on
# handing out what comes after the last message handed out in the order `due` reads them, and
# anything more urgent, skipping what they handed out themselves; for at most this long, so
# that a message of the same priority due before that place (a resend come due) waits no longer
# than this for the full look that follows.
ONWARD_S = 2.0


def beidou_request_id(msg_id: str, attempt: int) -> str:
    """The id of one attempt's request to a gateway (which deduplicates by id, so a send again
    needs a new one): `<msg_id>.t<n>` (the bare id when that would be too long)."""
    request_id = f"{msg_id}.t{attempt}"
    return request_id if len(request_id) <= 64 else msg_id


def message_of(request_id: str) -> str:
    """The message id a gateway's result is about."""
    return _ATTEMPT.sub("", request_id)


def _broadcast_of(m: DueMessage) -> int | None:
    """The broadcast a message belongs to, for group sends (`b<bid>-<vessel>` ids only)."""
    if not m.msg_id.startswith("b"):
        return None
    bid = json.loads(m.payload).get("broadcast_id")
    return bid if isinstance(bid, int) else None


class BeidouRoute(Protocol):
    """What the outbox needs to send by Beidou (`beidou_pool.BeidouPool`): a vessel's card, the
    pool of shore gateways and the choice among them, their results (gateway id, result)."""

    results: deque[tuple[str, BeidouTxResult]]

    def card_of(self, vessel_id: str) -> str | None: ...

    def gateway(self, now: datetime | None = None) -> str | None: ...

    def members(self, now: datetime | None = None) -> list[str]: ...

    def pick(self, now: datetime) -> str | None: ...

    def answered(self, gid: str, result: BeidouTxResult, now: datetime) -> None: ...

    def release(self, gid: str) -> None: ...


@dataclass(slots=True)
class Reach:
    status: str | None = None  # online / offline from the status topic and the will
    last_heard: datetime | None = None  # on MQTT only (hello, uplinks, status)
    offline_since: datetime | None = None
    news: int = 0  # Outbox._news when news of this vessel last came in
    status_at: datetime | None = None  # when the status last said so


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
        beidou: BeidouRoute | None = None,
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
        self._beidou_gw: dict[str, str] = {}  # msg_id -> the gateway it was handed to
        self._beidou_req: dict[str, str] = {}  # msg_id -> the id of its request at that gateway
        self._group_inflight: dict[str, list[int]] = {}  # "g<bid>-<address>" -> delivery ids
        # Sent by Beidou, no reply asked: no receipt can ever come, so never sent again by Beidou.
        self._no_reply: set[int] = set()
        # msg_id -> when its cancel was published, and the gateways that may still hold it
        self._withdrawing: dict[str, tuple[datetime, set[str]]] = {}
        self._unconfirmed: list[int] = []  # broker-confirmed sends not yet marked (store away)
        # Attempts of the round before, written with the next round's confirmations (one
        # transaction a round), always before that round reads what is due.
        self._unrecorded: list[dict[str, Any]] = []
        self._writing: asyncio.Task[None] | None = None  # the bookkeeping being written
        self._after: DueKey | None = None  # the last message handed out since the last full look
        self._handed: set[int] = set()  # and every one handed out since (delivery ids)
        self._onward_since = 0.0  # (loop time) when that full look was
        self.beidou: BeidouRoute | None = beidou
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
        q = select(
            vs.c.vessel_id, vs.c.link_status, vs.c.last_heard, vs.c.last_link, vs.c.status_ts
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        for vid, status, heard, last_link, status_ts in rows:
            r = self._reach.get(vid)
            if r is not None and r.news > mark:
                continue  # news committed after our read (a takeover while ingesting): newer
            mqtt_heard = heard if last_link in (None, "mqtt") else None
            self._reach[vid] = Reach(status, mqtt_heard, status_at=status_ts)
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
        r.status_at = at
        r.offline_since = None if online else at
        if online and not was:
            self._arm_queue.append(vessel_id)
            self.kick()

    def vessel_hello(self, vessel_id: str, at: datetime) -> None:
        r = self._news_of(vessel_id)
        r.status = "online"
        r.status_at = at
        r.offline_since = None
        r.last_heard = at
        self._arm_queue.append(vessel_id)
        self.kick()

    def vessel_heard(self, vessel_id: str, at: datetime, link: str = "mqtt") -> None:
        if link != "mqtt":
            return  # a position by Beidou (or AIS) says nothing of the MQTT session
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
        """The vessel's MQTT session is live (the rule is in the module's docstring)."""
        r = self._reach.get(vessel_id)
        if r is None or r.status == "offline":
            return False
        window = timedelta(seconds=self._settings.online_window_s)
        heard = r.last_heard is not None and now - r.last_heard <= window
        if r.status is None:
            return heard
        if (
            self._beidou_card(vessel_id) is None
            or self.beidou is None
            or not self.beidou.gateway(now)
        ):
            return True  # no other link: the status is the best word there is
        return heard or (r.status_at is not None and now - r.status_at <= window)

    def _beidou_card(self, vessel_id: str) -> str | None:
        return None if self.beidou is None else self.beidou.card_of(vessel_id)

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
        try:
            await self._rounds()
        finally:
            writing = self._writing
            if writing is not None:
                # Stopped with the bookkeeping in flight: cut it, and wait until it has rolled
                # back and handed its connection back, before the hub closes the store. A task
                # left to finish by itself did that after the engine was gone: its connection
                # stayed "idle in transaction" on PostgreSQL, holding its row locks.
                writing.cancel()
                await asyncio.wait({writing})

    async def _rounds(self) -> None:
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
        if self._writing is not None and self._writing.done():
            await self._written()  # a write that failed raises here: an outage, as any other
        if self.beidou is not None and self.beidou.results:
            await self._beidou_results(now)
            busy = True
        if self._writing is None and (
            self._link.published or self._unconfirmed or self._unrecorded
        ):
            self._write_sends(now)
        busy = busy or self._writing is not None
        if self._recheck_at is None or now >= self._recheck_at:
            await self._recheck(now)
            await self._switch_to_beidou(now)
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
            if self._writing is not None:
                await asyncio.wait({self._writing})  # not round and round meanwhile
            return busy
        room = PUBLISH_WINDOW - self._link.awaiting_puback
        if room <= 0:  # the window is full: the next PUBACK (or a lost connection) makes room
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._link.published_ready.wait(), 1.0)
            return True
        limit = min(self._settings.dispatch_batch, room)
        clock = asyncio.get_running_loop().time()
        if self._writing is None:
            # Every message handed out is written down: a full look at what is due.
            self._after = None
            self._handed.clear()
            due = await self.store.due(now, limit)
            self._onward_since = clock
        elif self._after is not None and clock - self._onward_since < ONWARD_S:
            # Onward: what was handed out and is not yet written down is still due in the store.
            onward = await self.store.due(now, limit, after=self._after)
            due = [m for m in onward if m.id not in self._handed]
        else:
            due = []
        if not due:
            if self._writing is not None:
                await asyncio.wait({self._writing})  # collected on the next round
            return busy
        self._after = due[-1].key if self._after is None else max(self._after, due[-1].key)
        self._handed.update(m.id for m in due)
        await self._dispatch(due, now)
        return True

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

    def _beidou_route(self, vessel_id: str, now: datetime) -> str | None:
        """The vessel's card when MQTT does not reach it now and Beidou can: it has a card, a
        shore gateway is in the pool, and MQTT is not offline for less than `beidou_after_s`."""
        if self.beidou is None or self.reachable(vessel_id, now):
            return None
        card = self.beidou.card_of(vessel_id)
        if card is None or self.beidou.gateway(now) is None:
            return None
        r = self._reach.get(vessel_id)
        since = r.offline_since if r else None
        if since is not None and now - since < timedelta(seconds=self._settings.beidou_after_s):
            return None
        return card

    async def _switch_to_beidou(self, now: datetime) -> None:
        """Messages waiting on MQTT (parked, or sent and waiting to be sent again) of vessels that
        MQTT no longer reaches but Beidou does: due now, so that they leave by Beidou."""
        if self.beidou is None or self.beidou.gateway(now) is None:
            return
        moving = [
            v
            for v in await self.store.switch_candidates(now)
            if self._beidou_route(v, now) is not None
        ]
        if moving:
            await self.store.due_now(moving, now)
            self._metrics.outbox_link_switches.inc(len(moving))

    def _withdraw(self, m: DueMessage, now: datetime) -> bool:
        """`m` was handed to a Beidou gateway and no result came yet, and the vessel is back on
        MQTT: ask the gateway to drop it. True while its answer is awaited (the message waits);
        False when there is no gateway to ask or it did not answer in `WITHDRAW_S`."""
        asked = self._withdrawing.get(m.msg_id)
        if asked is not None:
            if now - asked[0] < timedelta(seconds=WITHDRAW_S):
                return True
            self._withdrawing.pop(m.msg_id, None)
            self._beidou_inflight.pop(m.msg_id, None)
            self._beidou_gw.pop(m.msg_id, None)
            self._beidou_req.pop(m.msg_id, None)
            return False
        card = self._beidou_card(m.vessel_id)
        if self.beidou is None or card is None:
            return False
        # The gateway it was handed to; after a hub restart, every gateway of the pool.
        known = self._beidou_gw.get(m.msg_id)
        gateways = [known] if known else self.beidou.members(now)
        request_id = beidou_request_id(m.msg_id, m.attempts)
        request = json.dumps({"id": request_id, "card": card, "cancel": True}).encode()
        asked_now = {
            gid
            for gid in gateways
            if self._link.publish(self._topics.gateway(gid, "beidou", "tx"), request, qos=1)
            is not None
        }
        if not asked_now:
            return False
        self._withdrawing[m.msg_id] = (now, asked_now)
        return True

    def _still_at_gateway(self, m: DueMessage, now: datetime) -> tuple[str, str, bool] | None:
        """The gateway and request id of `m`'s Beidou request when no result came for it yet and
        that gateway is still in the pool, and whether it was a group send (that one is left to
        its gateway: the group's other boats are in it too). None when not known (after a hub
        restart) or the gateway is gone: then it is sent anew."""
        if m.link != "beidou" or m.rank != 0 or self.beidou is None:
            return None
        key, group = m.msg_id, False
        if key not in self._beidou_req:
            key = next((k for k, dids in self._group_inflight.items() if m.id in dids), "")
            group = True
        gateway, request_id = self._beidou_gw.get(key), self._beidou_req.get(key)
        if gateway is None or request_id is None or gateway not in self.beidou.members(now):
            return None
        return gateway, request_id, group

    def _send_beidou(
        self, m: DueMessage, gateway: str, card: str, request_id: str | None = None
    ) -> bool:
        down = json.loads(m.payload)
        request_id = request_id or beidou_request_id(m.msg_id, m.attempts + 1)
        request = {
            "id": request_id,
            "card": card,
            "priority": m.priority,
            "down": down,
        }
        topic = self._topics.gateway(gateway, "beidou", "tx")
        body = json.dumps(request, ensure_ascii=False).encode()
        if self._link.publish(topic, body, qos=1) is None:
            return False
        if down.get("ack", "none") == "none":
            self._no_reply.add(m.id)
        self._beidou_req[m.msg_id] = request_id
        return True

    def _group_sends(self, due: list[DueMessage], now: datetime) -> list[dict[str, Any]]:
        """A broadcast due by Beidou to two or more boats of one Beidou group (通播): one send to
        the group's address, carrying the broadcast as `g<bid>`; each boat's ack of it counts as
        the ack of its own copy. Returns the attempts recorded (those messages are handled)."""
        groups = self._settings.beidou_groups
        if not groups or self.beidou is None:
            return []
        address_of = {card: address for address, cards in groups.items() for card in cards}
        buckets: dict[tuple[int, str], list[DueMessage]] = {}
        for m in due:
            if m.link == "beidou" and m.rank == 0:
                continue  # possibly still queued at a gateway: the single path handles it
            card = self._beidou_route(m.vessel_id, now)
            bid = _broadcast_of(m) if card in address_of else None
            if card is not None and bid is not None:
                buckets.setdefault((bid, address_of[card]), []).append(m)
        attempts: list[dict[str, Any]] = []
        for (bid, address), members in sorted(buckets.items()):
            if len(members) < 2:
                continue
            gateway = self.beidou.pick(now)
            if gateway is None:
                break
            down = json.loads(members[0].payload) | {"msg_id": f"g{bid}"}
            attempt = max(m.attempts for m in members) + 1
            request_id = beidou_request_id(f"g{bid}-{address}", attempt)
            request = {"id": request_id, "card": address, "priority": members[0].priority,
                       "down": down}  # fmt: skip
            topic = self._topics.gateway(gateway, "beidou", "tx")
            body = json.dumps(request, ensure_ascii=False).encode()
            if self._link.publish(topic, body, qos=1) is None:
                self.beidou.release(gateway)
                continue
            key = f"g{bid}-{address}"
            self._group_inflight[key] = [m.id for m in members]
            if down.get("ack", "none") == "none":
                self._no_reply.update(m.id for m in members)
            self._beidou_gw[key] = gateway
            self._beidou_req[key] = request_id
            self._metrics.outbox_sent.labels("beidou").inc()
            for m in members:
                attempts.append({"did": m.id, "link": "beidou", "attempts": m.attempts + 1,
                                 "next_at": now + timedelta(seconds=BEIDOU_RETRY_S)})  # fmt: skip
        return attempts

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
        grouped = self._group_sends(due, now)
        if grouped:
            await self.store.record_attempts(grouped)
            handled = {a["did"] for a in grouped}
            due = [m for m in due if m.id not in handled]
        for n, m in enumerate(due, 1):
            if n % DISPATCH_TURN == 0:
                # 2,000 publishes in one step held the loop ~50-130 ms: a coordinator's read
                # (the broadcast's roll-up) waited that long for its turn.
                await bulk_turn()
            # No MQTT copy while a Beidou gateway may still send one.
            queued_at_gateway = m.link == "beidou" and m.rank == 0
            if queued_at_gateway and self.reachable(m.vessel_id, now) and self._withdraw(m, now):
                attempts.append(
                    {
                        "did": m.id,
                        "link": "beidou",
                        "attempts": m.attempts,
                        "next_at": now + timedelta(seconds=WITHDRAW_S),
                    }
                )
                continue
            if not self.reachable(m.vessel_id, now):
                card = self._beidou_route(m.vessel_id, now)
                held = self._still_at_gateway(m, now) if card is not None else None
                if held is not None:
                    # No result yet from a gateway that is still up: its queue may be long. The
                    # same request again (it ignores an id it holds or sent, and takes it back
                    # if it lost it), never a second copy for the boat.
                    held_by, request_id, group = held
                    if group or self._send_beidou(m, held_by, card or "", request_id):
                        attempts.append({"did": m.id, "link": "beidou", "attempts": m.attempts + 1,
                                         "next_at": now + timedelta(seconds=BEIDOU_RETRY_S)})  # fmt: skip
                        continue
                gateway = self.beidou.pick(now) if card is not None and self.beidou else None
                if card is not None and gateway is not None and self._send_beidou(m, gateway, card):
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
                    self._beidou_gw[m.msg_id] = gateway
                    self._metrics.outbox_sent.labels("beidou").inc()
                    continue
                if gateway is not None and self.beidou is not None:
                    self.beidou.release(gateway)  # picked, but the request did not go out
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
        self._unrecorded.extend(attempts)
        await self.store.park(dict.fromkeys(parked), now)
        self._metrics.outbox_sent.labels("mqtt").inc(len(attempts))
        self.activity += 1

    async def _record_attempts(self) -> None:
        attempts, self._unrecorded = self._unrecorded, []
        try:
            await self.store.record_attempts(attempts)
        except Exception:
            self._unrecorded = attempts + self._unrecorded
            raise

    async def _beidou_results(self, now: datetime) -> None:
        assert self.beidou is not None
        await self._written()  # a result is applied over its attempt, never under it
        if self._unrecorded:
            await self._record_attempts()
        sent: list[tuple[int, str]] = []
        failed: list[tuple[int, str]] = []
        results = list(self.beidou.results)
        self.beidou.results.clear()
        done: list[str] = []
        try:
            withdrawn: list[tuple[int, str]] = []
            for gid, r in results:
                msg_id = message_of(r.id)
                if r.reason == "unknown_request":
                    # A gateway that never had it: withdrawn once no asked gateway may hold it.
                    pending = self._withdrawing.get(msg_id)
                    if pending is None:
                        continue
                    pending[1].discard(gid)
                    if pending[1]:
                        continue
                    r = r.model_copy(update={"reason": "cancelled"})
                elif self._beidou_gw.get(msg_id, gid) == gid:
                    self.beidou.answered(gid, r, now)
                done.append(msg_id)
                dids = self._group_inflight.get(msg_id)
                if dids is None:
                    did = self._beidou_inflight.get(msg_id)
                    if did is None:
                        did = await self.store.delivery_id(msg_id)
                    dids = [] if did is None else [did]
                for did in dids:
                    if r.outcome == "sent":
                        sent.append((did, ""))
                    elif r.reason == "cancelled":
                        withdrawn.append((did, "withdrawn from Beidou: back on MQTT"))
                    else:
                        failed.append((did, r.reason or "failed"))
            # Beidou is slow and metered: a sent copy waits for its acknowledgement; one that asks
            # for none is done (a Beidou terminal sends no receipt of its own).
            retry = now + timedelta(seconds=BEIDOU_RETRY_S)
            done_ids = {d for d, _ in sent if d in self._no_reply}
            await self.store.mark_sent(done_ids, now, link="beidou", next_at=now + PARKED)
            await self.store.mark_sent(
                [d for d, _ in sent if d not in done_ids], now, link="beidou", next_at=retry
            )
            await self.store.record_failures(failed, now + timedelta(seconds=60))
            await self.store.record_failures(withdrawn, now)
        except Exception:
            self.beidou.results.extendleft(reversed(results))  # applied on the next round
            raise
        self._no_reply.difference_update(d for d, _ in sent + failed + withdrawn)
        for msg_id in done:
            self._group_inflight.pop(msg_id, None)
            self._beidou_inflight.pop(msg_id, None)
            self._withdrawing.pop(msg_id, None)
            self._beidou_gw.pop(msg_id, None)
            self._beidou_req.pop(msg_id, None)

    def _write_sends(self, now: datetime) -> None:
        """The attempts handed out and the sends the broker confirmed since the last write, in
        one transaction, written while the next rounds go on (`ONWARD_S`)."""
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
        attempts, self._unrecorded = self._unrecorded, []
        self._writing = asyncio.create_task(
            self._record_sends(attempts, confirmed, now), name="outbox-bookkeeping"
        )

    async def _record_sends(
        self, attempts: list[dict[str, Any]], confirmed: list[int], now: datetime
    ) -> None:
        try:
            await self.store.record_sends(attempts, confirmed, now)
        except BaseException:
            self._unconfirmed = confirmed + self._unconfirmed  # written on a later round instead
            self._unrecorded = attempts + self._unrecorded
            raise
        self.activity += 1

    async def _written(self) -> None:
        """Wait for the bookkeeping being written; raise what stopped it."""
        writing = self._writing
        if writing is None:
            return
        await asyncio.wait({writing})
        if self._writing is writing:
            self._writing = None
        if not writing.cancelled():
            writing.result()
