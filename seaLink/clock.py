"""Time as the hub sees it. Services take a `Clock`; tests pass a `FakeClock` and move it by hand."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current UTC time (timezone-aware)."""
        ...

    async def wait_until(self, deadline: datetime | None, wake: asyncio.Event) -> None:
        """Return at `deadline` (never, if None) or as soon as `wake` is set, whichever is first."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def wait_until(self, deadline: datetime | None, wake: asyncio.Event) -> None:
        timeout = None if deadline is None else max(0.0, (deadline - self.now()).total_seconds())
        try:
            await asyncio.wait_for(wake.wait(), timeout)
        except TimeoutError:
            pass


class FakeClock:
    """A clock that only moves when told to: `advance()` wakes whoever waits for a passed deadline."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 9, 1, 0, 0, tzinfo=UTC)  # outside the summer moratorium
        self._waiters: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def wait_until(self, deadline: datetime | None, wake: asyncio.Event) -> None:
        if deadline is not None and deadline <= self._now:
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        waiters: set[asyncio.Future[Any]]
        if deadline is not None:
            heapq.heappush(self._waiters, (deadline, next(self._seq), fut))
        waker: asyncio.Future[Any] = asyncio.ensure_future(wake.wait())
        waiters = {fut, waker}
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waker.cancel()
            if not fut.done():
                fut.cancel()

    def set(self, when: datetime) -> None:
        self._now = when
        while self._waiters and self._waiters[0][0] <= self._now:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)

    def advance(self, delta: timedelta | float) -> None:
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        self.set(self._now + step)
