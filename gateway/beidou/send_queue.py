"""What to send next, and not before the card allows it.

`SendQueue` orders jobs by traffic class: distress traffic (distress acknowledgements, rescue
tasks) first, then warnings and recall orders, then everything else (notices, replies, texts),
then reminders of earlier messages; within a class by request priority (0 = most urgent), then
first come first served. A job split into parts keeps its place; a more urgent job arriving
meanwhile goes between its parts.

`Pacer` keeps the card's service interval: after an accepted send nothing goes out before the
interval has passed, and after a "too soon" feedback nothing goes out before the wait the terminal
gave. Both are pure and driven by an injected clock.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from gateway.beidou.content import ContentMode
from gateway.clock import Clock

DISTRESS = 0
WARNING = 1
ROUTINE = 2
REMINDER = 3


@dataclass(slots=True)
class OutboundJob:
    request_id: str
    card: str
    mode: ContentMode
    priority: int = 5
    traffic: int = ROUTINE
    text: str | None = None  # split into parts when the card's length is known
    # A compact rendering for a message length (bytes), used when `text` needs several parts.
    shorten: Callable[[int], str | None] | None = None
    data: bytes | None = None
    expires: datetime | None = None
    parts: list[bytes] = field(default_factory=list)
    next_part: int = 0
    attempts: int = 0
    too_soon: int = 0
    bytes_sent: int = 0
    seq: int = 0

    @property
    def done(self) -> bool:
        return bool(self.parts) and self.next_part >= len(self.parts)

    def sort_key(self) -> tuple[int, int, int]:
        return (self.traffic, self.priority, self.seq)


class SendQueue:
    def __init__(self) -> None:
        self._jobs: list[OutboundJob] = []
        self._seq = itertools.count()
        self.changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._jobs)

    def put(self, job: OutboundJob) -> None:
        job.seq = next(self._seq)
        self._jobs.append(job)
        self.changed.set()

    def best(self) -> OutboundJob | None:
        return min(self._jobs, key=OutboundJob.sort_key) if self._jobs else None

    def remove(self, job: OutboundJob) -> None:
        self._jobs.remove(job)

    def jobs(self) -> list[OutboundJob]:
        return sorted(self._jobs, key=OutboundJob.sort_key)

    async def wait_for_job(self) -> None:
        while not self._jobs:
            self.changed.clear()
            await self.changed.wait()


class Pacer:
    """The earliest moment the next send may go out (on the clock's monotonic scale)."""

    def __init__(self, clock: Clock, interval_s: float = 60.0) -> None:
        self._clock = clock
        self.interval_s = interval_s
        self._next_at = clock.monotonic()

    def delay(self) -> float:
        return max(0.0, self._next_at - self._clock.monotonic())

    def sent(self, terminal_wait_s: float = 0.0) -> None:
        """An accepted send: wait the interval, or longer if the terminal says so."""
        now = self._clock.monotonic()
        self._next_at = max(now + self.interval_s, now + terminal_wait_s)

    def too_soon(self, wait_s: float) -> None:
        """The terminal refused: wait what it says (the whole interval if it says nothing)."""
        now = self._clock.monotonic()
        self._next_at = max(self._next_at, now + (wait_s if wait_s > 0 else self.interval_s))

    def hold(self, seconds: float) -> None:
        self._next_at = max(self._next_at, self._clock.monotonic() + seconds)
