"""Zone alerts that ignore GNSS jitter: between the tracker's raw entries and exits (kept as zone
events, every one) and the alerts people are woken for.

An entry raises its alert once the boat has been inside for `fixes` fixes in a row, or for
`seconds` since its first fix inside (whichever comes first: 3 fixes, or 10 minutes, suits boats
that report every 10 minutes as well as those that report every minute). An open alert clears on
the same rule outside. So one bad fix neither raises an alert nor clears one. A crossing seen
between two fixes (in and out again between reports) is two fixes' word already: it raises at
once, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from seaLink.domain.zones import ZoneEvent


@dataclass(slots=True)
class _Streak:
    inside: bool  # the side of the edge the boat's recent fixes are on
    start: datetime  # its first fix on that side
    count: int  # fixes on that side so far
    worthy: bool  # the entry deserves an alert (not exempt, permitted, backfilled, off season)
    alerted: bool = False  # this rule raised the zone's alert and has not cleared it


@dataclass(frozen=True, slots=True)
class Decision:
    action: str  # raise / resolve
    zone_id: int
    ts: datetime


class ZoneConfirm:
    def __init__(self, fixes: int = 3, seconds: float = 600.0) -> None:
        self.fixes = max(1, fixes)
        self.seconds = seconds
        self._state: dict[str, dict[int, _Streak]] = {}

    def after_fix(
        self,
        vessel_id: str,
        ts: datetime,
        events: Sequence[ZoneEvent],
        inside: Callable[[int], bool],
        *,
        live: bool = True,
    ) -> list[Decision]:
        """The alerts to raise or clear after one fix of the vessel (its tracker events given);
        `inside(zone_id)`: where the tracker has it now. Backfilled fixes move the streaks but
        never raise nor clear."""
        out: list[Decision] = []
        streaks = self._state.get(vessel_id)
        crossed = {e.zone_id for e in events if e.kind == "enter"} & {
            e.zone_id for e in events if e.kind == "exit"
        }
        for e in events:
            if e.zone_id in crossed:
                if e.kind == "enter" and e.alert and live:
                    out += [Decision("raise", e.zone_id, ts), Decision("resolve", e.zone_id, ts)]
                continue
            if streaks is None:
                streaks = self._state.setdefault(vessel_id, {})
            s = streaks.get(e.zone_id)
            if e.kind == "enter":
                if s is None:
                    streaks[e.zone_id] = _Streak(True, ts, 0, e.alert)
                else:  # back inside after a stray fix out: the open alert stays open
                    s.inside, s.start, s.count = True, ts, 0
                    s.worthy = s.worthy or e.alert
            elif s is not None:
                s.inside, s.start, s.count = False, ts, 0
        if not streaks:
            return out
        for zone_id, s in list(streaks.items()):
            if s.inside != inside(zone_id):
                continue  # not this fix's news (the zone was reloaded): wait for the tracker
            s.count += 1
            sure = s.count >= self.fixes or (ts - s.start).total_seconds() >= self.seconds
            if s.inside:
                if sure and s.worthy and not s.alerted and live:
                    s.alerted = True
                    out.append(Decision("raise", zone_id, ts))
            elif not s.alerted:
                del streaks[zone_id]  # a stray fix inside, never alerted: forgotten
            elif sure and live:
                out.append(Decision("resolve", zone_id, ts))
                del streaks[zone_id]
        if not streaks:
            del self._state[vessel_id]
        return out
