"""Typhoon forecasts: a track of forecast positions with their wind circles (the 7- and 10-level
winds, 风圈), read from GeoJSON or a plain text form; where the storm is at any time between its
forecast points; the danger area as GeoJSON for the map; which boats are inside it now or will be
before the storm has passed, by their position, course and speed.

The plain text form (one forecast per file, `#` starts a comment):

    name 天兔 Usagi
    # time (ISO 8601 with offset)  lat    lon     7-level radius km   10-level radius km
    2013-09-22T13:00+08:00         22.1   117.1   300                 120

GeoJSON: a FeatureCollection (its `name` property, or each feature's) of Point features whose
properties give `time`, and the radii as `r7_km` / `r10_km` (or `r7_nm` / `r10_nm`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from seaLink.errors import Refused
from seaLink.wire.geo import NM_IN_M, destination, haversine_nm

KM_PER_NM = NM_IN_M / 1000
MAX_POINTS = 200
# A forecast reaches days ahead, not weeks: the span bounds the work of judging every boat.
MAX_SPAN = timedelta(days=15)
CIRCLE_VERTICES = 48


@dataclass(frozen=True, slots=True)
class StormPoint:
    ts: datetime
    lat: float
    lon: float
    r7_nm: float
    r10_nm: float


@dataclass(frozen=True, slots=True)
class Forecast:
    name: str
    points: tuple[StormPoint, ...]  # in time order, at least one

    def to_json(self) -> list[dict[str, Any]]:
        return [{"ts": p.ts.isoformat(), "lat": p.lat, "lon": p.lon, "r7_nm": p.r7_nm,
                 "r10_nm": p.r10_nm} for p in self.points]  # fmt: skip

    @staticmethod
    def from_json(name: str, rows: list[dict[str, Any]]) -> Forecast:
        return Forecast(name, tuple(StormPoint(datetime.fromisoformat(r["ts"]), r["lat"], r["lon"],
                                               r["r7_nm"], r["r10_nm"]) for r in rows))  # fmt: skip


def _refuse(msg: str) -> Refused:
    return Refused("bad_forecast", msg)


def _point(ts: Any, lat: Any, lon: Any, r7: Any, r10: Any, per_nm: float, where: str) -> StormPoint:
    try:
        when = ts if isinstance(ts, datetime) else datetime.fromisoformat(str(ts))
        la, lo, a, b = float(lat), float(lon), float(r7) / per_nm, float(r10) / per_nm
    except (TypeError, ValueError):
        raise _refuse(f"{where}: time, lat, lon and the two radii must be given") from None
    if when.tzinfo is None:
        raise _refuse(f"{where}: the time needs its offset (e.g. +08:00)")
    if not 2000 <= when.year <= 2100:
        raise _refuse(f"{where}: the time must be between 2000 and 2100")
    if not (-90 <= la <= 90 and -180 <= lo <= 180):
        raise _refuse(f"{where}: position out of range")
    if not (0 <= b <= a <= 1000) or math.isnan(a) or math.isnan(b):
        raise _refuse(f"{where}: radii must be 0 <= 10-level <= 7-level <= 1000 nmi")
    return StormPoint(when, la, lo, a, b)


def _forecast(name: str, points: list[StormPoint]) -> Forecast:
    if not name.strip():
        raise _refuse("the forecast names no storm")
    if not points:
        raise _refuse("the forecast has no position")
    if len(points) > MAX_POINTS:
        raise _refuse(f"more than {MAX_POINTS} forecast positions")
    points.sort(key=lambda p: p.ts)
    if len({p.ts for p in points}) != len(points):
        raise _refuse("two forecast positions for one time")
    if points[-1].ts - points[0].ts > MAX_SPAN:
        raise _refuse(f"the forecast spans more than {MAX_SPAN.days} days")
    return Forecast(name.strip()[:64], tuple(points))


def parse_text(text: str) -> Forecast:
    name, points = "", []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.lower().startswith("name"):
            name = line[4:].strip(" :\t")
            continue
        parts = line.split()
        if len(parts) != 5:
            raise _refuse(f"line {n}: expected time lat lon r7_km r10_km")
        ts, lat, lon, r7, r10 = parts
        points.append(_point(ts, lat, lon, r7, r10, per_nm=KM_PER_NM, where=f"line {n}"))
    return _forecast(name, points)


def parse_geojson(doc: Any) -> Forecast:
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise _refuse("expected a GeoJSON FeatureCollection")
    name = str((doc.get("properties") or {}).get("name") or doc.get("name") or "")
    points = []
    for i, f in enumerate(doc.get("features") or []):
        geom, props = (f or {}).get("geometry") or {}, (f or {}).get("properties") or {}
        if geom.get("type") != "Point":
            continue  # a drawn track line or cone: the points carry the forecast
        name = name or str(props.get("name") or "")
        coords = geom.get("coordinates") or [None, None]
        per = 1.0 if "r7_nm" in props else KM_PER_NM
        r7, r10 = (
            (props.get("r7_nm"), props.get("r10_nm"))
            if per == 1.0
            else (props.get("r7_km"), props.get("r10_km"))
        )
        points.append(_point(props.get("time"), coords[1], coords[0], r7, r10, per_nm=per,
                             where=f"feature {i}"))  # fmt: skip
    return _forecast(name, points)


def storm_at(f: Forecast, t: datetime) -> StormPoint | None:
    """The storm at `t`, between two forecast points (linear); None before or after the track."""
    pts = f.points
    if t < pts[0].ts or t > pts[-1].ts:
        return None
    for a, b in pairwise(pts):
        if a.ts <= t <= b.ts:
            span = (b.ts - a.ts).total_seconds()
            k = (t - a.ts).total_seconds() / span if span else 0.0
            return StormPoint(t, a.lat + k * (b.lat - a.lat), a.lon + k * (b.lon - a.lon),
                              a.r7_nm + k * (b.r7_nm - a.r7_nm), a.r10_nm + k * (b.r10_nm - a.r10_nm))  # fmt: skip
    return pts[-1]


def _times(f: Forecast, now: datetime, step: timedelta) -> Iterator[datetime]:
    t = max(now, f.points[0].ts)
    while t <= f.points[-1].ts:
        yield t
        t += step


def exposure(
    f: Forecast, lat: float, lon: float, sog: float | None, cog: float | None, now: datetime,
    step: timedelta = timedelta(minutes=10),
) -> datetime | None:  # fmt: skip
    """When a boat holding its course and speed first lies within the storm's 7-level circle
    (now, if it does already), or None if the forecast never reaches it."""
    moving = sog is not None and cog is not None and sog > 0
    # A cheap bound first, so a fleet of thousands costs little: no point of the track comes
    # nearer the boat than its nearer end less half its length; if even that is beyond the
    # widest circle plus all the way the boat can go, the storm never reaches it.
    hours = max(0.0, (f.points[-1].ts - now).total_seconds() / 3600)
    reach = (
        max(p.r7_nm for p in f.points) + (sog or 0.0) * hours
        if moving
        else max(p.r7_nm for p in f.points)
    )
    ends = [haversine_nm(lat, lon, p.lat, p.lon) for p in f.points]
    nearest = min(ends)
    for (a, b), (da, db) in zip(pairwise(f.points), pairwise(ends), strict=True):
        nearest = min(nearest, min(da, db) - haversine_nm(a.lat, a.lon, b.lat, b.lon) / 2)
    if nearest > reach + 10:  # 10 nmi for the straight lat/lon steps against great circles
        return None
    for t in _times(f, now, step):
        s = storm_at(f, t)
        assert s is not None
        hours = (t - now).total_seconds() / 3600
        here = destination(lat, lon, cog or 0.0, sog * hours) if moving and sog else (lat, lon)
        if haversine_nm(here[0], here[1], s.lat, s.lon) <= s.r7_nm:
            return t
    return None


def _circle(lat: float, lon: float, r_nm: float) -> list[list[float]]:
    ring = []
    for i in range(CIRCLE_VERTICES + 1):
        la, lo = destination(lat, lon, 360.0 * (i % CIRCLE_VERTICES) / CIRCLE_VERTICES, r_nm)
        ring.append([round(lo, 5), round(la, 5)])
    return ring


def danger_geojson(f: Forecast) -> dict[str, Any]:
    """The track and, at each forecast time, its 7- and 10-level wind circles: the map draws
    the danger area from these."""
    features: list[dict[str, Any]] = [{
        "type": "Feature", "properties": {"kind": "track", "name": f.name},
        "geometry": {"type": "LineString", "coordinates": [[p.lon, p.lat] for p in f.points]},
    }]  # fmt: skip
    for p in f.points:
        for level, r in (("r7", p.r7_nm), ("r10", p.r10_nm)):
            if r > 0:
                features.append({
                    "type": "Feature",
                    "properties": {"kind": level, "time": p.ts.isoformat(), "radius_nm": r},
                    "geometry": {"type": "Polygon", "coordinates": [_circle(p.lat, p.lon, r)]},
                })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}
