"""Sentences as they stream from a GNSS box -> one fix per cycle (epoch), using the wire parser.

`parse_nmea_fixes` merges the sentences of one epoch (the same time of day) when it gets them in
one batch. On a port they arrive one by one, so a cycle is held back until it is complete: until a
position sentence of another time of day starts the next cycle, or the caller closes it (the box
went quiet, or the stream ended). Each line is looked at alone first (the same parser, one line):
a line that cannot belong to a fix is refused at once with its reason; the others wait for their
cycle, which is then parsed as a batch, so that RMC, GGA, GLL and VTG of one epoch become one fix
exactly as on `up/nmea`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from seaLink.wire.nmea import NmeaReject, NmeaRejection, parse_nmea_fixes
from seaLink.wire.payloads import Fix

Result = tuple[list[Fix], list[NmeaRejection]]


class CycleAssembler:
    """Feed lines; get the fixes of the cycles that are complete and the refused lines."""

    def __init__(self, now: Callable[[], dt.datetime], max_lines: int = 32) -> None:
        self._now = now
        self._max_lines = max_lines  # a cycle never needs more; bounds a box stuck on one time
        self._lines: list[str] = []
        self._time: dt.time | None = None

    @property
    def open(self) -> bool:
        """Whether sentences wait for their cycle to complete."""
        return bool(self._lines)

    def feed(self, line: str) -> Result:
        fixes, rejections = parse_nmea_fixes([line], now=self._now())
        if fixes:  # RMC, GGA or GLL with a position: it belongs to the cycle of its time of day
            time: dt.time | None = fixes[0].ts.time()
            next_cycle = self._time is not None and time != self._time
        elif rejections and rejections[0].reason is NmeaReject.NO_POSITION:
            time, next_cycle = None, False  # a VTG alone: speed and course for its cycle
        else:
            return [], rejections  # refused whatever comes with it (or a blank line)
        done = self.close() if next_cycle or len(self._lines) >= self._max_lines else ([], [])
        self._lines.append(line)
        if time is not None:
            self._time = time
        return done

    def close(self) -> Result:
        """The fix of the cycle being assembled (and the lines it refuses as a whole)."""
        if not self._lines:
            return [], []
        lines, self._lines, self._time = self._lines, [], None
        return parse_nmea_fixes(lines, now=self._now())
