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
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from seaLink.clock import Clock
from seaLink.domain.ports import PortIndex
from seaLink.links.mqtt_link import MqttLink, RawUplink
from seaLink.metrics import HubMetrics
from seaLink.services.contact_watch import ContactWatch
from seaLink.services.events import EventBus
from seaLink.services.gateway_uplinks import GatewayTopic, GatewayUplinks
from seaLink.services.outbox import Outbox
from seaLink.services.registry import RegistryCache
from seaLink.services.zone_watch import Observed
from seaLink.settings import IngestSettings
from seaLink.store.batch import BatchPlan, Heard
from seaLink.store.distress_writes import DistressItem, DistressOutcome
from seaLink.store.ingest_writes import IngestWriter
from seaLink.store.outage import StoreOutage
from seaLink.wire.codec import Rejection, RejectReason, decode_uplink
from seaLink.wire.nmea import parse_nmea_fixes
from seaLink.wire.payloads import (
    AckPayload,
    AckState,
    DistressPayload,
    Fix,
    HelloPayload,
    NavState,
    RequestPayload,
)
from seaLink.wire.topics import TopicError, Topics, UplinkKind, VesselTopic

log = logging.getLogger(__name__)

MQTT = "mqtt"
_VESSEL_TOPICS_MAX = 200_000  # about 250 bytes each
_YIELD_EVERY = 500  # uplinks classified between turns given to the other tasks (~5 ms of work)


class IngestPipeline:
    def __init__(
        self,
        *,
        link: MqttLink,
        writer: IngestWriter,
        registry: RegistryCache,
        watch: ContactWatch,
        outbox: Outbox,
        ports: PortIndex,
        clock: Clock,
        settings: IngestSettings,
        topics: Topics,
        metrics: HubMetrics,
        events: EventBus,
    ) -> None:
        self._link = link
        self._writer = writer
        self._registry = registry
        self._watch = watch
        self._outbox = outbox
        self._acks_to_check: list[tuple[RawUplink, str, AckPayload, str]] = []
        self.gateways = GatewayUplinks(self, registry, topics, metrics)
        # Labelled children looked up once, and counted once per batch: this runs for every uplink.
        self._uplink_counters = {k: metrics.uplinks.labels(k.value) for k in UplinkKind}
        self._uplinks_seen: dict[UplinkKind, int] = dict.fromkeys(UplinkKind, 0)
        # Vessel topics already parsed (a vessel's position topic repeats all day). Bounded: an
        # unregistered or hostile publisher cannot grow it without limit.
        self._vessel_topics: dict[str, VesselTopic] = {}
        self._future_limit = datetime.min.replace(tzinfo=UTC)
        self._ports = ports
        self._clock = clock
        self._settings = settings
        self._topics = topics
        self._metrics = metrics
        self._events = events
        self._outage = StoreOutage("ingest", metrics.store_errors, logger=log)
        self.committed = 0  # uplinks committed since start (tests and benchmarks read it)
        self.idle = asyncio.Event()
        # Observers of committed batches (benchmarks measure publish-to-commit latency here).
        self.on_committed: list[Callable[[list[RawUplink]], None]] = []
        self.on_distress: list[Callable[[DistressOutcome], None]] = []
        self.on_incident_log: list[Callable[[dict[str, Any]], None]] = []
        self.on_fixes: list[Callable[[list[Observed]], None]] = []
        self.on_requests: list[Callable[[list[int], datetime, dict[int, str]], None]] = []
        self.forward: Callable[[BatchPlan], bool] | None = None
        self.request_due = timedelta(hours=1)

    async def run(self) -> None:
        inbox = self._link.inbox
        while True:
            if not inbox:
                self.idle.set()
                self._link.inbox_ready.clear()
                await self._link.inbox_ready.wait()
                continue
            self.idle.clear()
            n = min(len(inbox), self._settings.batch_max)
            batch = [inbox.popleft() for _ in range(n)]
            await self.process(batch)

    async def process(self, batch: list[RawUplink]) -> None:
        now = self._clock.now()
        self._future_limit = now + timedelta(seconds=self._settings.future_skew_s)
        parsed = [self._parse_topic(raw) for raw in batch]
        vessels = {p.vessel_id for p in parsed if isinstance(p, VesselTopic)}
        # The batch is held (not acknowledged) however long the store is away.
        await self._outage.until_done(lambda: self._registry.resolve(vessels))
        plan = BatchPlan()
        self._acks_to_check = []
        for i, (raw, topic) in enumerate(zip(batch, parsed, strict=True), 1):
            self._classify(raw, topic, now, plan)
            if i % _YIELD_EVERY == 0:
                # Let other tasks take a turn: one that holds SQLite's write lock across awaits
                # (zone watch, outbox, alerting) then finishes sooner and our commit waits less.
                await asyncio.sleep(0)
        self._count_uplinks()
        plan.settle_ports(self._in_port_at)
        if self._acks_to_check:
            known = await self._outage.until_done(self._known_messages)
            self._check_acks(plan, now, known)
        await self._commit(plan)
        self._link.ack(batch)
        self.committed += len(batch)
        self._metrics.ingest_latency.observe(time.monotonic() - batch[0].received_mono)
        for observer in self.on_committed:
            observer(batch)
        self._after_commit(plan)

    # -- steps ---------------------------------------------------------------------------------

    def _in_port_at(self, lat: float, lon: float) -> bool:
        return self._ports.port_at(lat, lon) is not None

    def _count_uplinks(self) -> None:
        seen = self._uplinks_seen
        for kind, n in seen.items():
            if n:
                self._uplink_counters[kind].inc(n)
                seen[kind] = 0

    def _parse_topic(self, raw: RawUplink) -> VesselTopic | GatewayTopic | Rejection:
        known = self._vessel_topics.get(raw.topic)
        if known is not None:
            return known
        gateway = self.gateways.parse_topic(raw.topic)
        if gateway is not None:
            return gateway
        try:
            parsed = self._topics.parse_vessel(raw.topic)
        except TopicError as exc:
            return Rejection(RejectReason(exc.reason), exc.detail)
        if len(self._vessel_topics) >= _VESSEL_TOPICS_MAX:
            self._vessel_topics.clear()
        self._vessel_topics[raw.topic] = parsed
        return parsed

    def _classify(
        self,
        raw: RawUplink,
        topic: VesselTopic | GatewayTopic | Rejection,
        now: datetime,
        plan: BatchPlan,
    ) -> None:
        if isinstance(topic, GatewayTopic):
            self.gateways.classify(raw, topic, now, plan)
            return
        if isinstance(topic, Rejection):
            self._reject(raw, None, topic, now, plan)
            return
        vid = topic.vessel_id
        self._uplinks_seen[topic.kind] += 1
        if self._registry.get(vid) is None:
            self._reject(
                raw,
                vid,
                Rejection(RejectReason.UNKNOWN_VESSEL, f"vessel {vid!r} is not registered"),
                now,
                plan,
            )
            return
        if self._link_sender_mismatch(raw, vid):
            detail = f"published by client {raw.sender!r} on the topic of vessel {vid!r}"
            self._reject(raw, vid, Rejection(RejectReason.VESSEL_MISMATCH, detail), now, plan)
            return
        decoded = decode_uplink(
            topic.kind,
            raw.payload,
            max_bytes=self._settings.max_payload_bytes,
            max_fixes=self._settings.max_fixes_per_message,
        )
        if isinstance(decoded, Rejection):
            self._reject(raw, vid, decoded, now, plan)
            return
        future = self._future_ts(decoded)
        if future is not None:
            detail = f"timestamp {future.isoformat()} is ahead of the hub's clock {now.isoformat()}"
            self._reject(raw, vid, Rejection(RejectReason.TS_IN_FUTURE, detail), now, plan)
            return
        self._apply(vid, topic.kind, decoded, raw, now, plan)

    def _link_sender_mismatch(self, raw: RawUplink, vid: str) -> bool:
        """Where the broker stamps the publisher's client id, it must be the topic's vessel."""
        return self._link.checks_sender and raw.sender != vid

    def _future_ts(self, decoded: object) -> datetime | None:
        limit = self._future_limit  # now + the allowed skew, once per batch
        if isinstance(decoded, list):
            for item in decoded:
                if isinstance(item, Fix) and item.ts > limit:
                    return item.ts
            return None
        ts = getattr(decoded, "ts", None)
        if isinstance(ts, datetime) and ts > limit:
            return ts
        return None

    def _apply(
        self,
        vid: str,
        kind: UplinkKind,
        decoded: object,
        raw: RawUplink,
        now: datetime,
        plan: BatchPlan,
        link: str = MQTT,
    ) -> None:
        if kind is UplinkKind.POSITION:
            assert isinstance(decoded, list)
            self._apply_fixes(vid, decoded, now, plan, link)
        elif kind is UplinkKind.HELLO:
            assert isinstance(decoded, HelloPayload)
            plan.hello[vid] = (decoded.terminal, decoded.ts)
            plan.hellos.add(vid)
            plan.hear(vid, Heard(min(decoded.ts, now), link))
            self._journal(vid, kind, f"hello:{decoded.ts.isoformat()}", decoded.ts, raw, now, plan)
        elif kind is UplinkKind.STATUS:
            assert isinstance(decoded, str)
            plan.status[vid] = (decoded, now)
            plan.online[vid] = decoded == "online"
            if decoded == "online":
                plan.hear(vid, Heard(now, link))
        elif kind is UplinkKind.ACK:
            assert isinstance(decoded, AckPayload)
            self._acks_to_check.append((raw, vid, decoded, link))
            plan.hear(vid, Heard(min(decoded.ts, now), link))
        elif kind is UplinkKind.DISTRESS:
            assert isinstance(decoded, DistressPayload)
            key = f"{decoded.distress_id}:{'cancel' if decoded.cancel else decoded.ts.isoformat()}"
            self._journal(vid, kind, key, decoded.ts, raw, now, plan)
            info = self._registry.get(vid)
            assert info is not None
            plan.distress.append(DistressItem(vid, info.grid_id, info.hull_name, decoded, link))
            plan.distress_now = now
            plan.hear(vid, Heard(min(decoded.ts, now), link))
        elif kind is UplinkKind.REQUEST:
            assert isinstance(decoded, RequestPayload)
            info = self._registry.get(vid)
            assert info is not None
            plan.requests.append(
                {
                    "vessel_id": vid,
                    "grid_id": info.grid_id,
                    "request_id": decoded.request_id,
                    "category": decoded.category,
                    "text": decoded.text,
                    "ts": decoded.ts,
                    "received_at": now,
                    "state": "open",
                    "due_at": now + self.request_due,
                    "reminded": 0,
                    "replies": 0,
                }
            )
            plan.hear(vid, Heard(min(decoded.ts, now), link))
        elif kind is UplinkKind.NMEA:
            assert isinstance(decoded, list)
            fixes, problems = parse_nmea_fixes(decoded, now=now)
            if problems:
                first = problems[0]
                detail = f"{len(problems)} sentence(s) refused, first: {first.reason} {first.line[:60]!r}"
                self._reject(raw, vid, Rejection(RejectReason.BAD_NMEA, detail), now, plan)
            if fixes:
                self._apply_fixes(vid, fixes, now, plan, link)

    async def _known_messages(self) -> set[tuple[str, str]]:
        keys = {(a.msg_id, vid) for _raw, vid, a, _link in self._acks_to_check}
        return set(await self._outbox.store.known_messages(keys))

    def _check_acks(self, plan: BatchPlan, now: datetime, known: set[tuple[str, str]]) -> None:
        """Acks must name a message the hub sent to this very vessel."""
        for raw, vid, a, link in self._acks_to_check:
            if (a.msg_id, vid) not in known:
                detail = f"no message {a.msg_id!r} was sent to vessel {vid!r}"
                self._reject(raw, vid, Rejection(RejectReason.UNKNOWN_MESSAGE, detail), now, plan)
                continue
            plan.acks.append(
                {"m": a.msg_id, "v": vid, "ts": min(a.ts, now), "state": a.state.value}
            )
            self._rescue_reply(vid, a, now, plan)
            plan.ack_events.append(
                {
                    "msg_id": a.msg_id,
                    "vessel_id": vid,
                    "state": a.state.value,
                    "ts": a.ts,
                    "received_at": now,
                    "link": link,
                    "crew": json.dumps(a.crew or [], ensure_ascii=False),
                    "text": a.text or "",
                    "answers": json.dumps(a.answers or [], ensure_ascii=False),
                    "eta_min": a.eta_min,
                    "recall": a.recall.model_dump_json(exclude_none=True) if a.recall else None,
                }
            )

    def _rescue_reply(self, vid: str, a: AckPayload, now: datetime, plan: BatchPlan) -> None:
        """A boat's answer to a rescue task goes into the incident's log, in the same commit."""
        if not a.msg_id.startswith("rt") or a.state not in (AckState.ACCEPTED, AckState.DECLINED):
            return
        try:
            incident_id = int(a.msg_id[2:].split("-", 1)[0])
        except ValueError:
            return
        info = self._registry.get(vid)
        name = info.hull_name if info and info.hull_name else vid
        if a.state is AckState.ACCEPTED:
            eta = f"，预计 {a.eta_min} 分钟到达" if a.eta_min is not None else ""
            text = f"{name} 接受救援任务{eta}" + (f"：{a.text}" if a.text else "")
        else:
            text = f"{name} 拒绝救援任务" + (f"：{a.text}" if a.text else "")
        plan.incident_logs.append(
            {
                "incident_id": incident_id,
                "ts": now,
                "actor": f"vessel:{vid}",
                "kind": f"task_{a.state.value}",
                "text": text,
            }
        )

    def _apply_fixes(
        self, vid: str, fixes: list[Fix], now: datetime, plan: BatchPlan, link: str = MQTT
    ) -> None:
        live: Fix | None = None
        for fix in fixes:
            plan.add_fix(vid, fix, link, now)
            if not fix.backfill and (live is None or fix.ts > live.ts):
                live = fix
        if live is not None:
            # Backfilled fixes are history: drawn on the track, never a sign of life now.
            if live.state is NavState.IN_PORT:
                plan.hear(vid, Heard(min(live.ts, now), link, True))
            else:  # in a port's circle? looked up once per vessel and batch (`settle_ports`)
                plan.hear(vid, Heard(min(live.ts, now), link, None, (live.lat, live.lon)))

    def _journal(
        self,
        vid: str,
        kind: UplinkKind,
        key: str,
        ts: datetime,
        raw: RawUplink,
        now: datetime,
        plan: BatchPlan,
    ) -> None:
        plan.journal.append(
            {
                "vessel_id": vid,
                "kind": kind.value,
                "key": key[:96],
                "ts": ts,
                "received_at": now,
                "payload": raw.payload.decode("utf-8", "replace"),
            }
        )

    def _reject(
        self, raw: RawUplink, vid: str | None, rej: Rejection, now: datetime, plan: BatchPlan
    ) -> None:
        self._metrics.rejected.labels(rej.reason.value).inc()
        log.info("uplink rejected (%s) on %s: %s", rej.reason.value, raw.topic[:120], rej.detail)
        keep = raw.payload[: self._settings.dead_letter_payload_bytes]
        try:
            text = keep.decode("utf-8")
        except UnicodeDecodeError:
            text = "base64:" + base64.b64encode(keep).decode()
        plan.dead_letters.append(
            {
                "received_at": now,
                "topic": raw.topic[:256],
                "vessel_id": vid,
                "reason": rej.reason.value,
                "detail": rej.detail,
                "payload": text,
                "payload_bytes": len(raw.payload),
            }
        )

    async def _commit(self, plan: BatchPlan) -> None:
        started = 0.0

        async def commit() -> None:
            nonlocal started
            started = time.perf_counter()
            await self._writer.commit(plan)

        # Not acknowledged, so not lost: keep retrying (whatever failed); the broker keeps the
        # rest queued meanwhile. A store outage is logged once, not once per attempt.
        await self._outage.until_done(commit, only_outages=False)
        self._metrics.commit_seconds.observe(time.perf_counter() - started)
        if plan.positions:
            backfilled = sum(1 for p in plan.positions if p["backfill"])
            self._metrics.positions.labels("false").inc(len(plan.positions) - backfilled)
            if backfilled:
                self._metrics.positions.labels("true").inc(backfilled)
        if plan.in_batch_duplicates:
            self._metrics.duplicates.inc(plan.in_batch_duplicates)

    def _after_commit(self, plan: BatchPlan) -> None:
        # Several hubs: a hub that does not hold the scheduler lease forwards the batch's news to
        # the one that does (it keeps only its own live position events).
        if self.forward is None or not self.forward(plan):
            self.apply_news(plan)
        self._publish_positions(plan)

    def apply_news(self, plan: BatchPlan) -> None:
        """Tell the stateful services what a committed batch changed (here or on another hub)."""
        now = self._clock.now()
        for vid, heard in plan.heard.items():
            self._watch.heard(vid, heard.at, heard.link, heard.in_port)
            self._outbox.vessel_heard(vid, heard.at)
        for vid, online in plan.online.items():
            self._outbox.vessel_status(vid, online, now)
        for vid in plan.hellos:
            self._outbox.vessel_hello(vid, now)
        if self.gateways.tx_results:
            self._outbox.kick()
        if plan.distress_outcomes:
            self._outbox.kick()
            for outcome in plan.distress_outcomes:
                for observer in self.on_distress:
                    observer(outcome)
        if plan.positions:
            fixes = [
                Observed(p["vessel_id"], p["lat"], p["lon"], p["ts"], p["nav_state"], p["backfill"])
                for p in plan.positions
            ]
            for fix_observer in self.on_fixes:
                fix_observer(fixes)
        if plan.new_requests:
            for req_observer in self.on_requests:
                req_observer(
                    list(plan.new_requests), now + self.request_due, dict(plan.new_requests)
                )
        for entry in plan.incident_logs:
            for log_observer in self.on_incident_log:
                log_observer(entry)
        if plan.acks:
            for a in plan.acks:
                self._metrics.acks.labels(a["state"]).inc()
            self._outbox.acks_applied()

    def _publish_positions(self, plan: BatchPlan) -> None:
        for vid, fix in plan.latest_fix.items():
            info = self._registry.get(vid)
            self._events.publish(
                "position",
                {
                    "vessel_id": vid,
                    "grid_id": info.grid_id if info else None,
                    "ts": fix.ts.isoformat(),
                    "lat": fix.lat,
                    "lon": fix.lon,
                    "sog": fix.sog,
                    "cog": fix.cog,
                    "backfill": fix.backfill,
                    "state": fix.state.value if fix.state else None,
                },
                volatile=True,
            )
