"""A lean fleet of terminals for the benchmarks: protocol only, no simulation.

    python -m bench.lean_fleet BROKER_PORT IDS_FILE [--host 127.0.0.1] [--report-s 600]
                               [--connect-rate 2000] [--bind 127.0.0.2]

Each vessel of IDS_FILE (a line each: its id and, after a space, its fishing group) is a persistent MQTT 5 session (client id = vessel id,
will = retained `offline`, session kept a day): on connect it says `online` and `hello`; every
message it receives is answered at once with `delivered` and, when the message asks for a
confirmation, `acknowledged` too; with `--report-s` it sends a fix that often (first ones spread
over the interval). A lost connection is made again a second or so later.

`sealink sim fleet` plays crews, motion and coverage, which costs the CPU a 10,000-boat
broadcast benchmark needs for the hub (issue 17.2). Even paho clients, one per boat, cost this
fleet ~100-120 us of CPU a boat for one notice and its two answers, a quarter of the whole
stack's on two cores. So each terminal here is an asyncio protocol speaking the few MQTT 5
packets a terminal needs (CONNECT, SUBSCRIBE, PUBLISH and PUBACK at QoS 1, PINGREQ), built and
read in this module: what the benchmark measures is then the hub and the broker, as with the C
clients of measured-limits.md. The hub's own MQTT code is tested against real clients elsewhere.
Prints one JSON line of counters every few seconds to stdout.

The boats fish south of Nan'ao (22.5-23.1 N, 116.5-118.0 E), each group together: at sea, out
of port and out of every watched zone (the Nanpeng reserve begins at 23.18 N), so that the hub
at rest does what it does for a quiet fleet. (Spread one by one over a box that held the reserve
and the island, group mates raised separation alerts and one boat in 25 reported from inside the
reserve: at 50,000 boats, alerts took most of the hub "at rest".)
The summer moratorium (May to mid-August) covers all of these waters: run then, every boat at
sea is in it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime

from bench._common import raise_open_files
from seaLink.wire.topics import Topics, UplinkKind

TOPICS = Topics()  # the protocol's default prefix, as the benchmarks' hub uses it
KEEPALIVE_S = 120
SESSION_EXPIRY_S = 86_400
RECONNECT_S = 1.0

CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK = 1, 2, 3, 4, 8, 9
PINGRESP, DISCONNECT = 13, 14
PINGREQ_PACKET = b"\xc0\x00"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return len(b).to_bytes(2, "big") + b


def connect_packet(client_id: str, will_topic: str, *, clean: bool) -> bytes:
    """MQTT 5 CONNECT: username = client id, retained will `offline` at QoS 1, session kept."""
    flags = 0x80 | 0x20 | 0x08 | 0x04 | (0x02 if clean else 0)
    props = b"\x11" + SESSION_EXPIRY_S.to_bytes(4, "big")
    body = (
        _string("MQTT") + bytes([5, flags]) + KEEPALIVE_S.to_bytes(2, "big")
        + varint(len(props)) + props
        + _string(client_id) + b"\x00" + _string(will_topic) + _string(b"offline")
        + _string(client_id)
    )  # fmt: skip
    return b"\x10" + varint(len(body)) + body


def subscribe_packet(pid: int, topic: str) -> bytes:
    body = pid.to_bytes(2, "big") + b"\x00" + _string(topic) + b"\x01"
    return b"\x82" + varint(len(body)) + body


def publish_packet(topic: bytes, pid: int, payload: bytes, *, retain: bool = False) -> bytes:
    """QoS 1, no properties."""
    rest = 2 + len(topic) + 2 + 1 + len(payload)
    head = b"\x33" if retain else b"\x32"
    return (
        head
        + varint(rest)
        + len(topic).to_bytes(2, "big")
        + topic
        + pid.to_bytes(2, "big")
        + b"\x00"
        + payload
    )


def read_varint(buf: bytes | bytearray, at: int) -> tuple[int, int] | None:
    """(value, next offset), or None when the buffer ends inside it."""
    value, shift = 0, 0
    while at < len(buf):
        b = buf[at]
        value |= (b & 0x7F) << shift
        at += 1
        if not b & 0x80:
            return value, at
        shift += 7
    return None


class Counters:
    def __init__(self) -> None:
        self.online = 0
        self.received = 0
        self.acks = 0
        self.fixes = 0


class LeanVessel(asyncio.Protocol):
    """One terminal: a connection, its packet ids, and what it answers."""

    def __init__(self, vid: str, fleet: Fleet, group: str = "") -> None:
        self.vid = vid
        self._fleet = fleet
        self._ack = TOPICS.up(vid, UplinkKind.ACK).encode()
        self._pos = TOPICS.up(vid, UplinkKind.POSITION).encode()
        self._status = TOPICS.status(vid)
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._pid = 0
        self._ever = False  # a clean start the first time only: then the broker keeps the session
        self.online = False
        # Its group's spot, and the boat within a mile of it (group mates apart raise
        # separation alerts: at 10,000 boats placed one by one, 360 in 20 s).
        spot = random.Random(group or vid)
        near = random.Random(vid)
        self.lat = 22.5 + spot.random() * 0.6 + (near.random() - 0.5) * 0.02
        self.lon = 116.5 + spot.random() * 1.5 + (near.random() - 0.5) * 0.02

    def _next_pid(self) -> int:
        self._pid = self._pid % 65535 + 1
        return self._pid

    # --- the connection ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._buf.clear()
        transport.write(connect_packet(self.vid, self._status, clean=not self._ever))
        self._ever = True

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self.online:
            self.online = False
            self._fleet.counters.online -= 1
        self._fleet.reconnect_later(self)

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        at = 0
        while len(buf) - at >= 2:
            head = read_varint(buf, at + 1)
            if head is None:
                break
            size, start = head
            end = start + size
            if end > len(buf):
                break
            kind = buf[at] >> 4
            if kind == PUBLISH:
                self._message(buf[at], bytes(buf[start:end]))
            elif kind == CONNACK:
                self._connack(buf[start + 1])
            elif kind == DISCONNECT and self._transport is not None:
                self._transport.close()
            at = end
        del buf[:at]

    def _connack(self, reason: int) -> None:
        if reason != 0 or self._transport is None:
            if self._transport is not None:
                self._transport.close()
            return
        self.online = True
        self._fleet.counters.online += 1
        hello = json.dumps({"ts": _now(), "terminal": "bench/lean-fleet"}).encode()
        self._transport.write(
            subscribe_packet(self._next_pid(), TOPICS.down(self.vid))
            + publish_packet(self._status.encode(), self._next_pid(), b"online", retain=True)
            + publish_packet(
                TOPICS.up(self.vid, UplinkKind.HELLO).encode(), self._next_pid(), hello
            )
        )

    def _message(self, first: int, packet: bytes) -> None:
        """A PUBLISH from the broker: its PUBACK, and the answers, in one write."""
        counters = self._fleet.counters
        counters.received += 1
        qos = (first >> 1) & 3
        at = 2 + int.from_bytes(packet[:2], "big")
        out = bytearray()
        if qos:
            out += b"\x40\x02" + packet[at : at + 2]
            at += 2
        props = read_varint(packet, at)
        if props is not None:
            try:
                doc = json.loads(packet[props[1] + props[0] :])
                msg_id = doc["msg_id"]
            except (ValueError, KeyError, TypeError):
                doc, msg_id = None, None
            if doc is not None:
                ts = _now()
                states = (
                    ["delivered", "acknowledged"] if doc.get("ack") == "confirm" else ["delivered"]
                )
                for state in states:
                    body = json.dumps({"msg_id": msg_id, "state": state, "ts": ts}).encode()
                    out += publish_packet(self._ack, self._next_pid(), body)
                counters.acks += len(states)
        if out and self._transport is not None:
            self._transport.write(bytes(out))

    # --- what the boat sends by itself ---------------------------------------------------------
    def ping(self) -> None:
        if self._transport is not None and self.online:
            self._transport.write(PINGREQ_PACKET)

    def report(self) -> None:
        if self._transport is None or not self.online:
            return
        fix = {"ts": _now(), "lat": round(self.lat, 5), "lon": round(self.lon, 5), "sog": 5.0,
               "cog": 90.0}  # fmt: skip
        self._transport.write(publish_packet(self._pos, self._next_pid(), json.dumps(fix).encode()))
        self._fleet.counters.fixes += 1


class Fleet:
    def __init__(self, host: str, port: int, bind: str) -> None:
        self.host, self.port = host, port
        self.local = (bind, 0) if bind else None
        self.counters = Counters()
        self.vessels: list[LeanVessel] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def connect(self, v: LeanVessel) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: v, self.host, self.port, local_addr=self.local)
        except OSError:
            self.reconnect_later(v)

    def reconnect_later(self, v: LeanVessel) -> None:
        async def again() -> None:
            await asyncio.sleep(RECONNECT_S * (1 + random.random()))
            await self.connect(v)

        task = asyncio.get_running_loop().create_task(again(), name=f"lean-reconnect-{v.vid}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def run(
    host: str,
    port: int,
    ids: list[tuple[str, str]],
    report_s: float,
    connect_rate: float,
    bind: str,
) -> None:
    fleet = Fleet(host, port, bind)
    started = time.monotonic()
    pending: set[asyncio.Task[None]] = set()
    for i, (vid, group) in enumerate(ids):
        v = LeanVessel(vid, fleet, group)
        fleet.vessels.append(v)
        task = asyncio.create_task(fleet.connect(v), name=f"lean-connect-{vid}")
        pending.add(task)
        task.add_done_callback(pending.discard)
        ahead = (i + 1) / connect_rate - (time.monotonic() - started)
        if ahead > 0:
            await asyncio.sleep(ahead)

    async def reports() -> None:
        if report_s <= 0:
            return
        step = report_s / max(1, len(fleet.vessels))
        while True:  # one boat after another, each once per interval
            for v in fleet.vessels:
                v.report()
                await asyncio.sleep(step)

    async def pings() -> None:
        while True:  # each boat well inside its keep-alive, a hundred at a time
            batches = max(1, len(fleet.vessels) // 100)
            for n in range(0, len(fleet.vessels), 100):
                for v in fleet.vessels[n : n + 100]:
                    v.ping()
                await asyncio.sleep(KEEPALIVE_S / 2 / batches)

    tasks = [
        asyncio.create_task(reports(), name="lean-reports"),
        asyncio.create_task(pings(), name="lean-pings"),
    ]
    try:
        while True:
            print(json.dumps(vars(fleet.counters)), flush=True)
            await asyncio.sleep(2)
    finally:
        for task in tasks:
            task.cancel()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("port", type=int)
    p.add_argument("ids_file")
    p.add_argument("--host", default="127.0.0.1", help="the broker's address")
    p.add_argument("--bind", default="", help="connect from this local address (127.0.0.2, ...)")
    p.add_argument("--report-s", type=float, default=0.0, help="a fix this often (0: none)")
    p.add_argument("--connect-rate", type=float, default=2000.0, help="connections per second")
    args = p.parse_args()
    with open(args.ids_file, encoding="utf-8") as f:
        ids = [
            (vid, group.strip()) for vid, _, group in (ln.strip().partition(" ") for ln in f) if vid
        ]
    raise_open_files(len(ids) + 256)
    try:
        asyncio.run(run(args.host, args.port, ids, args.report_s, args.connect_rate, args.bind))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
