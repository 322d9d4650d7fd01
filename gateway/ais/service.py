"""The AIS gateway: a port (or replay file) -> lines -> `AisPipeline` -> batched MQTT messages."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import pydantic_core

from gateway.ais.pipeline import AisPipeline
from gateway.clock import Clock
from gateway.counters import Counters
from gateway.lines import LineSplitter
from gateway.source import ByteSource

log = logging.getLogger(__name__)


class Publisher(Protocol):
    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool: ...


class AisGateway:
    def __init__(
        self,
        *,
        topic: str,
        source: ByteSource,
        mqtt: Publisher,
        clock: Clock,
        counters: Counters,
        max_batch: int = 500,
        fragment_timeout_s: float = 10.0,
        flush_after_s: float = 0.05,
        quiet_line_s: float = 1.0,
    ) -> None:
        self._topic = topic
        self._source = source
        self._mqtt = mqtt
        self._clock = clock
        self.counters = counters
        self._max_batch = max_batch
        self.pipeline = AisPipeline(counters, fragment_timeout_s=fragment_timeout_s)
        self._splitter = LineSplitter()
        self._fragment_timeout = fragment_timeout_s
        # Events wait at most `flush_after_s` (real time) to share an MQTT message with others.
        self._flush_after = flush_after_s
        self._pending: list[dict[str, object]] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        # A line without its end is taken as whole once the port has been quiet this long (a
        # receiver sends a line in a few milliseconds): the last sentence before a receiver
        # goes silent is not lost (issue 15.13).
        self._quiet_line = quiet_line_s
        self._line_timer: asyncio.TimerHandle | None = None

    async def run(self) -> None:
        """Read and publish until the source ends (a replay) or the task is cancelled."""
        async with asyncio.TaskGroup() as tg:
            expiry = tg.create_task(self._expire_fragments(), name="ais-expire-fragments")
            try:
                await self._read()
                self._take(self._splitter.flush())  # the source ended: its last line is whole
            finally:
                expiry.cancel()
                if self._line_timer is not None:
                    self._line_timer.cancel()
                self.flush()

    async def _read(self) -> None:
        splitter = self._splitter
        loop = asyncio.get_running_loop()
        async for chunk in self._source.chunks():
            if self._line_timer is not None:
                self._line_timer.cancel()
                self._line_timer = None
            overflows = splitter.overflows
            lines = splitter.feed(chunk)
            if splitter.overflows != overflows:
                self.counters.reject("line_too_long")
            if splitter.pending:
                self._line_timer = loop.call_later(self._quiet_line, self._quiet)
            self._take(lines)

    def _quiet(self) -> None:
        self._line_timer = None
        self._take(self._splitter.flush())

    def _take(self, lines: list[bytes]) -> None:
        if not lines:
            return
        clock = self._clock
        try:
            events = self.pipeline.process(lines, clock.now().timestamp(), clock.monotonic())
        except Exception:  # a bug must not stop the receiver: count it, go on
            log.exception("ais: pipeline failed on %d lines", len(lines))
            self.counters.reject("internal_error", len(lines))
            return
        self._collect(events)

    def _collect(self, events: list[dict[str, object]]) -> None:
        pending = self._pending
        pending.extend(events)
        size = self._max_batch
        if len(pending) >= size:
            whole = len(pending) - len(pending) % size
            self._publish(pending[:whole])
            del pending[:whole]
        if pending and self._flush_timer is None:
            loop = asyncio.get_running_loop()
            self._flush_timer = loop.call_later(self._flush_after, self.flush)

    def flush(self) -> None:
        """Publish the events that are waiting for company, now."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._pending:
            self._publish(self._pending)
            self._pending = []

    def _publish(self, events: list[dict[str, object]]) -> None:
        size = self._max_batch
        for start in range(0, len(events), size):
            batch = events[start : start + size]
            if self._mqtt.publish(self._topic, pydantic_core.to_json(batch)):
                self.counters.inc("published_messages")
            else:
                self.counters.inc("dropped_events", len(batch))

    async def _expire_fragments(self) -> None:
        while True:
            await self._clock.sleep(self._fragment_timeout / 2)
            self.pipeline.expire(self._clock.monotonic())
