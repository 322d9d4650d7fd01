"""One simulated terminal: a real paho MQTT v5 client, as a vendor's terminal would be.

- client id and username = vessel id; a persistent session (clean_start=False with a session
  expiry) so the broker keeps the vessel's down messages while it is away;
- will = retained `offline` on its status topic; on every connect: subscribe to `down` (QoS 1),
  retained `online`, `hello`, then whatever it kept while out of touch (backfill, acks);
- out of coverage or switched off, the socket is closed without DISCONNECT, so the broker
  publishes the will exactly as it would for a boat that sailed out of range.

Each terminal is a `seaLink.wire.session.MqttSession` (the hub's and the gateways' session class);
all of a process share one asyncio loop through one `seaLink.wire.mqtt.PahoAsyncio`, and every
callback here runs on that loop, so no locking is needed.
"""

from __future__ import annotations

import logging
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.reasoncodes import ReasonCode

from seaLink.wire import DownKind, DownMessage, Topics, UplinkKind
from seaLink.wire.backoff import doubling_delay
from seaLink.wire.geo import haversine_nm
from seaLink.wire.mqtt import BrokerAddress, PahoAsyncio
from seaLink.wire.session import MqttSession, SessionOwner, SessionSettings
from simulators import uplinks
from simulators.clock import Scheduler, SimClock
from simulators.coverage import CoverageModel, CoverageSettings
from simulators.fleet_csv import SimVessel
from simulators.geo import nearest_port, nearest_port_nm
from simulators.inbox import Inbox, Outcome, PlannedAck, as_utc, crew_names
from simulators.movement import IN_PORT, MoveFix, Track
from simulators.scenario import REQUEST_TEXTS, ScenarioEvent
from simulators.stats import FleetCounters, VesselRecord

log = logging.getLogger(__name__)
_STEAM_KN = 8.0  # what a skipper assumes when estimating time to a scene
# MQTT 5 PUBACK reason "No matching subscribers": accepted, given to nobody, dropped. Until the
# hubs subscribe again (a broker that forgot them over a restart), such an uplink is sent again
# after 2 s, doubling to 30 s (docs/protocol.md §4).
NO_MATCHING_SUBSCRIBERS = 0x10
RESEND_FIRST_S = 2.0
RESEND_MAX_S = 30.0
# A lost or refused connection is tried again after 1 s (times a random 0.5-1.5, so that a fleet
# does not come back all at once), doubling to 30 s.
RECONNECT_FIRST_S = 1.0
RECONNECT_MAX_S = 30.0


@dataclass(frozen=True, slots=True)
class TerminalSettings:
    terminal: str = "SeaLinkSim/1.0"
    keepalive_s: int = 60
    session_expiry_s: int = 86_400  # the broker keeps a day of down messages for a boat away
    connect_timeout_s: float = 5.0
    connack_timeout_s: float = 15.0
    max_backfill: int = 5000  # fixes a terminal keeps while out of coverage (oldest dropped)
    backfill_chunk: int = 200  # fixes per backfill message (~25 KB, under the hub's 64 KiB)
    max_pending: int = 1000  # acks, requests... kept while out of touch
    max_inflight: int = 100
    protocol: str = "5"  # "5" or "3.1.1" (the demo's embedded broker speaks only 3.1.1)
    port_reports: bool = True  # report leaving and entering port (up/port), as skippers must


@dataclass(slots=True)
class SimContext:
    """What all terminals of one process share."""

    topics: Topics
    broker: BrokerAddress
    adapter: PahoAsyncio
    scheduler: Scheduler
    clock: SimClock
    counters: FleetCounters
    coverage: CoverageSettings
    settings: TerminalSettings
    seed: int
    run_id: str
    fleet_ids: tuple[str, ...] = ()
    stopping: bool = False


@dataclass(slots=True)
class _Pending:
    topic: str
    payload: bytes
    expires: datetime | None = None
    on_sent: Callable[[], None] | None = None


@dataclass(slots=True)
class _Unacked:
    """An uplink published at QoS 1 whose PUBACK has not come yet."""

    topic: str
    payload: bytes
    no_subscribers: int = 0  # PUBACKs "no matching subscribers" it got so far


@dataclass(slots=True)
class _Distress:
    distress_id: str
    nature: str
    persons: int | None
    text: str | None
    repeat_s: float
    acked: bool = False
    cancelled: bool = False
    sends: int = 0
    info: dict[str, Any] = field(default_factory=dict)


class Terminal(SessionOwner):
    def __init__(
        self, spec: SimVessel, index: int, track: Track, interval_s: float, ctx: SimContext
    ) -> None:
        self.spec = spec
        self.vid = spec.id
        self.index = index
        self.track = track
        self.interval_s = interval_s
        self.ctx = ctx
        self.inbox = Inbox(ctx.seed, index, crew_names(ctx.seed, index, spec.persons))
        self.record = VesselRecord(received=self.inbox.received, acted=self.inbox.acted)
        self.coverage = CoverageModel(ctx.coverage, ctx.seed, index)
        self._rng_made: random.Random | None = None
        # Spread the reports of a fleet evenly over the interval.
        self._phase_s = random.Random(f"phase:{ctx.seed}:{index}").uniform(0.0, interval_s)
        t = ctx.topics
        self._t_position = t.up(self.vid, UplinkKind.POSITION)
        self._t_ack = t.up(self.vid, UplinkKind.ACK)
        self._t_status = t.status(self.vid)
        self._t_down = t.down(self.vid)
        self.powered = False
        self.link_up = True
        self.silent_until = -math.inf
        self.no_coverage_until = -math.inf
        self._backfill: deque[dict[str, Any]] = deque(maxlen=ctx.settings.max_backfill)
        self._pending: deque[_Pending] = deque(maxlen=ctx.settings.max_pending)
        # Packet id -> uplink, until its PUBACK (paho sends in-flight ones again on reconnect).
        self._unacked: dict[int, _Unacked] = {}
        self._resends_due = 0  # answered "no matching subscribers", waiting to be sent again
        self._distress: _Distress | None = None
        self._distress_no = 0
        self._request_no = 0
        self._port_no = 0
        self._in_port: bool | None = None  # as of the last fix taken (None: none yet)
        self._t_port = t.up(self.vid, UplinkKind.PORT)
        s = ctx.settings
        self.session = MqttSession(
            ctx.broker,
            SessionSettings(
                client_id=self.vid,
                protocol=s.protocol,
                keepalive_s=s.keepalive_s,
                session_expiry_s=s.session_expiry_s,
                username=self.vid,
                will=(self._t_status, b"offline"),
                max_inflight=s.max_inflight,
                connect_timeout_s=s.connect_timeout_s,
                connack_timeout_s=s.connack_timeout_s,
                reconnect_first_s=RECONNECT_FIRST_S,
                reconnect_max_s=RECONNECT_MAX_S,
                connect_in_thread=False,
                quiet=True,
            ),
            self,
            adapter=ctx.adapter,
            timer=ctx.scheduler.after_real,  # real seconds, whatever the simulation's speed
            jitter=self._jitter,  # no reconnect storms
        )
        self.session.start()  # connects whenever `mqtt_wanted()`

    @property
    def _rng(self) -> random.Random:
        """Reconnect jitter and request texts; made when first needed (2.5 KB per vessel)."""
        if self._rng_made is None:
            self._rng_made = random.Random(f"terminal:{self.ctx.seed}:{self.index}")
        return self._rng_made

    # -- MQTT session --------------------------------------------------------------------------

    @property
    def client(self) -> paho.Client:
        return self.session.client

    @property
    def online(self) -> bool:
        return self.session.online

    def _jitter(self) -> float:
        return self._rng.uniform(0.5, 1.5)

    def mqtt_wanted(self) -> bool:
        return (
            self.powered
            and not self.ctx.stopping
            and self.link_up
            and self.ctx.clock.now() >= self.silent_until
        )

    def _reconcile(self) -> None:
        """Bring the connection in line with power, silence and coverage."""
        if self.mqtt_wanted():
            self.session.ensure_connected()
        elif self.session.online or self.session.connecting:
            self._drop()

    def _drop(self) -> None:
        """Lose the link abruptly: no DISCONNECT, so the broker publishes the will."""
        self.session.drop()
        self.ctx.counters.drops += 1
        self.record.drops += 1

    def mqtt_subscriptions(self) -> list[tuple[str, int]]:
        # Subscribed before `hello`: the hub replays pending messages in answer to it.
        return [(self._t_down, 1)]

    def mqtt_connect_failed(self) -> None:
        self.ctx.counters.connect_errors += 1

    def mqtt_connected(self, session_present: bool) -> None:
        c = self.ctx.counters
        c.online += 1
        c.connects += 1
        self.record.connects += 1
        self._publish(self._t_status, b"online", retain=True)
        now = uplinks.now_utc()
        self._publish(
            self.ctx.topics.up(self.vid, UplinkKind.HELLO),
            uplinks.hello(f"{self.ctx.settings.terminal} {self.vid}", now),
        )
        self._flush_backfill()
        self._flush_pending()

    def mqtt_offline(self, lost: bool) -> None:
        self.ctx.counters.online -= 1
        if lost and not self.ctx.stopping:  # not by us: broker restart, keepalive timeout
            self.ctx.counters.disconnects += 1

    # -- sending -------------------------------------------------------------------------------

    def _publish(
        self, topic: str, payload: bytes, retain: bool = False, no_subscribers: int = 0
    ) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        # The retained status is not sent again: the broker keeps it for the hubs' subscription.
        if not retain and info.rc in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
            self._unacked[info.mid] = _Unacked(topic, payload, no_subscribers)

    def mqtt_published(self, mid: int, reason: ReasonCode | None) -> None:
        sent = self._unacked.pop(mid, None)
        if sent is None or getattr(reason, "value", 0) != NO_MATCHING_SUBSCRIBERS:
            return
        # No hub was subscribed, so nobody has it: keep it and send it again shortly.
        self.ctx.counters.resent_no_subscribers += 1
        sent.no_subscribers += 1
        delay = doubling_delay(RESEND_FIRST_S, RESEND_MAX_S, sent.no_subscribers)
        self._resends_due += 1
        self.ctx.scheduler.after_real(delay, partial(self._resend, sent))

    def _resend(self, sent: _Unacked) -> None:
        self._resends_due -= 1
        if self.ctx.stopping:
            return
        if self.online:
            self._publish(sent.topic, sent.payload, no_subscribers=sent.no_subscribers)
        else:  # with whatever else waits for the link
            self._pending.append(_Pending(sent.topic, sent.payload))

    @property
    def unsettled(self) -> int:
        """Uplinks not yet acknowledged by the broker as given to a subscriber."""
        return len(self._unacked) + self._resends_due

    def _send(
        self,
        topic: str,
        payload: bytes,
        expires: datetime | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> None:
        """Now if connected, else when the link is back (in order, expired ones dropped)."""
        if self.online:
            self._publish(topic, payload)
            if on_sent is not None:
                on_sent()
        else:
            self._pending.append(_Pending(topic, payload, expires, on_sent))

    def _flush_backfill(self) -> None:
        chunk_size = self.ctx.settings.backfill_chunk
        while self._backfill:
            chunk = [self._backfill.popleft() for _ in range(min(chunk_size, len(self._backfill)))]
            self._publish(self._t_position, uplinks.backfill(chunk))
            self.ctx.counters.backfill_msgs += 1
            self.ctx.counters.backfill_fixes += len(chunk)
            self.record.backfill_msgs += 1
            self.record.backfill_fixes += len(chunk)

    def _flush_pending(self) -> None:
        now = uplinks.now_utc()
        while self._pending and self.online:
            p = self._pending.popleft()
            if p.expires is not None and as_utc(p.expires) <= now:
                self.ctx.counters.acks_skipped_expired += 1
                continue
            self._publish(p.topic, p.payload)
            if p.on_sent is not None:
                p.on_sent()

    # -- the reporting cycle -------------------------------------------------------------------

    def power_on(self) -> None:
        """Switch the terminal on: connect, and report every interval from now."""
        self.powered = True
        self._reconcile()
        now = self.ctx.clock.now()
        k = max(0, math.ceil((now - self._phase_s) / self.interval_s))
        self.ctx.scheduler.at(self._phase_s + k * self.interval_s, partial(self._report, k))

    def _report(self, k: int) -> None:
        t = self._phase_s + k * self.interval_s
        if self.ctx.stopping:
            return
        self.ctx.scheduler.at(t + self.interval_s, partial(self._report, k + 1))
        fix = self.track.fix_at(t)
        up = self.coverage.link_up(self.link_up, nearest_port_nm(fix.lat, fix.lon))
        if t < self.silent_until:
            return  # switched off: no fix is taken, nothing is kept
        self.link_up = up and t >= self.no_coverage_until
        self._reconcile()
        now = uplinks.now_utc()
        self._port_passage(fix, now)
        if self.online:
            self._publish(self._t_position, uplinks.position(fix, now))
            self.ctx.counters.positions += 1
            self.record.positions += 1
        else:
            self._backfill.append(uplinks.fix_dict(fix, now))

    def _port_passage(self, fix: MoveFix, now: datetime) -> None:
        """Report leaving or entering port (进出港报告) at the first fix that shows it: kept and
        sent when the link is back, like a request."""
        in_port = fix.state == IN_PORT
        was, self._in_port = self._in_port, in_port
        if was is None or was == in_port or not self.ctx.settings.port_reports:
            return
        self._port_no += 1
        rid = f"{self.vid}-P{self._port_no}-{self.ctx.run_id}"
        harbour = nearest_port(fix.lat, fix.lon).name
        kind = "in" if in_port else "out"
        self._send(
            self._t_port, uplinks.port_report(rid, now, kind, harbour, self.spec.persons, fix)
        )

    # -- down messages -------------------------------------------------------------------------

    def mqtt_message(self, client: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        if msg.topic != self._t_down:
            return
        c = self.ctx.counters
        c.down_received += 1
        got = self.inbox.receive(bytes(msg.payload), uplinks.now_utc(), self._eta_min)
        if got.outcome is Outcome.INVALID:
            c.down_invalid += 1
            self.record.invalid_down += 1
            log.warning("sim: %s got an invalid down message: %s", self.vid, got.detail)
            return
        assert got.message is not None
        m = got.message
        if got.outcome is Outcome.DUPLICATE:
            c.down_duplicates += 1
            return
        if got.outcome is Outcome.EXPIRED:
            c.down_expired += 1
            if m.msg_id not in self.record.expired:
                self.record.expired.append(m.msg_id)
            return
        if m.kind is DownKind.DISTRESS_ACK:
            self._on_distress_ack(m)
        for planned in got.plan:
            act = partial(self._send_ack, m.msg_id, planned, m.expires)
            if planned.delay_s <= 0:
                act()
            else:
                self.ctx.scheduler.after(planned.delay_s, act)

    def _eta_min(self, m: DownMessage) -> int:
        extra = m.model_extra or {}
        lat, lon = extra.get("lat"), extra.get("lon")
        if not isinstance(lat, int | float) or not isinstance(lon, int | float):
            return 60  # no scene position given: "about an hour"
        fix = self.track.fix_at(self.ctx.clock.now())
        return min(10_000, round(haversine_nm(fix.lat, fix.lon, lat, lon) / _STEAM_KN * 60))

    def _send_ack(self, msg_id: str, planned: PlannedAck, expires: datetime | None) -> None:
        now = uplinks.now_utc()
        if expires is not None and as_utc(expires) <= now:
            self.ctx.counters.acks_skipped_expired += 1
            return

        def sent() -> None:
            self.ctx.counters.acks_sent += 1
            self.record.acks.setdefault(msg_id, []).append(planned.state.value)

        self._send(self._t_ack, uplinks.ack(msg_id, planned, now), expires, sent)

    # -- scenario actions ----------------------------------------------------------------------

    def silence(self, t: float, duration_s: float) -> None:
        """Terminal off: nothing sent or kept, the socket dropped without a goodbye."""
        self.silent_until = max(self.silent_until, t + duration_s)
        self._reconcile()
        self.ctx.scheduler.at(self.silent_until, self._reconcile)

    def out_of_coverage(self, t: float, duration_s: float) -> None:
        """The link goes, the terminal stays on: fixes are kept and sent as backfill later."""
        self.no_coverage_until = max(self.no_coverage_until, t + duration_s)
        self.link_up = False
        self._reconcile()
        self.ctx.scheduler.at(self.no_coverage_until, self._coverage_back)

    def _coverage_back(self) -> None:
        if self.ctx.clock.now() >= self.no_coverage_until:
            self.link_up = True
            self._reconcile()

    def goto(self, t: float, ev: ScenarioEvent) -> None:
        self.track.command_goto(t, ev.lat, ev.lon, ev.hold_s)

    def start_distress(self, t: float, ev: ScenarioEvent) -> None:
        self._distress_no += 1
        did = f"{self.vid}-D{self._distress_no}-{self.ctx.run_id}"
        persons = ev.persons if ev.persons is not None else self.spec.persons
        info: dict[str, Any] = {"nature": ev.nature, "sends": 0, "acked": False}
        self.record.distress[did] = info
        self._distress = _Distress(did, ev.nature, persons, ev.text, ev.repeat_s, info=info)
        self._distress_tick(did, t)

    def _distress_tick(self, did: str, t: float) -> None:
        """Repeat until the hub's distress_ack (or a cancel), like a DSC alert."""
        d = self._distress
        if d is None or d.distress_id != did or d.acked or d.cancelled or self.ctx.stopping:
            return
        self.ctx.scheduler.at(t + d.repeat_s, partial(self._distress_tick, did, t + d.repeat_s))
        if not self.online:
            return  # out of touch: the next repeat will try again
        payload = uplinks.distress(
            did, self.track.fix_at(t), uplinks.now_utc(), d.nature, d.persons, d.text
        )
        self._publish(self.ctx.topics.up(self.vid, UplinkKind.DISTRESS), payload)
        d.sends += 1
        d.info["sends"] = d.sends
        self.ctx.counters.distress_sent += 1

    def _on_distress_ack(self, m: DownMessage) -> None:
        did = (m.model_extra or {}).get("distress_id")
        d = self._distress
        if d is not None and did == d.distress_id:
            d.acked = True
            d.info["acked"] = True

    def cancel_distress(self, t: float, ev: ScenarioEvent) -> None:
        d = self._distress
        if d is None or d.cancelled:
            log.warning("sim: %s: cancel_distress without an active distress", self.vid)
            return
        d.cancelled = True
        d.info["cancelled"] = True
        payload = uplinks.cancel_distress(
            d.distress_id, self.track.fix_at(t), uplinks.now_utc(), ev.reason
        )
        self._send(self.ctx.topics.up(self.vid, UplinkKind.DISTRESS), payload)

    def request(self, t: float, ev: ScenarioEvent) -> None:
        self._request_no += 1
        rid = f"{self.vid}-R{self._request_no}-{self.ctx.run_id}"
        text = ev.text or self._rng.choice(REQUEST_TEXTS)
        payload = uplinks.request(rid, uplinks.now_utc(), ev.category, text)

        def sent() -> None:
            self.ctx.counters.requests_sent += 1
            self.record.requests.append(rid)

        self._send(self.ctx.topics.up(self.vid, UplinkKind.REQUEST), payload, None, sent)

    def fault(self, t: float, ev: ScenarioEvent) -> None:
        fix, now = self.track.fix_at(t), uplinks.now_utc()
        topic = self._t_position
        if ev.fault == "malformed_json":
            payload = uplinks.malformed_json(fix, now)
        elif ev.fault == "wrong_types":
            payload = uplinks.wrong_types(fix, now)
        elif ev.fault == "oversized":
            payload = uplinks.oversized(fix, now, ev.size)
        elif ev.fault == "future_ts":
            payload = uplinks.future_ts(fix, now)
        elif ev.fault == "bad_status":
            topic, payload = self._t_status, b"maybe"
        else:  # wrong_vessel: a valid fix on another boat's topic (spoofing)
            others = [v for v in self.ctx.fleet_ids if v != self.vid] or ["NA00000"]
            other = random.Random(f"fault:{self.ctx.seed}:{ev.number}").choice(others)
            topic = self.ctx.topics.up(other, UplinkKind.POSITION)
            payload = uplinks.position(fix, now)

        def sent() -> None:
            self.ctx.counters.faults_sent += 1

        self._send(topic, payload, None, sent)

    # -- stop ----------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Switch off cleanly: say `offline` (a clean DISCONNECT fires no will), then go."""
        self.powered = False
        if self.online:
            self._publish(self._t_status, b"offline", retain=True)
            self.session.disconnect()
        elif self.session.connecting:
            self.session.drop()

    def closed(self) -> bool:
        return self.session.client.socket() is None
