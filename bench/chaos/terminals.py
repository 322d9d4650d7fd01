"""Simulated vessel terminals for the chaos run: real MQTT clients that keep their own books.

Each terminal does what docs/protocol.md asks of a vessel (persistent session, retained status
and will, hello, subscribe to its down topic, keep what it could not send and send it when back,
repeat a distress until the hub's `distress_ack`, deduplicate down messages by `msg_id`,
acknowledge them) and counts, so that the run can be judged from the boats' side:

- every fix it made, and which of them the broker acknowledged (PUBACK): those must be stored;
- every copy of every down message (raw receipts), and the messages it showed (once per msg_id).

All terminals run on one asyncio loop (paho driven by `PahoAsyncio`, no threads); each vessel is
one named task that reports, flaps its link at random (seeded) and reconnects.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from seaLink.wire.mqtt import PahoAsyncio, parse_broker_url
from seaLink.wire.topics import Topics

SESSION_EXPIRY_S = 3600
NO_MATCHING_SUBSCRIBERS = 0x10  # an MQTT 5 PUBACK reason code: accepted, but sent to nobody
ACK_STATES = {"none": ("delivered",), "read": ("delivered", "read")}
CONFIRM_STATES = ("delivered", "read", "acknowledged")


@dataclass(slots=True)
class Outgoing:
    """One QoS 1 publish waiting for its PUBACK (kept to be sent again after a lost link)."""

    kind: str
    topic: str
    payload: str
    fixes: tuple[datetime, ...] = ()


@dataclass(slots=True)
class Distress:
    distress_id: str
    started: float  # monotonic
    sends: int = 0
    last_sent: float = 0.0
    acked_at: float | None = None  # when the distress_ack reached the terminal


@dataclass
class TerminalBooks:
    """What one terminal saw and did: the run's evidence from the boat's side."""

    fixes_made: set[datetime] = field(default_factory=set)
    fixes_accepted: set[datetime] = field(default_factory=set)  # the broker sent PUBACK
    # fix -> (PUBACK reason code, wall-clock time of the PUBACK): the evidence for a lost fix.
    puback_of: dict[datetime, tuple[int, float]] = field(default_factory=dict)
    no_subscribers: int = 0  # PUBACKs saying "no matching subscribers" (0x10)
    uplinks_sent: int = 0
    uplinks_acked: int = 0
    copies: Counter[str] = field(default_factory=Counter)  # msg_id -> raw receipts
    shown: dict[str, dict[str, Any]] = field(default_factory=dict)  # msg_id -> first copy
    connects: int = 0
    drops: int = 0  # link lost, by flapping or by the broker going away
    link_log: list[tuple[float, str]] = field(default_factory=list)  # (wall clock, up / down)


class ChaosTerminal:
    def __init__(
        self,
        fleet: TerminalFleet,
        vessel_id: str,
        grid_id: str,
        lat: float,
        lon: float,
        rng: random.Random,
    ) -> None:
        self.fleet = fleet
        self.vessel_id = vessel_id
        self.grid_id = grid_id
        self.lat, self.lon = lat, lon
        self.rng = rng
        self.books = TerminalBooks()
        self.distress: Distress | None = None
        self.client: paho.Client | None = None
        self.connected = False
        self._inflight: dict[int, Outgoing] = {}  # mid of the current client -> publish
        self._resend: list[Outgoing] = []  # not acknowledged when the link went
        self._retry: list[Outgoing] = []  # acknowledged with "no matching subscribers"
        self._retry_at = 0.0
        self._offline_fixes: list[dict[str, Any]] = []  # made while out of coverage
        self._last_ts = datetime.now(UTC) - timedelta(seconds=1)
        self.reconnect_at = 0.0
        self.wake = asyncio.Event()

    # --- link ---------------------------------------------------------------------------------

    def connect(self) -> None:
        topics = self.fleet.topics
        c = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.vessel_id,
            protocol=paho.MQTTv5,
        )
        c.will_set(topics.status(self.vessel_id), b"offline", qos=1, retain=True)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self.fleet.adapter.attach(c)
        self.client = c
        try:
            c.connect(self.fleet.addr.host, self.fleet.addr.port, 30, clean_start=False,
                      properties=props)  # fmt: skip
        except OSError:  # the broker is down (being restarted): try again soon
            self._lost(flap=False)

    def _on_connect(self, c: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if c is not self.client:
            return
        if rc.is_failure:
            self._cut(c)
            self._lost(flap=False)
            return
        topics = self.fleet.topics
        self.connected = True
        self.books.connects += 1
        self.books.link_log.append((time.time(), "up"))
        c.publish(topics.status(self.vessel_id), b"online", qos=1, retain=True)
        c.subscribe(topics.down(self.vessel_id), qos=1)
        self._publish("hello", json.dumps({"ts": self._now_iso(), "terminal": "chaos/1"}))
        # What the last link did not get acknowledged, then the fixes kept while away.
        resend, self._resend = self._resend, []
        for out in resend:
            self._send(out)
        if self._offline_fixes:
            fixes, self._offline_fixes = self._offline_fixes, []
            for i in range(0, len(fixes), 500):
                chunk = fixes[i : i + 500]
                self._send(
                    Outgoing(
                        "position",
                        topics.up(self.vessel_id, "position"),
                        json.dumps(chunk),
                        tuple(_parse_ts(f["ts"]) for f in chunk),
                    )
                )
        self.wake.set()

    def _on_disconnect(self, c: paho.Client, _u: Any, _f: Any, _rc: Any, _p: Any = None) -> None:
        if c is self.client:
            self._lost(flap=False)

    def drop(self) -> None:
        """Lose the link abruptly (no DISCONNECT), as a boat leaving coverage: the will fires."""
        if self.client is not None:
            self._cut(self.client)
            self._lost(flap=True)

    def _cut(self, c: paho.Client) -> None:
        """Close the socket under paho and stop watching it; the client object is dropped."""
        sock = c.socket()
        self.fleet.adapter.detach(c)
        # paho would tell the loop about this socket again when the client is collected.
        c.on_socket_close = c.on_socket_unregister_write = None
        if sock is not None:
            loop = asyncio.get_running_loop()
            loop.remove_reader(sock)
            loop.remove_writer(sock)
            sock.close()

    def _lost(self, *, flap: bool) -> None:
        if self.client is not None:
            self.fleet.adapter.detach(self.client)
        if self.connected:
            self.books.drops += 1
            self.books.link_log.append((time.time(), "down"))
        self.client = None
        self.connected = False
        self._resend.extend(self._inflight.values())
        self._inflight.clear()
        if not flap:  # the broker went away or refused: come back after a short, random wait
            self.reconnect_at = time.monotonic() + self.rng.uniform(0.5, 3.0)
        self.wake.set()

    def close(self) -> None:
        if self.client is not None:
            self.fleet.adapter.detach(self.client)
            self.client.disconnect()
            self.client = None
            self.connected = False

    # --- uplinks ------------------------------------------------------------------------------

    def _publish(self, kind: str, payload: str) -> None:
        self._send(Outgoing(kind, self.fleet.topics.up(self.vessel_id, kind), payload))

    def _send(self, out: Outgoing) -> None:
        if self.client is None or not self.connected:
            self._resend.append(out)
            return
        info = self.client.publish(out.topic, out.payload, qos=1)
        self.books.uplinks_sent += 1
        self._inflight[info.mid] = out

    def _on_publish(self, c: paho.Client, _u: Any, mid: int, rc: Any, _p: Any = None) -> None:
        if c is not self.client:
            return
        out = self._inflight.pop(mid, None)
        if out is None:
            return
        if rc.is_failure:  # refused by the broker: keep it for the next link
            self._resend.append(out)
            return
        code = int(rc.value)
        if code == NO_MATCHING_SUBSCRIBERS:
            self.books.no_subscribers += 1
            if self.fleet.behaviour.resend_no_subscribers:
                # No hub was subscribed (Mosquitto forgets shared subscriptions over a restart
                # until the hubs subscribe again): nobody has it, so send it again shortly.
                self._retry.append(out)
                self._retry_at = time.monotonic() + 2.0
                return
        self.books.uplinks_acked += 1
        self.books.fixes_accepted.update(out.fixes)
        for ts in out.fixes:
            self.books.puback_of[ts] = (code, time.time())

    def retry_due(self) -> None:
        """Send again what the broker said nobody was subscribed to."""
        if self._retry and self.connected and time.monotonic() >= self._retry_at:
            retry, self._retry = self._retry, []
            for out in retry:
                self._send(out)

    def _next_ts(self) -> datetime:
        # A fix is identified by (vessel, ts): make every one unique and increasing.
        ts = max(datetime.now(UTC), self._last_ts + timedelta(milliseconds=1))
        ts = ts.replace(microsecond=ts.microsecond // 1000 * 1000)
        if ts <= self._last_ts:
            ts = self._last_ts + timedelta(milliseconds=1)
        self._last_ts = ts
        return ts

    def _now_iso(self) -> str:
        return datetime.now(UTC).isoformat().replace("+00:00", "Z")

    def report(self) -> None:
        """One fix: sent live when in coverage, else kept for the backfill."""
        ts = self._next_ts()
        self.books.fixes_made.add(ts)
        fix: dict[str, Any] = {
            "ts": ts.isoformat().replace("+00:00", "Z"),
            "lat": round(self.lat + self.rng.uniform(-0.003, 0.003), 5),
            "lon": round(self.lon + self.rng.uniform(-0.003, 0.003), 5),
            "sog": round(self.rng.uniform(0, 8), 1),
            "cog": round(self.rng.uniform(0, 359), 1),
        }
        if not self.connected:
            fix["backfill"] = True
            self._offline_fixes.append(fix)
            return
        topic = self.fleet.topics.up(self.vessel_id, "position")
        self._send(Outgoing("position", topic, json.dumps(fix), (ts,)))

    def raise_distress(self, distress_id: str) -> None:
        self.distress = Distress(distress_id, time.monotonic())
        self.wake.set()

    def repeat_distress(self, every_s: float) -> None:
        """Send (again) the distress until the hub's acknowledgement has reached us."""
        d = self.distress
        now = time.monotonic()
        if d is None or d.acked_at is not None or not self.connected:
            return
        if d.sends and now - d.last_sent < every_s:
            return
        d.sends += 1
        d.last_sent = now
        body = {
            "distress_id": d.distress_id,
            "ts": self._now_iso(),
            "lat": round(self.lat, 5),
            "lon": round(self.lon, 5),
            "nature": "flooding",
            "persons": 5,
            "text": "机舱进水 (chaos)",
        }
        self._publish("distress", json.dumps(body, ensure_ascii=False))

    # --- down messages ------------------------------------------------------------------------

    def _on_message(self, c: paho.Client, _u: Any, m: paho.MQTTMessage) -> None:
        if c is not self.client:
            return
        msg = json.loads(m.payload)
        mid = str(msg["msg_id"])
        self.books.copies[mid] += 1
        if mid not in self.books.shown:
            self.books.shown[mid] = msg
            d = self.distress
            if (
                msg.get("kind") == "distress_ack"
                and d is not None
                and msg.get("distress_id") == d.distress_id
                and d.acked_at is None
            ):
                d.acked_at = time.monotonic()
        # Acknowledge every copy: the hub re-sends because it has not heard our ack yet.
        states = CONFIRM_STATES if msg.get("ack") == "confirm" else ACK_STATES.get(
            str(msg.get("ack", "none")), ("delivered",)
        )  # fmt: skip
        for state in states:
            body: dict[str, Any] = {"msg_id": mid, "state": state, "ts": self._now_iso()}
            if state == "acknowledged":
                body["crew"] = ["陈海生"]
            self._publish("ack", json.dumps(body, ensure_ascii=False))


def _parse_ts(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class FleetBehaviour:
    report_s: float  # seconds between fixes
    flap_every_s: float  # mean seconds between lost links of one boat (0: never)
    down_s: tuple[float, float]  # how long a lost link stays lost
    distress_repeat_s: float
    connect_spread_s: float  # first connections spread over this many seconds
    # Send again an uplink whose PUBACK says "no matching subscribers" (0x10); off, such an
    # uplink counts as accepted, as docs/protocol.md has it today (and it is then lost).
    resend_no_subscribers: bool = True


class TerminalFleet:
    """All the run's terminals on this loop; `run` drives each as its own named task."""

    def __init__(self, url: str, prefix: str, behaviour: FleetBehaviour, seed: int) -> None:
        self.addr = parse_broker_url(url)
        self.topics = Topics(prefix)
        self.behaviour = behaviour
        self.seed = seed
        self.terminals: dict[str, ChaosTerminal] = {}
        self.adapter = PahoAsyncio(misc_interval_s=0.5)
        self.flapping = True  # off for the settling phase
        self.reporting = True

    def add(self, vessel_id: str, grid_id: str, lat: float, lon: float) -> ChaosTerminal:
        rng = random.Random(f"{self.seed}:{vessel_id}")
        t = ChaosTerminal(self, vessel_id, grid_id, lat, lon, rng)
        self.terminals[vessel_id] = t
        return t

    async def run(self, stop: asyncio.Event) -> None:
        async with asyncio.TaskGroup() as tg:
            for t in self.terminals.values():
                tg.create_task(self._drive(t, stop), name=f"terminal-{t.vessel_id}")

    async def _drive(self, t: ChaosTerminal, stop: asyncio.Event) -> None:
        b = self.behaviour
        now = time.monotonic()
        t.reconnect_at = now + t.rng.uniform(0, b.connect_spread_s)
        next_fix = t.reconnect_at + t.rng.uniform(0, b.report_s)
        next_flap = now + self._flap_gap(t)
        while not stop.is_set():
            now = time.monotonic()
            if t.client is None and now >= t.reconnect_at:
                t.reconnect_at = now + 5.0  # if this attempt hangs, try again after 5 s
                t.connect()
            elif t.client is not None and not t.connected and now >= t.reconnect_at:
                t.drop()  # the CONNACK never came (broker restarting): start over
                t.reconnect_at = now + t.rng.uniform(0.5, 2.0)
            if self.reporting and now >= next_fix:
                t.report()
                next_fix = now + b.report_s
            t.repeat_distress(b.distress_repeat_s)
            t.retry_due()
            if now >= next_flap:
                if self.flapping and t.connected:
                    t.drop()
                    t.reconnect_at = now + t.rng.uniform(*b.down_s)
                next_flap = now + self._flap_gap(t)
            t.wake.clear()
            timeout = max(0.05, min(next_fix, next_flap, t.reconnect_at, now + 1.0) - now)
            try:
                await asyncio.wait_for(t.wake.wait(), timeout)
            except TimeoutError:
                pass

    def _flap_gap(self, t: ChaosTerminal) -> float:
        every = self.behaviour.flap_every_s
        return t.rng.expovariate(1 / every) if every > 0 else float("inf")

    def connected(self) -> int:
        return sum(1 for t in self.terminals.values() if t.connected)

    def reconnect_all_now(self) -> None:
        for t in self.terminals.values():
            if t.client is None:
                t.reconnect_at = time.monotonic()
                t.wake.set()

    async def close(self) -> None:
        for t in self.terminals.values():
            t.close()
        await asyncio.sleep(0.2)
        self.adapter.close()
