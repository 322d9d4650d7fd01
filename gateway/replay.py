"""A recorded file played back as if it came from a port, at a given line rate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from gateway.clock import Clock, SystemClock
from gateway.serial_link import PortClosed

_TICK_S = 0.05
_BURST = 2000  # lines per chunk when playing as fast as possible


class ReplayFile:
    """Yields the file's bytes in line-aligned chunks; `rate` lines per second (0: no pacing)."""

    def __init__(self, path: Path, rate: float = 0.0, clock: Clock | None = None) -> None:
        self.path = path
        self.url = str(path)
        self._rate = rate
        self._clock = clock or SystemClock()
        self.done = asyncio.Event()
        self.is_open = True

    async def chunks(self) -> AsyncIterator[bytes]:
        lines = self.path.read_bytes().splitlines(keepends=True)
        try:
            if self._rate <= 0:
                for start in range(0, len(lines), _BURST):
                    yield b"".join(lines[start : start + _BURST])
                    await asyncio.sleep(0)
                return
            began = self._clock.monotonic()
            index = 0
            while index < len(lines):
                due = int(self._rate * (self._clock.monotonic() - began)) + 1  # the first at once
                if due > index:
                    yield b"".join(lines[index:due])
                    index = due
                await self._clock.sleep(_TICK_S)
        finally:
            self.is_open = False
            self.done.set()

    async def write(self, data: bytes) -> None:
        raise PortClosed("a replay file cannot be written to")
