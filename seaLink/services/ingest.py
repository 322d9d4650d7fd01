"""The uplink pipeline: every message the broker delivers goes through these steps, in order.

    parse topic -> known vessel -> sender is the vessel -> decode and validate payload
    -> check timestamps -> add to the batch plan (or dead-letter it with its reason)
    -> commit the batch -> PUBACK to the broker -> tell the contact watch and the live view

A batch is whatever arrived while the previous one was committing (group commit): small and quick
when traffic is light, large and efficient under load. Nothing is acknowledged before it is stored.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from seaLink.clock import Clock
from seaLink.domain.events import BeidouResultsArrived, DomainEvent
from seaLink.domain.ports import PortIndex
from seaLink.links.mqtt_link import MqttLink, RawUplink
from seaLink.metrics import HubMetrics
from seaLink.services.event_routes import EventRouter
from seaLink.services.gateway_uplinks import GatewayTopic, GatewayUplinks
from seaLink.services.port_reports import resolve as resolve_port
from seaLink.services.refusal_notices import NOTICE_PREFIX, RefusalNotices
from seaLink.services.registry import RegistryCache
from seaLink.services.uplink_steps import (
    BEIDOU,
    BEIDOU_NOTE,
    Accepted,
    PlanContext,
    Refused,
    Verdict,
    finish_plan,
    plan_into,
    plan_verdicts,
)
from seaLink.services.uplink_times import TimeWindow
from seaLink.settings import IngestSettings
from seaLink.store import write_gate
from seaLink.store.batch import BatchPlan
from seaLink.store.ingest_writes import IngestWriter
from seaLink.store.outage import StoreOutage
from seaLink.store.outbox_store import OutboxStore
from seaLink.turns import bulk_turn
from seaLink.wire.codec import Decoded, Rejection, RejectReason, decode_uplink
from seaLink.wire.gateway import GatewayKind
from seaLink.wire.nmea import parse_nmea_fixes
from seaLink.wire.payloads import PortReportPayload
from seaLink.wire.topics import TopicError, Topics, UplinkKind, VesselTopic

log = logging.getLogger(__name__)

_URGENT_LANE: contextvars.ContextVar[bool] = contextvars.ContextVar("urgent_lane", default=False)
_OUR_FAULTS = (RejectReason.INTERNAL_ERROR, RejectReason.STORE_REFUSED)
_VESSEL_TOPICS_MAX = 200_000  # about 250 bytes each
_HOLD_MAX_S = 2.0
_YIELD_EVERY = 500  # uplinks classified between turns given to the other tasks (~5 ms of work)


class IngestPipeline:
    def __init__(
        self,
        *,
        link: MqttLink,
        writer: IngestWriter,
        registry: RegistryCache,
        deliveries: OutboxStore,
        router: EventRouter,
        ports: PortIndex,
        clock: Clock,
        settings: IngestSettings,
        topics: Topics,
        metrics: HubMetrics,
        request_due: timedelta,
        gateway_kinds: dict[str, GatewayKind] | None = None,
        gateways: GatewayUplinks | None = None,
    ) -> None:
        self._link = link
        self._writer = writer
        self._registry = registry
        self._deliveries = deliveries
        self._router = router
        # The hub's own, shared with the outbox's Beidou pool and the rescue search; a pipeline
        # for an adopted session keeps its own.
        self.gateways = gateways or GatewayUplinks(registry, topics, metrics, gateway_kinds)
        # Labelled children looked up once, and counted once per batch: this runs for every uplink.
        self._uplink_counters = {k: metrics.uplinks.labels(k.value) for k in UplinkKind}
        self._uplinks_seen: dict[UplinkKind, int] = dict.fromkeys(UplinkKind, 0)
        # Vessel topics already parsed (a vessel's position topic repeats all day). Bounded: an
        # unregistered or hostile publisher cannot grow it without limit.
        self._vessel_topics: dict[str, VesselTopic] = {}
        self._window = TimeWindow.at(clock.now(), settings)
        self.notices = RefusalNotices(
            link, registry, topics, metrics, settings.refusal_notices_per_min
        )
        self._ports = ports
        self._clock = clock
        self._settings = settings
        self._topics = topics
        self._metrics = metrics
        self._main_outage = StoreOutage("ingest", metrics.store_errors, logger=log)
        # The distress lane waits out an outage on its own: one lane's recovery must not end
        # (and its next failure start) the other's outage in the log.
        self._urgent_outage = StoreOutage("distress lane", metrics.store_errors, logger=log)
        # A lane's reads (vessels, the messages acks name) too: the next batch is judged while
        # one commits, and a read that works (or needs no store) must not end the outage of a
        # commit that is still failing.
        self._main_reads = StoreOutage("ingest (reading)", metrics.store_errors, logger=log)
        self._urgent_reads = StoreOutage(
            "distress lane (reading)", metrics.store_errors, logger=log
        )
        self.committed = 0  # uplinks committed since start (tests and benchmarks read it)
        self.idle = asyncio.Event()
        self.urgent_idle = asyncio.Event()
        self.urgent_idle.set()
        self._urgent_lane_running = False
        self._hold_timer: asyncio.TimerHandle | None = None
        # A probe of committed batches (benchmarks measure publish-to-commit latency here).
        self.on_committed: Callable[[list[RawUplink]], None] | None = None
        self._request_due = request_due

    async def run(self) -> None:
        """Batch after batch, in order. While one batch commits (its statements run in
        SQLite's thread or in PostgreSQL meanwhile), what arrives is judged into the next, up to
        a full batch; commits, acknowledgements to the broker and events keep the order the
        uplinks came in."""
        inbox = self._link.inbox
        full = self._settings.batch_max
        committing: asyncio.Task[None] | None = None
        try:
            while True:
                if not inbox:
                    if committing is not None and committing.done():
                        await committing  # (raises what stopped it)
                        committing = None
                        continue
                    if committing is None:
                        self.idle.set()
                    await self._uplinks_or_done(committing)
                    continue
                self.idle.clear()
                batch: list[RawUplink] = []
                judged: list[list[Verdict]] = []
                while True:
                    more = [inbox.popleft() for _ in range(min(len(inbox), full - len(batch)))]
                    batch += more
                    judged += await self._judge_all(more)
                    if committing is None or committing.done() or len(batch) >= full:
                        break
                    if not inbox:
                        await self._uplinks_or_done(committing)
                ready = await self._plan_batch(batch, judged)
                if committing is not None:
                    await committing
                committing = asyncio.create_task(self._finish(ready), name="ingest-commit")
        finally:
            if committing is not None and not committing.done():
                committing.cancel()
                await asyncio.wait({committing})

    async def _uplinks_or_done(self, committing: asyncio.Task[None] | None) -> None:
        """Until more uplinks arrive or the commit in flight is done, whichever comes first."""
        self._link.inbox_ready.clear()
        arrived = asyncio.ensure_future(self._link.inbox_ready.wait())
        waits: set[asyncio.Future[Any]] = {arrived}
        if committing is not None:
            waits.add(committing)
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            arrived.cancel()

    @property
    def _outage(self) -> StoreOutage:
        """The calling lane's commits'."""
        return self._urgent_outage if _URGENT_LANE.get() else self._main_outage

    @property
    def _reads_outage(self) -> StoreOutage:
        return self._urgent_reads if _URGENT_LANE.get() else self._main_reads

    async def run_urgent(self) -> None:
        """The distress lane: the same steps as `run`, for distress calls only, in a task of its
        own, so that a call is stored, acknowledged and announced while a large batch of positions
        (or a commit stuck behind a lock on the positions) is still in progress. Each lane
        commits in its own transaction; on PostgreSQL on its own connection. The lane is fed by
        the main session (its copies of distress calls) and by the hub's urgent session, whose
        copies do not wait in the broker behind the main session's backlog; the second copy of
        a call is a no-op."""
        urgent = self._link.urgent
        self._urgent_lane_running = True
        _URGENT_LANE.set(True)  # this task's context only
        write_gate.mark_urgent()  # on SQLite, its commits take the write lock before any other
        while True:
            if not urgent:
                self._hold_main_session(False)
                self.urgent_idle.set()
                self._link.urgent_ready.clear()
                await self._link.urgent_ready.wait()
                continue
            self.urgent_idle.clear()
            self._hold_main_session(True)
            batch = [urgent.popleft() for _ in range(len(urgent))]
            await self.process(batch, urgent=True)

    def _hold_main_session(self, held: bool) -> None:
        """While the lane works, the main session reads nothing: on a saturated hub, parsing the
        flood behind a distress took most of every turn of the loop, and the distress's ten or so
        store round trips each waited a turn (seconds in all). Never for longer than
        `_HOLD_MAX_S` a batch: a lane stuck on its store must not stop the hub hearing boats."""
        if self._hold_timer is not None:
            self._hold_timer.cancel()
            self._hold_timer = None
        self._link.hold_uplinks(held)
        if held:
            loop = asyncio.get_running_loop()
            self._hold_timer = loop.call_later(_HOLD_MAX_S, self._link.hold_uplinks, False)

    @property
    def drained(self) -> bool:
        """Nothing delivered is waiting or being committed, in either lane."""
        link = self._link
        return (
            not link.inbox and not link.urgent and self.idle.is_set() and self.urgent_idle.is_set()
        )

    async def _let_distress_pass(self) -> None:
        """Before the main lane commits: a distress waiting or being written goes first. On
        SQLite there is one writer, and a busy writer that begins its next transaction at once
        would keep a waiting one out for many batches."""
        if not self._urgent_lane_running:
            return
        while self._link.urgent or not self.urgent_idle.is_set():
            if self.urgent_idle.is_set():
                await asyncio.sleep(0)  # queued: the lane's task has not woken yet
            else:
                await self.urgent_idle.wait()

    async def process(self, batch: list[RawUplink], *, urgent: bool = False) -> None:
        """One batch, whole: judged, planned, committed, acknowledged, announced."""
        judged = await self._judge_all(batch, urgent=urgent)
        await self._finish(await self._plan_batch(batch, judged, urgent=urgent))

    async def _judge_all(
        self, batch: list[RawUplink], *, urgent: bool = False
    ) -> list[list[Verdict]]:
        """Accept or refuse each message (a store read: the vessels not yet known)."""
        if not batch:
            return []
        now = self._clock.now()
        parsed = [self._parse_topic(raw) for raw in batch]
        vessels = {
            p.vessel_id
            for p in parsed
            if isinstance(p, VesselTopic | _TopicRefused) and p.vessel_id
        }
        # The batch is held (not acknowledged) however long the store is away.
        await self._reads_outage.until_done(lambda: self._registry.resolve(vessels))
        judged: list[list[Verdict]] = []
        for i, (raw, topic) in enumerate(zip(batch, parsed, strict=True), 1):
            judged.append(self._judge(raw, topic, now))
            if i % _YIELD_EVERY == 0:
                # Let other tasks take a turn: one that holds SQLite's write lock across awaits
                # (zone watch, outbox, alerting) then finishes sooner and our commit waits less.
                # A distress being stored meanwhile takes every turn it needs first.
                if not urgent:
                    await self._let_distress_pass()
                await bulk_turn()
        return judged

    async def _plan_batch(
        self, batch: list[RawUplink], judged: list[list[Verdict]], *, urgent: bool = False
    ) -> _Prepared:
        """The batch's plan (a store read: the messages its acknowledgements name)."""
        self._count_uplinks()
        await self._check_acks(judged)
        self._note_refusals(judged)
        ctx = PlanContext(
            self._clock.now(),
            self._registry,
            self._request_due,
            self._settings.dead_letter_payload_bytes,
        )
        plan = await self._plan(judged, ctx, top=True)
        return _Prepared(batch, judged, ctx, plan, urgent)

    async def _finish(self, ready: _Prepared) -> None:
        """Commit a planned batch, acknowledge it to the broker, announce what it changed."""
        batch, judged, now, urgent = ready.batch, ready.judged, ready.ctx.now, ready.urgent
        if not urgent:
            await self._let_distress_pass()
        events = await self._store(judged, ready.ctx, plan=ready.plan)
        # What follows the commit is done a slice a turn: for 5,000 acks it was one step of the
        # loop of 50 ms or more, that a coordinator's read (a broadcast's roll-up) waited behind.
        for start in range(0, len(batch), _YIELD_EVERY):
            part = batch[start : start + _YIELD_EVERY]
            if start:
                await bulk_turn()
            for link in {raw.via or self._link for raw in part}:
                link.ack(part)  # each session acknowledges what it delivered
        self.notices.tell(
            [v for verdicts in judged for v in verdicts if isinstance(v, Refused)], now
        )
        self.committed += len(batch)
        self._metrics.ingest_latency.observe(time.monotonic() - batch[0].received_mono)
        if self.on_committed is not None:
            self.on_committed(batch)
        if self.gateways.tx_results:
            events.append(BeidouResultsArrived())
        for start in range(0, len(events), _YIELD_EVERY):
            if start:
                await bulk_turn()
            self._router.dispatch(events[start : start + _YIELD_EVERY])

    def health(self) -> dict[str, Any]:
        """For /healthz: a writer whose commits keep failing is stalled (nothing is stored or
        acknowledged meanwhile; the broker queues what arrives). Either lane: a distress that
        cannot be stored while no other uplink comes in stalls the hub as surely."""
        lanes = {
            "main": (self._main_outage, self._main_reads),
            "distress": (self._urgent_outage, self._urgent_reads),
        }
        down = {
            lane: min(o.since for o in outages if o.since is not None)
            for lane, outages in lanes.items()
            if any(o.since is not None for o in outages)
        }
        since = min(down.values(), default=None)
        return {
            "writer": "ok" if since is None else "stalled",
            "stalled_s": None if since is None else round(time.monotonic() - since, 1),
            "stalled_lanes": sorted(down),
            "committed": self.committed,
            "backlog": len(self._link.inbox) + len(self._link.urgent),
        }

    # -- steps ---------------------------------------------------------------------------------

    def _in_port_at(self, lat: float, lon: float) -> bool:
        return self._ports.port_at(lat, lon) is not None

    def _count_uplinks(self) -> None:
        seen = self._uplinks_seen
        for kind, n in seen.items():
            if n:
                self._uplink_counters[kind].inc(n)
                seen[kind] = 0

    def _parse_topic(self, raw: RawUplink) -> VesselTopic | GatewayTopic | _TopicRefused:
        known = self._vessel_topics.get(raw.topic)
        if known is not None:
            return known
        gateway = self.gateways.parse_topic(raw.topic)
        if gateway is not None:
            return gateway
        try:
            parsed = self._topics.parse_vessel(raw.topic)
        except TopicError as exc:
            return _TopicRefused(Rejection(RejectReason(exc.reason), exc.detail), exc.vessel_id)
        if len(self._vessel_topics) >= _VESSEL_TOPICS_MAX:
            self._vessel_topics.clear()
        self._vessel_topics[raw.topic] = parsed
        return parsed

    def _judge(
        self, raw: RawUplink, topic: VesselTopic | GatewayTopic | _TopicRefused, now: datetime
    ) -> list[Verdict]:
        """Accept or refuse one message; a fault of ours costs that message only."""
        try:
            if isinstance(topic, GatewayTopic):
                verdicts = self.gateways.classify(raw, topic, now)
                return [self._beidou_timed(v, now) for v in verdicts]
            if isinstance(topic, _TopicRefused):
                return [Refused(raw, topic.vessel_id, topic.rejection)]
            return self._judge_vessel(raw, topic, now)
        except Exception as exc:
            log.exception("ingest: judging the uplink on %s failed", raw.topic[:120])
            detail = f"{type(exc).__name__} while checking the message: {exc}"[:500]
            vid = topic.vessel_id if isinstance(topic, VesselTopic) else None
            return [Refused(raw, vid, Rejection(RejectReason.INTERNAL_ERROR, detail))]

    def _judge_vessel(self, raw: RawUplink, topic: VesselTopic, now: datetime) -> list[Verdict]:
        vid = topic.vessel_id
        self._uplinks_seen[topic.kind] += 1
        if not raw.payload:
            return []  # empty: how MQTT clears a retained message (ours too); nothing to judge
        if raw.retain and topic.kind is not UplinkKind.STATUS:
            # Only the status may be retained: any other retained uplink would come back after
            # every restart. It is taken (a distress is never refused for how it was sent; its
            # id keeps a replay from raising it again) and cleared from the broker.
            self._link.publish(raw.topic, b"", qos=1, retain=True)
            self._metrics.retained_cleared.inc()
        if self._registry.get(vid) is None:
            detail = f"vessel {vid!r} is not registered"
            return [Refused(raw, vid, Rejection(RejectReason.UNKNOWN_VESSEL, detail))]
        if self._link_sender_mismatch(raw, vid):
            detail = f"published by client {raw.sender!r} on the topic of vessel {vid!r}"
            return [Refused(raw, vid, Rejection(RejectReason.VESSEL_MISMATCH, detail))]
        decoded = decode_uplink(
            topic.kind,
            raw.payload,
            max_bytes=self._settings.max_payload_bytes,
            max_fixes=self._settings.max_fixes_per_message,
        )
        if isinstance(decoded, Rejection):
            return [Refused(raw, vid, decoded)]
        if topic.kind is not UplinkKind.NMEA:
            decoded = self._in_window(decoded, now)
            if isinstance(decoded, Rejection):
                return [Refused(raw, vid, decoded)]
        if topic.kind is UplinkKind.NMEA:
            assert isinstance(decoded, list)
            return self._judge_nmea(raw, vid, decoded, now)  # type: ignore[arg-type]
        if isinstance(decoded, PortReportPayload):
            decoded = resolve_port(decoded, self._ports, self._settings.port_report_near_nmi)
            if isinstance(decoded, Rejection):
                return [Refused(raw, vid, decoded)]
        return [Accepted(raw, vid, topic.kind, decoded)]

    def _judge_nmea(
        self, raw: RawUplink, vid: str, lines: list[str], now: datetime
    ) -> list[Verdict]:
        fixes, problems = parse_nmea_fixes(lines, now=now)
        out: list[Verdict] = []
        if problems:
            first = problems[0]
            detail = (
                f"{len(problems)} sentence(s) refused, first: {first.reason} {first.line[:60]!r}"
            )
            out.append(Refused(raw, vid, Rejection(RejectReason.BAD_NMEA, detail)))
        if fixes:
            timed = self._in_window(fixes, now)
            if isinstance(timed, Rejection):
                out.append(Refused(raw, vid, timed))
            else:
                out.append(Accepted(raw, vid, UplinkKind.POSITION, timed))
        return out

    def _link_sender_mismatch(self, raw: RawUplink, vid: str) -> bool:
        """Where the broker stamps the publisher's client id, it must be the topic's vessel."""
        return self._link.checks_sender and raw.sender != vid

    def _beidou_timed(self, v: Verdict, now: datetime) -> Verdict:
        """A boat's message relayed by a Beidou gateway keeps the same time window as on MQTT
        (AIS times are the receiver's, already no later than now)."""
        if not isinstance(v, Accepted) or v.link != BEIDOU or v.kind == BEIDOU_NOTE:
            return v
        timed = self._in_window(v.payload, now)
        if isinstance(timed, Rejection):
            return Refused(v.raw, v.vessel_id, timed)
        return replace(v, payload=timed)

    def _in_window(self, decoded: Decoded, now: datetime) -> Decoded | Rejection:
        """The payload with its times judged against the batch's window (`uplink_times`). The
        window is built once per batch time: the two lanes (distress, the rest) each bring their
        own `now`."""
        window = self._window
        if window.now != now:
            window = self._window = TimeWindow.at(now, self._settings)
        judged, stale = window.judge(decoded)
        if stale:
            self._metrics.stale_fixes.inc(stale)
        return judged

    async def _check_acks(self, judged: list[list[Verdict]]) -> None:
        """Acks must name a message the hub sent to this very vessel (one store read a batch)."""
        acks = [
            (verdicts, i, v)
            for verdicts in judged
            for i, v in enumerate(verdicts)
            if isinstance(v, Accepted) and v.kind == UplinkKind.ACK
        ]
        if not acks:
            return
        # A `delivered` for a refusal notice (never in the outbox) is taken and ignored: refusing
        # it would answer a notice with a notice.
        for verdicts, i, v in reversed(acks):
            if v.payload.msg_id.startswith(NOTICE_PREFIX):
                del verdicts[i]
        acks = [a for a in acks if not a[2].payload.msg_id.startswith(NOTICE_PREFIX)]
        if not acks:
            return
        keys = {(v.payload.msg_id, v.vessel_id) for _verdicts, _i, v in acks}
        known = set(
            await self._reads_outage.until_done(lambda: self._deliveries.known_messages(keys))
        )
        for verdicts, i, v in acks:
            if (v.payload.msg_id, v.vessel_id) not in known:
                detail = f"no message {v.payload.msg_id!r} was sent to vessel {v.vessel_id!r}"
                rej = Rejection(RejectReason.UNKNOWN_MESSAGE, detail)
                verdicts[i] = Refused(v.raw, v.vessel_id, rej)

    def _note_refusals(self, judged: list[list[Verdict]]) -> None:
        for verdicts in judged:
            for v in verdicts:
                if isinstance(v, Refused):
                    self._count_refusal(v)

    def _count_refusal(self, v: Refused) -> None:
        rej = v.rejection
        self._metrics.rejected.labels(rej.reason.value).inc()
        level = logging.ERROR if rej.reason in _OUR_FAULTS else logging.INFO
        log.log(
            level, "uplink refused (%s) on %s: %s", rej.reason.value, v.raw.topic[:120], rej.detail
        )

    async def _plan(
        self, judged: list[list[Verdict]], ctx: PlanContext, *, top: bool = False
    ) -> BatchPlan:
        plan = BatchPlan()
        failed: list[Refused] = []
        # A slice a turn: 5,000 acknowledgements planned at once were one step of the loop of
        # tens of milliseconds, that every other task (a coordinator's read) waited behind.
        for start in range(0, len(judged), _YIELD_EVERY):
            if start:
                await bulk_turn()
            part = judged[start : start + _YIELD_EVERY]
            plan_into(plan, failed, (v for verdicts in part for v in verdicts), ctx)
        finish_plan(plan, ctx)
        if top:
            for bad in failed:
                self._count_refusal(bad)
        plan.settle_ports(self._in_port_at)
        return plan

    async def _store(
        self, judged: list[list[Verdict]], ctx: PlanContext, *, plan: BatchPlan | None = None
    ) -> list[DomainEvent]:
        """Commit the messages' plan (`plan`: the whole batch's, made beforehand). Should the
        database refuse it (not an outage: the data), halve the batch until the message it
        refuses is found; that one is dead-lettered as `store_refused` and the rest stored, so
        no single message can hold ingest up."""
        top = plan is not None
        if plan is None:
            plan = await self._plan(judged, ctx)
        try:
            return await self._commit(plan)
        except Exception as exc:
            if len(judged) > 1:
                if top:
                    log.error(
                        "ingest: the database refused a batch of %d uplinks (%s: %s); "
                        "looking for the message it refuses",
                        len(judged), type(exc).__name__, _first_line(exc),
                    )  # fmt: skip
                half = len(judged) // 2
                return await self._store(judged[:half], ctx) + await self._store(judged[half:], ctx)
            return await self._refuse_stored(judged[0], exc, ctx)

    async def _refuse_stored(
        self, verdicts: list[Verdict], exc: Exception, ctx: PlanContext
    ) -> list[DomainEvent]:
        if not verdicts:
            return []
        raw = verdicts[0].raw
        vid = next((v.vessel_id for v in verdicts if v.vessel_id), None)
        rej = Rejection(RejectReason.STORE_REFUSED, f"{type(exc).__name__}: {_first_line(exc)}")
        bad = Refused(raw, vid, rej)
        self._count_refusal(bad)
        plan, _ = plan_verdicts([bad], ctx)
        try:
            return await self._commit(plan)
        except Exception:
            # Not even its dead letter can be stored: the log keeps it, the loop goes on.
            log.exception(
                "ingest: could not keep the refused uplink on %s; payload (base64): %s",
                raw.topic[:120], base64.b64encode(raw.payload[:4096]).decode(),
            )  # fmt: skip
            return []

    async def _commit(self, plan: BatchPlan) -> list[DomainEvent]:
        started = 0.0

        async def commit() -> list[DomainEvent]:
            nonlocal started
            started = time.perf_counter()
            return await self._writer.commit(plan)

        # Not acknowledged, so not lost: an unreachable store is retried however long it takes
        # (the broker keeps the rest queued meanwhile; the outage is logged once). Any other
        # error is the data's: raised, for `_store` to find the message.
        events = await self._outage.until_done(commit)
        self._metrics.commit_seconds.observe(time.perf_counter() - started)
        if plan.positions:
            backfilled = sum(1 for p in plan.positions if p["backfill"])
            self._metrics.positions.labels("false").inc(len(plan.positions) - backfilled)
            if backfilled:
                self._metrics.positions.labels("true").inc(backfilled)
        if plan.in_batch_duplicates:
            self._metrics.duplicates.inc(plan.in_batch_duplicates)
        return events


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A batch judged and planned, ready to commit."""

    batch: list[RawUplink]
    judged: list[list[Verdict]]
    ctx: PlanContext
    plan: BatchPlan
    urgent: bool


@dataclass(frozen=True, slots=True)
class _TopicRefused:
    """A topic the hub refuses, and the vessel whose branch it is in (when well-formed)."""

    rejection: Rejection
    vessel_id: str | None


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0][:300] if text else ""
