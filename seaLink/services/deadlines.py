"""A service that acts at deadlines: a heap of (time, key), one owned loop, `kick` and `settle`.

Escalations, request reminders and recall repeats all work this way: sleep until the earliest
deadline (or until woken), handle what is due, sleep again. A failing item is logged and the loop
goes on; `settle()` returns once everything due now has been handled (tests and shutdown use it).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from datetime import datetime

from seaLink.clock import Clock

log = logging.getLogger(__name__)


class DeadlineLoop:
    name = "deadlines"

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._heap: list[tuple[datetime, int]] = []
        # The one deadline each key has now: booking a key again moves it (stale heap entries are
        # skipped), so reloading from the store (a hub taking over the schedule) never doubles it.
        self._booked: dict[int, datetime] = {}
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()

    def book(self, at: datetime, key: int) -> None:
        if self._booked.get(key) == at:
            return
        self._booked[key] = at
        heapq.heappush(self._heap, (at, key))

    def booked(self, key: int) -> datetime | None:
        return self._booked.get(key)

    def kick(self) -> None:
        self.idle.clear()
        self._wake.set()

    async def settle(self) -> None:
        self.kick()
        await self.idle.wait()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._before_due()
            except Exception:
                log.exception("%s: failed before handling deadlines", self.name)
                await asyncio.sleep(1.0)
                continue
            now = self._clock.now()
            while self._heap and self._heap[0][0] <= now:
                at, key = heapq.heappop(self._heap)
                if self._booked.get(key) != at:
                    continue  # moved or already handled
                del self._booked[key]
                try:
                    await self._due(key, now)
                except Exception:
                    log.exception("%s: item %d failed", self.name, key)
            if self._has_more():
                continue
            self.idle.set()
            await self._clock.wait_until(self._heap[0][0] if self._heap else None, self._wake)

    async def _before_due(self) -> None:
        """Work queued by others, done before looking at deadlines."""

    async def _due(self, key: int, now: datetime) -> None:
        raise NotImplementedError

    def _has_more(self) -> bool:
        """True while queued work arrived during the round (then no sleep)."""
        return False
