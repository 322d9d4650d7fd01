"""Simulated time and the one task that runs every timed action of a simulated fleet.

`--speed` compresses the simulated world (motion, trip lengths, report intervals, human reaction
times, distress repeats) into real time. Timestamps on the wire stay wall-clock UTC: the hub
rejects fixes from the future, and it is the hub's clock that watches for silence.

Thousands of vessels each with a sleeping task would cost a task switch per action; a heap of
(simulated due time, sequence, callback) drained by one task costs a heap operation instead, and
runs actions due at the same time in the order they were scheduled.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Action = Callable[[], None]
_MAX_IDLE_S = 0.1  # wake up at least this often (newly scheduled earlier actions are picked up)
_BATCH = 500  # actions run before yielding to the sockets


class SimClock:
    """Simulated seconds since t=0, which maps to wall-clock `start_wall` (epoch seconds)."""

    def __init__(self, speed: float, start_wall: float | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.start_wall = time.time() if start_wall is None else start_wall
        # Anchor on the monotonic clock so a wall-clock step does not jerk the simulation.
        self._t0 = time.monotonic() - (time.time() - self.start_wall)

    def now(self) -> float:
        return (time.monotonic() - self._t0) * self.speed

    def real_seconds(self, sim_seconds: float) -> float:
        return sim_seconds / self.speed


class Scheduler:
    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._heap: list[tuple[float, int, Action]] = []
        self._seq = itertools.count()
        self.errors = 0

    def __len__(self) -> int:
        return len(self._heap)

    def at(self, sim_t: float, action: Action) -> None:
        heapq.heappush(self._heap, (sim_t, next(self._seq), action))

    def after(self, sim_seconds: float, action: Action) -> None:
        self.at(self.clock.now() + sim_seconds, action)

    def after_real(self, real_seconds: float, action: Action) -> None:
        """For things that happen in real time whatever the speed (reconnect back-off)."""
        self.after(real_seconds * self.clock.speed, action)

    def run_due(self, limit: int = _BATCH) -> int:
        """Run up to `limit` due actions; a failing action is logged and counted, never fatal."""
        now = self.clock.now()
        done = 0
        heap = self._heap
        while heap and heap[0][0] <= now and done < limit:
            _, _, action = heapq.heappop(heap)
            done += 1
            try:
                action()
            except Exception:
                self.errors += 1
                log.exception("sim: a scheduled action failed")
        return done

    async def run(self) -> None:
        """Forever; cancel to stop."""
        while True:
            if self.run_due() >= _BATCH:
                await asyncio.sleep(0)  # more are due: let socket I/O in, then go on
                continue
            delay = _MAX_IDLE_S
            if self._heap:
                delay = min(delay, self.clock.real_seconds(self._heap[0][0] - self.clock.now()))
            await asyncio.sleep(max(0.001, delay))
