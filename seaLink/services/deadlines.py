"""A service that acts at deadlines: a heap of (time, key), one owned loop, `kick` and `settle`.

Escalations, request reminders and recall repeats all work this way: sleep until the earliest
deadline (or until woken), handle what is due, sleep again. A failing item is logged and the loop
goes on; an item that meets a database outage stays booked, and the loop waits for the store
(`StoreOutage`). `settle()` returns once everything due now has been handled (tests use it).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from datetime import datetime

from seaLink.clock import Clock
from seaLink.store.outage import StoreOutage, is_store_outage

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
        outage = StoreOutage(self.name, logger=log)
        while True:
            self._wake.clear()
            try:
                await self._before_due()
                await self._run_due()
            except Exception as exc:
                # The store is away: what was due stays booked; wait, then go round again.
                await outage.failed(exc)
                continue
            outage.recovered()
            if self._has_more():
                continue
            self.idle.set()
            await self._clock.wait_until(self._heap[0][0] if self._heap else None, self._wake)

    async def _run_due(self) -> None:
        now = self._clock.now()
        while self._heap and self._heap[0][0] <= now:
            at, key = heapq.heappop(self._heap)
            if self._booked.get(key) != at:
                continue  # moved or already handled
            del self._booked[key]
            try:
                await self._due(key, now)
            except Exception as exc:
                if is_store_outage(exc):
                    if key not in self._booked:  # unless the item booked its own next step
                        self.book(now, key)  # handled again once the store is back
                    raise
                log.exception("%s: item %d failed", self.name, key)

    async def _before_due(self) -> None:
        """Work queued by others, done before looking at deadlines."""

    async def _due(self, key: int, now: datetime) -> None:
        raise NotImplementedError

    def _has_more(self) -> bool:
        """True while queued work arrived during the round (then no sleep)."""
        return False
