"""A test's own MQTT subscriber: records everything under a topic prefix, with arrival order."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from seaLink.wire import Topics, UplinkKind, VesselTopic
from seaLink.wire.mqtt import parse_broker_url


@dataclass(frozen=True, slots=True)
class Seen:
    seq: int
    topic: str
    payload: bytes
    retain: bool
    at: float


class Watcher:
    __test__ = False

    def __init__(self, url: str, prefix: str, filters: tuple[str, ...] = ("vessels/#",)) -> None:
        self.topics = Topics(prefix)
        self._lock = threading.Lock()
        self._seen: list[Seen] = []
        self._ready = threading.Event()
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"watch-{uuid.uuid4().hex[:8]}",
            protocol=paho.MQTTv5,
        )
        self._subs = [(f"{prefix}/{f}", 1) for f in filters]
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        addr = parse_broker_url(url)
        self.client.connect(addr.host, addr.port, 30)
        self.client.loop_start()
        if not self._ready.wait(10):
            raise RuntimeError("watcher could not connect")
        time.sleep(0.1)  # let the SUBACK land before the test starts publishing

    def _on_connect(self, c: paho.Client, _u: Any, _f: Any, _rc: Any, _p: Any = None) -> None:
        c.subscribe(self._subs)
        self._ready.set()

    def _on_message(self, _c: paho.Client, _u: object, m: paho.MQTTMessage) -> None:
        with self._lock:
            self._seen.append(
                Seen(len(self._seen), m.topic, bytes(m.payload), m.retain, time.time())
            )

    def seen(self) -> list[Seen]:
        with self._lock:
            return list(self._seen)

    def of(self, vessel_id: str | None = None, kind: UplinkKind | None = None) -> list[Seen]:
        out = []
        for s in self.seen():
            try:
                vt: VesselTopic = self.topics.parse_vessel(s.topic)
            except ValueError:
                continue  # down topics and anything else not an uplink
            if (vessel_id is None or vt.vessel_id == vessel_id) and (
                kind is None or vt.kind is kind
            ):
                out.append(s)
        return out

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


async def wait_until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.02)
