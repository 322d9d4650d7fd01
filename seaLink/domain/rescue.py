"""Which boats can reach a vessel in distress soonest (a SURPIC), and the SITREP short form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from seaLink.domain.geo import destination, haversine_nm, initial_bearing_deg


@dataclass(frozen=True, slots=True)
class Candidate:
    id: str
    name: str
    group_id: str
    lat: float
    lon: float
    sog: float | None
    cog: float | None
    fix_ts: datetime
    source: str = "sealink"  # or "ais" for traffic without a SeaLink terminal
    reachable: bool = True  # a link can task it


@dataclass(frozen=True, slots=True)
class Ranked:
    id: str
    name: str
    source: str
    same_group: bool
    lat: float  # dead-reckoned position now
    lon: float
    distance_nm: float
    bearing_deg: float  # from the candidate to the scene
    eta_min: float
    fix_age_min: float
    stale: bool
    reachable: bool


@dataclass(frozen=True, slots=True)
class SurpicRules:
    transit_kn: float = 7.0  # a small fishing boat heading to help
    max_dead_reckoning_min: float = 30.0  # beyond this, course and speed mean little
    stale_after_min: float = 60.0  # a fix older than this is flagged


def dead_reckon(c: Candidate, now: datetime, rules: SurpicRules) -> tuple[float, float]:
    age_h = max(0.0, (now - c.fix_ts).total_seconds()) / 3600
    if not c.sog or c.cog is None:
        return c.lat, c.lon
    hours = min(age_h, rules.max_dead_reckoning_min / 60)
    return destination(c.lat, c.lon, c.cog, c.sog * hours)


def rank(
    scene_lat: float,
    scene_lon: float,
    candidates: list[Candidate],
    now: datetime,
    *,
    own_group: str | None = None,
    exclude: str | None = None,
    rules: SurpicRules | None = None,
    limit: int = 20,
) -> list[Ranked]:
    """Boats ordered by estimated time to the scene, members of the boat's own group first."""
    r = rules or SurpicRules()
    out = []
    for c in candidates:
        if c.id == exclude:
            continue
        lat, lon = dead_reckon(c, now, r)
        dist = haversine_nm(lat, lon, scene_lat, scene_lon)
        age = max(0.0, (now - c.fix_ts).total_seconds() / 60)
        out.append(
            Ranked(
                id=c.id,
                name=c.name,
                source=c.source,
                same_group=bool(own_group) and c.group_id == own_group,
                lat=lat,
                lon=lon,
                distance_nm=dist,
                bearing_deg=initial_bearing_deg(lat, lon, scene_lat, scene_lon),
                eta_min=dist / r.transit_kn * 60,
                fix_age_min=age,
                stale=age > r.stale_after_min,
                reachable=c.reachable,
            )
        )
    out.sort(key=lambda x: (not x.same_group, x.stale, x.eta_min))
    return out[:limit]


def format_position(lat: float, lon: float) -> str:
    """23°06.07'N 117°33.19'E"""

    def part(value: float, pos: str, neg: str, width: int) -> str:
        hemi = pos if value >= 0 else neg
        value = abs(value)
        deg = int(value)
        minutes = (value - deg) * 60
        if round(minutes, 2) >= 60:
            deg, minutes = deg + 1, 0.0
        return f"{deg:0{width}d}°{minutes:05.2f}'{hemi}"

    return f"{part(lat, 'N', 'S', 2)} {part(lon, 'E', 'W', 3)}"


@dataclass(frozen=True, slots=True)
class SitrepFacts:
    number: int
    hull_name: str
    mmsi: str | None
    beidou_card: str | None
    persons_aboard: int | None
    lat: float
    lon: float
    position_ts: datetime
    situation: str
    persons_at_risk: int | None
    assistance: str
    coordinating_centre: str
    issued: datetime
    final: bool = False


def sitrep(f: SitrepFacts) -> str:
    """The SITREP short form, Chinese with the standard English field letters and names."""
    bj = timedelta(hours=8)
    ident = [f.hull_name]
    if f.mmsi:
        ident.append(f"MMSI {f.mmsi}")
    if f.beidou_card:
        ident.append(f"北斗卡 {f.beidou_card}")
    head = "FINAL " if f.final else ""
    return "\n".join(
        [
            f"{head}SITREP {f.number:03d} 情况报告第{f.number}号 — {f.hull_name}",
            f"签发 ISSUED: {f.issued:%Y-%m-%d %H:%MZ}（北京时间 {(f.issued + bj):%m-%d %H:%M}）",
            f"A 识别 IDENTITY: {'，'.join(ident)}；船上 {f.persons_aboard if f.persons_aboard is not None else '不详'} 人",
            f"B 位置 POSITION: {format_position(f.lat, f.lon)}（{f.position_ts:%Y-%m-%d %H:%MZ}）",
            f"C 情况 SITUATION: {f.situation}",
            f"D 遇险人员 PERSONS AT RISK: {f.persons_at_risk if f.persons_at_risk is not None else '不详'}",
            f"E 所需援助 ASSISTANCE REQUIRED: {f.assistance}",
            f"F 协调中心 COORDINATING CENTRE: {f.coordinating_centre}",
        ]
    )
