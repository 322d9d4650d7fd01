"""Where a boat of a typhoon recall really stands: its answer checked against its track.

A pure function of the facts (the boat's answer, its fixes, its open distress and lost-contact
alerts) and the order's terms (issued, deadline, named shelter), so the board, the alerts and
the tests that compute the truth from a scenario all agree on one rule:

- inside a harbour: "in_port" (its home port or the named shelter) or "sheltering" (another
  harbour), whatever it answered; a boat that never answered but whose track is in a harbour counts too (source
  "track");
- in distress (an open distress alert): "distress"; out of contact (an open lost-contact alert)
  and not in a harbour: "lost_contact";
- at sea and closing on its harbour (distance over the fixes of the last `window_s`, or with a
  single fix its course and speed): "returning_on_time" or "returning_late" by the ETA against
  the deadline (at sea after the deadline is late);
- anything else: "unaccounted".

Flags: "contradicted" (与轨迹不符) when the answer says in port / sheltering but the boat is at
sea, or says returning but the track is not closing on a harbour; "left_port" (离港) when the
boat was in a harbour at or after the order and is at sea now, or when its terminal reported
leaving port after the order (进出港报告) and neither a later fix in a harbour nor a later entry
report says it is back (the report is the newer word than a fix from before it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from seaLink.domain.ports import Port, PortIndex
from seaLink.wire.geo import haversine_nm, initial_bearing_deg

LINES = (
    "in_port",
    "returning_on_time",
    "returning_late",
    "sheltering",
    "distress",
    "lost_contact",
    "unaccounted",
)
FLAGS = ("contradicted", "left_port")
# Closing means the distance fell by more than this over the window: GNSS scatter of a boat
# lying still is a few tens of metres, a boat steaming home at 5 kn closes ~0.8 nmi in 10 min.
MIN_CLOSING_NM = 0.1
# A single fix: closing when under way within this angle of the bearing to its harbour.
MAX_COURSE_OFF_DEG = 60.0
MIN_SPEED_KN = 1.0


@dataclass(frozen=True, slots=True)
class Fix:
    ts: datetime
    lat: float
    lon: float
    sog: float | None = None
    cog: float | None = None


@dataclass(frozen=True, slots=True)
class Terms:
    """The recall order: when it went out, its deadline, the shelter it names (if any)."""

    issued_at: datetime
    deadline: datetime
    shelter: str | None = None


@dataclass(frozen=True, slots=True)
class BoatFacts:
    home_port: str = ""
    answer: str | None = None  # returning / sheltering / in_port (RecallStatus)
    answer_port: str | None = None
    fixes: tuple[Fix, ...] = ()  # oldest first; the last one before the order included
    distress: bool = False
    lost_contact: bool = False
    # The terminal's exit report after the order, unless an entry report followed it.
    reported_out: datetime | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    line: str
    source: str  # "answer", "track" or "none"
    flags: tuple[str, ...]
    port: str | None  # the harbour it is in, or the one it is judged against
    distance_nm: float | None
    eta: datetime | None
    fix: Fix | None


def judge(
    facts: BoatFacts, terms: Terms, ports: PortIndex, now: datetime, window_s: float = 1800.0
) -> Verdict:
    fixes = facts.fixes
    last = fixes[-1] if fixes else None
    here = ports.port_at(last.lat, last.lon) if last else None
    flags: list[str] = []
    left_by_track = last is not None and here is None and _left_port(fixes, terms.issued_at, ports)
    left_by_report = facts.reported_out is not None and (
        last is None or here is None or last.ts <= facts.reported_out
    )
    if left_by_track or left_by_report:
        flags.append("left_port")
    if here is not None:
        home = {terms.shelter, facts.home_port} - {None, ""}
        line = "in_port" if (here.name in home or not home) else "sheltering"
        source = "answer" if facts.answer in ("in_port", "sheltering") else "track"
        if facts.distress:
            line = "distress"
        return Verdict(line, source, tuple(flags), here.name, 0.0, None, last)

    target = _target(facts, terms, ports, last)
    dist = haversine_nm(last.lat, last.lon, target.lat, target.lon) if last and target else None
    speed = _closing_speed(fixes, target, window_s) if target and last else None
    closing = speed is not None and speed > 0
    eta = None
    if closing and dist is not None and speed:
        eta = last.ts + timedelta(hours=dist / speed) if last else None

    if last is None:  # nothing to check the answer against: the answer stands
        source = "answer" if facts.answer else "none"
        if facts.answer in ("in_port", "sheltering"):
            line = "in_port" if facts.answer == "in_port" else "sheltering"
        elif facts.answer == "returning":
            line = "returning_on_time" if now < terms.deadline else "returning_late"
        else:
            line = "unaccounted"
    else:
        if facts.answer in ("in_port", "sheltering") or (
            facts.answer == "returning" and not closing
        ):
            flags.append("contradicted")
        if closing:
            late = now >= terms.deadline or (eta is not None and eta > terms.deadline)
            line = "returning_late" if late else "returning_on_time"
            source = "answer" if facts.answer == "returning" else "track"
        else:
            line = "unaccounted"
            source = "answer" if facts.answer else "none"
    if facts.distress:
        line = "distress"
    elif facts.lost_contact:
        line = "lost_contact"
    return Verdict(line, source, tuple(flags), target.name if target else None, dist, eta, last)


def _left_port(fixes: Sequence[Fix], issued_at: datetime, ports: PortIndex) -> bool:
    """In a harbour at the order (its last fix before it) or at any fix since."""
    before = [f for f in fixes if f.ts <= issued_at]
    since = [f for f in fixes if f.ts > issued_at]
    seen = ([before[-1]] if before else []) + since
    return any(ports.port_at(f.lat, f.lon) is not None for f in seen)


def _target(facts: BoatFacts, terms: Terms, ports: PortIndex, last: Fix | None) -> Port | None:
    """The harbour the boat is judged against: the one it names, the recall's shelter, its home
    port, else the nearest."""
    by_name = {p.name: p for p in ports.ports}
    for name in (facts.answer_port, terms.shelter, facts.home_port):
        if name and name in by_name:
            return by_name[name]
    if last is None or not ports.ports:
        return None
    return min(ports.ports, key=lambda p: haversine_nm(last.lat, last.lon, p.lat, p.lon))


def _closing_speed(fixes: Sequence[Fix], target: Port, window_s: float) -> float | None:
    """Knots of closing on the target over the window's fixes (None: not judged closing)."""
    last = fixes[-1]
    recent = [f for f in fixes if (last.ts - f.ts).total_seconds() <= window_s]
    first = recent[0]
    d_last = haversine_nm(last.lat, last.lon, target.lat, target.lon)
    if first is not last:
        d_first = haversine_nm(first.lat, first.lon, target.lat, target.lon)
        hours = (last.ts - first.ts).total_seconds() / 3600
        if d_first - d_last <= MIN_CLOSING_NM or hours <= 0:
            return None
        return (d_first - d_last) / hours
    if last.sog is None or last.cog is None or last.sog < MIN_SPEED_KN:
        return None
    bearing = initial_bearing_deg(last.lat, last.lon, target.lat, target.lon)
    off = abs((last.cog - bearing + 180) % 360 - 180)
    if off > MAX_COURSE_OFF_DEG:
        return None
    return last.sog * math.cos(math.radians(off))


def done(line: str, persons_aboard: int, persons_ashore: int | None) -> bool:
    """A boat counts towards 100% once in a harbour with its whole crew ashore (六个百分百)."""
    if line not in ("in_port", "sheltering"):
        return False
    return persons_aboard <= 0 or (persons_ashore is not None and persons_ashore >= persons_aboard)
