"""Waiting before trying again: the one backoff rule of every retry loop in SeaLink.

A loop that retries something (a broker connection, a serial port, a database, a terminal that
does not answer, an uplink nobody received) waits `first_s`, then twice as long after each failure
up to `max_s`, and starts from `first_s` again once it works. A fleet of clients that lost the
same broker adds jitter, so that they do not all come back in the same instant.

It lives in `seaLink.wire` so that the hub, the gateways and the simulators share it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]


def doubling_delay(first_s: float, max_s: float, attempt: int) -> float:
    """The wait before try number `attempt` (1, 2, ...): `first_s` doubled `attempt - 1` times,
    at most `max_s`."""
    return min(max_s, first_s * 2.0 ** min(max(attempt - 1, 0), 64))


class Backoff:
    """Doubling delays from `first_s` to at most `max_s`; `reset()` after a success.

    `jitter`, when given, returns a factor each delay is multiplied by (e.g. a seeded
    `rng.uniform(0.5, 1.5)`).
    """

    __slots__ = ("_jitter", "failures", "first_s", "max_s")

    def __init__(
        self, first_s: float, max_s: float, jitter: Callable[[], float] | None = None
    ) -> None:
        if first_s <= 0 or max_s < first_s:
            raise ValueError("backoff needs 0 < first_s <= max_s")
        self.first_s = first_s
        self.max_s = max_s
        self._jitter = jitter
        self.failures = 0  # since the last reset

    @property
    def delay(self) -> float:
        """The next wait, before jitter."""
        return doubling_delay(self.first_s, self.max_s, self.failures + 1)

    def next(self) -> float:
        """Count a failure and return how long to wait before the next try."""
        wait = self.delay
        self.failures += 1
        return wait * self._jitter() if self._jitter is not None else wait

    def reset(self) -> None:
        self.failures = 0

    async def wait(self, sleep: Sleep = asyncio.sleep) -> None:
        """`next()`, slept on `sleep` (an injected clock's, in tests)."""
        await sleep(self.next())
