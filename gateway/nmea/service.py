"""The NMEA gateway's work: a port (or replay file) -> lines -> cycles -> fixes -> `up/position`.

Fixes are published as JSON arrays, QoS 1, at most one message per `flush_after_s` unless
`max_batch` fixes are waiting first. While the broker is out of reach they are kept (up to
`backlog_max`) and sent after the next `hello` marked `backfill: true`, as the protocol asks of a
terminal (§1 step 4, §2.2). Refused lines are counted by reason (`rejected.<reason>`) and logged at
debug; a warning sums them up at most once per `warn_every_s`. Nothing that comes from the port
ends the loop. The batching and idle timers run on the event loop's time, like the AIS gateway's.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Protocol

import pydantic_core

from gateway.clock import Clock
from gateway.counters import Counters
from gateway.lines import LineSplitter
from gateway.nmea.cycles import CycleAssembler
from gateway.source import ByteSource
from seaLink.wire.nmea import NmeaRejection
from seaLink.wire.payloads import Fix

log = logging.getLogger(__name__)

MAX_FIXES_PER_MESSAGE = 2000  # docs/protocol.md §2.2


class Publisher(Protocol):
    connected: asyncio.Event

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool: ...


def fixes_payload(fixes: list[Fix]) -> bytes:
    """A position message: the fixes as a JSON array, oldest first, without empty fields."""
    return pydantic_core.to_json(
        [f.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for f in fixes]
    )


class NmeaGateway:
    def __init__(
        self,
        *,
        topic: str,
        source: ByteSource,
        mqtt: Publisher,
        clock: Clock,
        counters: Counters,
        max_batch: int = 10,
        flush_after_s: float = 1.0,
        cycle_idle_s: float = 1.0,
        backlog_max: int = 20_000,
        warn_every_s: float = 60.0,
    ) -> None:
        self._topic = topic
        self._source = source
        self._mqtt = mqtt
        self._clock = clock
        self.counters = counters
        self._max_batch = max(1, min(max_batch, MAX_FIXES_PER_MESSAGE))
        self._flush_after = flush_after_s
        self._cycle_idle = cycle_idle_s
        self._warn_every = warn_every_s
        self.cycles = CycleAssembler(clock.now)
        self._splitter = LineSplitter()
        self._pending: list[Fix] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self._cycle_timer: asyncio.TimerHandle | None = None
        self.backlog: collections.deque[Fix] = collections.deque(maxlen=backlog_max)
        self._refused_since_warning: collections.Counter[str] = collections.Counter()
        self._last_warning: float | None = None

    async def run(self) -> None:
        """Read and publish until the source ends (a replay) or the task is cancelled."""
        try:
            await self._read()
        finally:
            self.close_cycle()
            self.flush()

    async def _read(self) -> None:
        splitter = self._splitter
        async for chunk in self._source.chunks():
            overflows = splitter.overflows
            lines = splitter.feed(chunk)
            if splitter.overflows != overflows:
                self._refused_without_line("line_too_long")
            self._lines(lines)
            self._arm_cycle_timer()

    def _lines(self, lines: list[bytes]) -> None:
        for raw in lines:
            self.counters.inc("lines")
            try:
                fixes, refused = self.cycles.feed(raw.decode("latin-1").strip())
            except Exception:  # a bug must not stop the box's reports: count it, go on
                log.exception("nmea: cannot handle line %r", raw[:90])
                self._refused_without_line("internal_error")
                continue
            self._take(fixes, refused)

    def close_cycle(self) -> None:
        """Close the cycle being assembled now (the box went quiet, or the input ended). A last
        line without its line end is whole by then (`gateway.lines`)."""
        if self._cycle_timer is not None:
            self._cycle_timer.cancel()
            self._cycle_timer = None
        self._lines(self._splitter.flush())
        self._take(*self.cycles.close())

    def _arm_cycle_timer(self) -> None:
        if self._cycle_timer is not None:
            self._cycle_timer.cancel()
            self._cycle_timer = None
        if self.cycles.open:
            loop = asyncio.get_running_loop()
            self._cycle_timer = loop.call_later(self._cycle_idle, self.close_cycle)

    # -- what a cycle gives ------------------------------------------------------------------

    def _take(self, fixes: list[Fix], refused: list[NmeaRejection]) -> None:
        for rejection in refused:
            self._refused(rejection)
        if not fixes:
            return
        self.counters.inc("fixes", len(fixes))
        self._pending.extend(fixes)
        if len(self._pending) >= self._max_batch:
            self.flush()
        elif self._flush_timer is None:
            loop = asyncio.get_running_loop()
            self._flush_timer = loop.call_later(self._flush_after, self.flush)

    def _refused(self, rejection: NmeaRejection) -> None:
        reason = rejection.reason.value
        self.counters.reject(reason)
        log.debug("nmea: refused (%s: %s) %r", reason, rejection.detail, rejection.line[:90])
        self._note_refusal(reason, f"{reason} {rejection.line[:60]!r}")

    def _refused_without_line(self, reason: str) -> None:
        self.counters.reject(reason)
        log.debug("nmea: refused a line (%s)", reason)
        self._note_refusal(reason, reason)

    def _note_refusal(self, reason: str, example: str) -> None:
        self._refused_since_warning[reason] += 1
        now = self._clock.monotonic()
        if self._last_warning is not None and now - self._last_warning < self._warn_every:
            return
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self._refused_since_warning.items()))
        log.warning(
            "nmea: %d line(s) refused since the last warning (%s); latest: %s",
            sum(self._refused_since_warning.values()),
            counts,
            example,
        )
        self._refused_since_warning.clear()
        self._last_warning = now

    # -- publishing --------------------------------------------------------------------------

    def flush(self) -> None:
        """Publish the fixes that wait for company, now (or keep them while offline)."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        fixes, self._pending = self._pending, []
        if not fixes:
            return
        if not self._mqtt.connected.is_set():
            self._keep(fixes)
            return
        for start in range(0, len(fixes), self._max_batch):
            self._publish(fixes[start : start + self._max_batch], "published_fixes")

    def send_backlog(self) -> None:
        """After (re)connecting and `hello`: the fixes kept while offline, marked `backfill`."""
        while self.backlog and self._mqtt.connected.is_set():
            n = min(len(self.backlog), MAX_FIXES_PER_MESSAGE)
            batch = [self.backlog.popleft() for _ in range(n)]
            self._publish(batch, "backfilled_fixes")

    def _keep(self, fixes: list[Fix]) -> None:
        backlog = self.backlog
        for fix in fixes:
            if backlog.maxlen is not None and len(backlog) == backlog.maxlen:
                self.counters.inc("dropped_fixes")  # the oldest goes
            backlog.append(fix.model_copy(update={"backfill": True}))
        self.counters.inc("kept_offline", len(fixes))

    def _publish(self, fixes: list[Fix], counter: str) -> None:
        if self._mqtt.publish(self._topic, fixes_payload(fixes), qos=1):
            self.counters.inc("published_messages")
            self.counters.inc(counter, len(fixes))
        else:
            self.counters.inc("dropped_fixes", len(fixes))
