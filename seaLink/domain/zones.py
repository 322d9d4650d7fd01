"""Zones: polygons, circles and lines with a buffer; calendars and exemptions; entry and exit
with hysteresis, including crossings between sparse fixes. Pure: no I/O.

Distances use a local equirectangular projection around each zone (nautical miles on a plane),
accurate to well under 1% over the few tens of miles a zone spans.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

NM_PER_DEG_LAT = 60.0


class ZoneKind(StrEnum):
    PROTECTED = "protected"
    MORATORIUM = "moratorium"
    SENSITIVE = "sensitive"
    SHIPPING_LANE = "shipping_lane"
    PORT = "port"
    LAND = "land"


ALERTING_KINDS = {
    ZoneKind.PROTECTED,
    ZoneKind.MORATORIUM,
    ZoneKind.SENSITIVE,
    ZoneKind.SHIPPING_LANE,
}


@dataclass(frozen=True, slots=True)
class AnnualWindow:
    """Every year from `start` to `end` (month, day, hour, minute) in a local time zone."""

    start: tuple[int, int, int, int]
    end: tuple[int, int, int, int]
    tz: str = "Asia/Shanghai"

    def active(self, t: datetime) -> bool:
        local = t.astimezone(_zone(self.tz))
        key = (local.month, local.day, local.hour, local.minute)
        if self.start <= self.end:
            return self.start <= key < self.end
        return key >= self.start or key < self.end  # a window across the new year


@functools.lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_calendar(text: str | None) -> AnnualWindow | None:
    """'every year 05-01 12:00 to 08-16 12:00 Asia/Shanghai' (the form used in the zones file)."""
    if not text:
        return None
    words = text.replace("every year", "").split()
    # [MM-DD, HH:MM, 'to', MM-DD, HH:MM, tz?]
    try:
        m1, d1 = (int(x) for x in words[0].split("-"))
        h1, n1 = (int(x) for x in words[1].split(":"))
        m2, d2 = (int(x) for x in words[3].split("-"))
        h2, n2 = (int(x) for x in words[4].split(":"))
    except (IndexError, ValueError):
        raise ValueError(f"calendar not understood: {text!r}") from None
    tz = words[5] if len(words) > 5 else "Asia/Shanghai"
    return AnnualWindow((m1, d1, h1, n1), (m2, d2, h2, n2), tz)


@dataclass(frozen=True, slots=True)
class Zone:
    id: int
    name: str
    kind: ZoneKind
    geometry: dict[str, Any]  # GeoJSON Polygon, Point (with radius) or LineString
    radius_nmi: float = 0.0  # for Point zones
    buffer_nmi: float = 0.0  # around polygons and lines
    calendar: AnnualWindow | None = None
    exempt_gear: frozenset[str] = frozenset()
    hysteresis_nmi: float = 0.1
    name_en: str = ""
    _bbox: tuple[float, float, float, float] = field(default=(0, 0, 0, 0), compare=False)
    # Season answers by UTC minute: they depend only on the minute (zone offsets are whole
    # minutes), and a fleet's fixes come in around the same minutes.
    _seasons: dict[int, bool] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        lons, lats = zip(*_all_points(self.geometry), strict=True)
        pad = (self.buffer_nmi + self.radius_nmi + self.hysteresis_nmi) / NM_PER_DEG_LAT
        lat_mid = (min(lats) + max(lats)) / 2
        pad_lon = pad / max(0.05, math.cos(math.radians(lat_mid)))
        object.__setattr__(
            self,
            "_bbox",
            (min(lons) - pad_lon, min(lats) - pad, max(lons) + pad_lon, max(lats) + pad),
        )

    def in_season(self, t: datetime) -> bool:
        if self.calendar is None:
            return True
        minute = int(t.timestamp()) // 60
        known = self._seasons.get(minute)
        if known is None:
            if len(self._seasons) > 4096:
                self._seasons.clear()
            known = self._seasons[minute] = self.calendar.active(t)
        return known

    def signed_distance(self, lat: float, lon: float) -> float:
        """Negative inside (depth in nmi), positive outside (distance to the zone's edge)."""
        g = self.geometry
        if g["type"] == "Point":
            clon, clat = g["coordinates"][:2]
            return _plane_dist(lat, lon, clat, clon) - self.radius_nmi
        if g["type"] == "LineString":
            return _dist_to_path(lat, lon, g["coordinates"]) - self.buffer_nmi
        ring = g["coordinates"][0]
        edge = _dist_to_path(lat, lon, ring)
        if _point_in_ring(lon, lat, ring):
            return -edge - self.buffer_nmi
        return edge - self.buffer_nmi

    def contains(self, lat: float, lon: float) -> bool:
        b = self._bbox
        if not (b[0] <= lon <= b[2] and b[1] <= lat <= b[3]):
            return False
        if self._inside_ring(lat, lon):
            return True  # signed distance -edge - buffer <= 0: no need to measure the edge
        return self.signed_distance(lat, lon) <= 0

    def clearly_outside(self, lat: float, lon: float) -> bool:
        """Outside by more than the hysteresis margin: only then does an entry end."""
        b = self._bbox
        if not (b[0] <= lon <= b[2] and b[1] <= lat <= b[3]):
            return True
        if self._inside_ring(lat, lon):
            return False  # -edge - buffer is never above a margin >= 0
        return self.signed_distance(lat, lon) > self.hysteresis_nmi

    def _inside_ring(self, lat: float, lon: float) -> bool:
        """Inside a polygon's own ring (with a buffer and margin that are not negative): then
        the answers above are known without the costlier distance to the edge."""
        g = self.geometry
        return (
            g["type"] == "Polygon"
            and self.buffer_nmi >= 0
            and self.hysteresis_nmi >= 0
            and _point_in_ring(lon, lat, g["coordinates"][0])
        )

    def crossed(
        self, lat0: float, lon0: float, lat1: float, lon1: float, ends_outside: bool = False
    ) -> bool:
        """Did the straight track between two fixes pass through the zone? (`ends_outside`: the
        caller knows that neither fix is inside, so only the points between are tested.)"""
        b = self._bbox
        if (max(lon0, lon1) < b[0] or min(lon0, lon1) > b[2] or max(lat0, lat1) < b[1]
                or min(lat0, lat1) > b[3]):  # fmt: skip
            return False  # the track's box misses the zone's box: the common case, and cheap
        if not ends_outside and (self.contains(lat0, lon0) or self.contains(lat1, lon1)):
            return True
        steps = max(
            2,
            int(
                _plane_dist(lat0, lon0, lat1, lon1)
                / max(0.25, self.buffer_nmi + self.radius_nmi or 0.25)
            ),
        )
        steps = min(steps, 2000)
        for i in range(1, steps):
            f = i / steps
            if self.contains(lat0 + (lat1 - lat0) * f, lon0 + (lon1 - lon0) * f):
                return True
        return False


def _all_points(g: dict[str, Any]) -> list[tuple[float, float]]:
    if g["type"] == "Point":
        return [tuple(g["coordinates"][:2])]  # type: ignore[list-item]
    if g["type"] == "LineString":
        return [tuple(p[:2]) for p in g["coordinates"]]
    if g["type"] == "Polygon":
        return [tuple(p[:2]) for p in g["coordinates"][0]]
    raise ValueError(f"unsupported zone geometry {g['type']!r}: use Polygon, Point or LineString")


def _plane_dist(lat0: float, lon0: float, lat1: float, lon1: float) -> float:
    k = math.cos(math.radians((lat0 + lat1) / 2))
    return math.hypot((lon1 - lon0) * k * NM_PER_DEG_LAT, (lat1 - lat0) * NM_PER_DEG_LAT)


def _dist_to_path(lat: float, lon: float, coords: list[list[float]]) -> float:
    k = math.cos(math.radians(lat))
    px, py = lon * k * NM_PER_DEG_LAT, lat * NM_PER_DEG_LAT
    best = math.inf
    for a, b in itertools.pairwise(coords):
        ax, ay = a[0] * k * NM_PER_DEG_LAT, a[1] * NM_PER_DEG_LAT
        bx, by = b[0] * k * NM_PER_DEG_LAT, b[1] * NM_PER_DEG_LAT
        dx, dy = bx - ax, by - ay
        seg = dx * dx + dy * dy
        t = 0.0 if seg == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / seg))
        best = min(best, math.hypot(px - (ax + t * dx), py - (ay + t * dy)))
    return best


def _point_in_ring(lon: float, lat: float, ring: list[list[float]]) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


@dataclass(frozen=True, slots=True)
class ZoneEvent:
    vessel_id: str
    zone_id: int
    kind: str  # enter / exit
    ts: datetime
    alert: bool  # False for backfilled fixes, out-of-season calendars, exemptions, permits


@dataclass(frozen=True, slots=True)
class FixInfo:
    lat: float
    lon: float
    ts: datetime
    in_port: bool


class ZoneTracker:
    """Which vessel is inside which zone; turns fixes into entry/exit events."""

    def __init__(self, zones: list[Zone]) -> None:
        self.zones = [z for z in zones if z.kind in ALERTING_KINDS]
        self._bands = [z for z in self.zones if z.kind is ZoneKind.MORATORIUM]
        self.inside: set[tuple[str, int]] = set()
        self.last: dict[str, FixInfo] = {}
        # Vessels whose last fix this tracker judged: for every zone (but the moratorium band)
        # that such a vessel is not in, its last fix was outside the zone, so a crossing test
        # from it need not test it again. (A new tracker, after a zone reload, knows no one.)
        self._judged: set[str] = set()

    def port_matters(self, ts: datetime) -> bool:
        """Does `FixInfo.in_port` change any answer at this time? (Only a moratorium band in its
        season asks; callers may skip the port lookup otherwise.)"""
        return any(z.in_season(ts) for z in self._bands)

    def observe(
        self,
        vessel_id: str,
        fix: FixInfo,
        *,
        gear: str,
        permits: AbstractSet[int],
        backfill: bool,
    ) -> list[ZoneEvent]:
        prev = self.last.get(vessel_id)
        if prev is not None and fix.ts < prev.ts:
            return []  # an older fix (late backfill) does not rewrite where the vessel is now
        self.last[vessel_id] = fix
        judged = vessel_id in self._judged
        self._judged.add(vessel_id)
        events = []
        for z in self.zones:
            key = (vessel_id, z.id)
            moratorium = z.kind is ZoneKind.MORATORIUM
            if key in self.inside:
                # Inside already: only leaving matters (the entry tests are not needed).
                if moratorium:
                    # The whole coast lies in the band: what counts is being at sea in season.
                    leaving = not (
                        z.in_season(fix.ts) and not fix.in_port and z.contains(fix.lat, fix.lon)
                    )
                else:
                    leaving = z.clearly_outside(fix.lat, fix.lon)
                if leaving:
                    self.inside.discard(key)
                    events.append(ZoneEvent(vessel_id, z.id, "exit", fix.ts, alert=not backfill))
                continue
            if moratorium:
                # Season first: out of season, which is most of the year, nothing else is needed.
                here = z.in_season(fix.ts) and not fix.in_port and z.contains(fix.lat, fix.lon)
                now_in = here
            else:
                here = z.contains(fix.lat, fix.lon)
                now_in = here or (
                    prev is not None
                    and z.crossed(prev.lat, prev.lon, fix.lat, fix.lon, ends_outside=judged)
                )
            if not now_in:
                continue
            self.inside.add(key)
            quiet = backfill or not z.in_season(fix.ts) or gear in z.exempt_gear or z.id in permits
            events.append(ZoneEvent(vessel_id, z.id, "enter", fix.ts, alert=not quiet))
            if not here:
                # Crossed between fixes and already out again.
                self.inside.discard(key)
                events.append(ZoneEvent(vessel_id, z.id, "exit", fix.ts, alert=not quiet))
        return events


def separation_nm(lat: float, lon: float, mates: list[tuple[float, float]]) -> float | None:
    """Distance to the nearest other member of the group, or None if none is at sea."""
    if not mates:
        return None
    return min(_plane_dist(lat, lon, a, b) for a, b in mates)
