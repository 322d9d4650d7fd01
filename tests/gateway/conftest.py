"""Helpers for the gateway tests: reference data, a subscriber on the test broker, waiting."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gateway.clock import ManualClock
from seaLink.wire.mqtt import parse_broker_url

DATA = Path(__file__).resolve().parent.parent / "data"


def data_lines(*parts: str) -> list[bytes]:
    return DATA.joinpath(*parts).read_bytes().splitlines()


class Collector:
    """A subscriber in its own thread that keeps every message it gets (with the URL's account)."""

    def __init__(self, url: str, topic_filter: str) -> None:
        addr = parse_broker_url(url)
        self.messages: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"sub-{uuid.uuid4().hex[:8]}",
        )
        if addr.username:
            self._client.username_pw_set(addr.username, addr.password)
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *a: self._subscribed.set()
        self._client.on_connect = lambda c, *a: c.subscribe(topic_filter, 1)
        self._client.connect(addr.host, addr.port, 30)
        self._client.loop_start()
        if not self._subscribed.wait(5):
            raise RuntimeError("subscriber did not get its subscription")

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))

    def payloads(self, topic: str) -> list[bytes]:
        with self._lock:
            return [p for t, p, _ in self.messages if t == topic]

    def publish(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}/v1"


@pytest.fixture
def collector(broker: object) -> Iterator[Callable[[str], Collector]]:
    made: list[Collector] = []

    def make(topic_filter: str) -> Collector:
        c = Collector(broker.url, topic_filter)  # type: ignore[attr-defined]
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


async def eventually(check: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    """Wait (real time) until `check()` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.02)


async def advance_until(
    clock: ManualClock,
    check: Callable[[], bool],
    step_s: float = 5.0,
    max_s: float = 3600.0,
    what: str = "",
    settled: Callable[[], bool] | None = None,
) -> float:
    """Move the fake clock in steps, letting tasks and pty I/O run a little in between, until
    `check()` holds; returns the simulated seconds it took. With `settled`, the clock moves only
    once it holds (real time, up to 30 s): on a busy machine a pty's bytes can take longer than
    the pause between steps, and a step then expires a wait that real time had not."""
    moved = 0.0
    while True:
        for _ in range(6):
            await asyncio.sleep(0.005)
            if check():
                return moved
        if moved >= max_s:
            raise AssertionError(f"not reached within {max_s} simulated seconds: {what or check}")
        if settled is not None:
            await eventually(settled, timeout=30, what=f"settled before the clock moves: {what}")
            if check():
                return moved
        clock.advance(step_s)
        moved += step_s
