"""A lean fleet of terminals for the benchmarks: protocol only, no simulation.

    python -m bench.lean_fleet BROKER_PORT IDS_FILE [--host 127.0.0.1] [--report-s 600]
                               [--connect-rate 2000]

Each vessel of IDS_FILE (one id per line) is a persistent MQTT session (client id = vessel id,
will = retained `offline`) driven by one `PahoAsyncio` loop in this process: on connect it says
`online` and `hello`; every message it receives is answered at once with `delivered` and, when
the message asks for a confirmation, `acknowledged` too; with `--report-s` it sends a fix that
often (first ones spread over the interval). `sealink sim fleet` plays crews, motion and
coverage, which costs the CPU a 10,000-boat broadcast benchmark needs for the hub (issue 17.2):
this fleet costs little more than the paho clients themselves, so that many boats fit beside the
hub on two cores. Prints one JSON line of counters every few seconds to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.client import PUBLISH
from paho.mqtt.reasoncodes import ReasonCode

from bench._common import raise_open_files
from seaLink.wire.mqtt import BrokerAddress, PahoAsyncio
from seaLink.wire.session import MqttSession, SessionOwner, SessionSettings
from seaLink.wire.topics import Topics, UplinkKind

TOPICS = Topics()  # the protocol's default prefix, as the benchmarks' hub uses it


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def publish_raw(client: paho.Client, topic: bytes, bodies: list[str]) -> None:
    """QoS 1 PUBLISH packets (MQTT 5, no properties) built here and queued as one write. paho's
    `publish` builds a message object, its info and properties for each, which made this fleet,
    not the hub, the larger user of the two cores in `bench.broadcast` (1.4-1.8 s CPU of ~4.5 s
    for 10,000 boats). paho does not track these packet ids; it ignores their PUBACKs."""
    out = bytearray()
    for body in bodies:
        payload = body.encode()
        rest = 2 + len(topic) + 2 + 1 + len(payload)
        out += b"\x32" + _varint(rest) + len(topic).to_bytes(2, "big") + topic
        out += client._mid_generate().to_bytes(2, "big") + b"\x00" + payload
    client._packet_queue(PUBLISH, bytes(out), 0, 1)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


class Counters:
    def __init__(self) -> None:
        self.online = 0
        self.received = 0
        self.acks = 0
        self.fixes = 0


class LeanVessel(SessionOwner):
    __slots__ = ("_ack", "_ack_bytes", "_counters", "_down", "_pos", "_status", "lat", "lon",
                 "session", "vid")  # fmt: skip

    def __init__(
        self, vid: str, broker: BrokerAddress, adapter: PahoAsyncio, counters: Counters, bind: str
    ) -> None:
        self.vid = vid
        self._status, self._down = TOPICS.status(vid), TOPICS.down(vid)
        self._ack, self._pos = TOPICS.up(vid, UplinkKind.ACK), TOPICS.up(vid, UplinkKind.POSITION)
        self._ack_bytes = self._ack.encode()
        self._counters = counters
        rng = random.Random(vid)
        self.lat, self.lon = 22.5 + rng.random(), 116.5 + rng.random() * 1.5
        self.session = MqttSession(
            broker,
            SessionSettings(
                client_id=vid, protocol="5", keepalive_s=120, session_expiry_s=86_400,
                username=vid, will=(self._status, b"offline"), max_inflight=20,
                connect_in_thread=False, quiet=True, reconnect_first_s=1.0, reconnect_max_s=10.0,
                bind_address=bind, buffered=True,
            ),
            self,
            adapter=adapter,
        )  # fmt: skip

    def mqtt_subscriptions(self) -> list[tuple[str, int]]:
        return [(self._down, 1)]

    def mqtt_wanted(self) -> bool:
        return True

    def mqtt_connected(self, session_present: bool) -> None:
        self._counters.online += 1
        client = self.session.client
        client.publish(self._status, b"online", qos=1, retain=True)
        hello = {"ts": _now(), "terminal": "bench/lean-fleet"}
        client.publish(TOPICS.up(self.vid, UplinkKind.HELLO), json.dumps(hello), qos=1)

    def mqtt_offline(self, lost: bool) -> None:
        self._counters.online -= 1

    def mqtt_message(self, client: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        self._counters.received += 1
        try:
            doc = json.loads(msg.payload)
            msg_id = doc["msg_id"]
        except (ValueError, KeyError, TypeError):
            return
        ts = _now()
        states = ["delivered"]
        if doc.get("ack") == "confirm":
            states.append("acknowledged")
        bodies = [json.dumps({"msg_id": msg_id, "state": state, "ts": ts}) for state in states]
        publish_raw(client, self._ack_bytes, bodies)
        self._counters.acks += len(bodies)

    def mqtt_published(self, mid: int, reason: ReasonCode | None) -> None:
        pass

    def report(self) -> None:
        if not self.session.online:
            return
        fix = {"ts": _now(), "lat": round(self.lat, 5), "lon": round(self.lon, 5), "sog": 5.0,
               "cog": 90.0}  # fmt: skip
        self.session.client.publish(self._pos, json.dumps(fix), qos=1)
        self._counters.fixes += 1


async def run(
    host: str, port: int, ids: list[str], report_s: float, connect_rate: float, bind: str
) -> None:
    adapter = PahoAsyncio(misc_interval_s=5.0)
    broker = BrokerAddress(host, port)
    counters = Counters()
    fleet: list[LeanVessel] = []
    started = time.monotonic()
    for i, vid in enumerate(ids):
        v = LeanVessel(vid, broker, adapter, counters, bind)
        v.session.start()
        fleet.append(v)
        ahead = (i + 1) / connect_rate - (time.monotonic() - started)
        if ahead > 0:
            await asyncio.sleep(ahead)

    async def reports() -> None:
        if report_s <= 0:
            return
        step = report_s / max(1, len(fleet))
        while True:  # one boat after another, each once per interval
            for v in fleet:
                v.report()
                await asyncio.sleep(step)

    task = asyncio.create_task(reports(), name="lean-reports")
    try:
        while True:
            print(json.dumps(vars(counters)), flush=True)
            await asyncio.sleep(2)
    finally:
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
        ids = [line.strip() for line in f if line.strip()]
    raise_open_files(len(ids) + 256)
    try:
        asyncio.run(run(args.host, args.port, ids, args.report_s, args.connect_rate, args.bind))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
