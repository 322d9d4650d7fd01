"""Which boats can reach a vessel in distress soonest (a SURPIC), and the SITREP short form.

The rule of the nearest-boats list (docs/operations.md, section 9):

* Every boat is placed where it is now by dead reckoning from its last fix (course and speed, at
  most `max_dead_reckoning_min` of travel), and its ETA is the great-circle distance from there to
  the scene at `transit_kn`.
* A boat is *ready* when its fix is fresh (not older than `stale_after_min`) and a link can hand it
  a message now. Ready boats are ranked by ETA; only they are tasked by "nearest N".
* The others are listed *apart*, by ETA, with the reasons (`stale_fix`, `no_link`, `ais_only`):
  the coordinator sees them, and may task them by name, but no automatic choice picks them.
* The distress boat's own fishing group is a hint and a tie-break: a group mate is listed before
  a boat that arrives less than `tie_min` sooner, never before one that arrives sooner than that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from seaLink.texts import position as format_position
from seaLink.wire.geo import destination, haversine_nm, initial_bearing_deg

STALE_FIX = "stale_fix"  # the last fix is older than the rule allows: where is it now?
NO_LINK = "no_link"  # a SeaLink boat that no link reaches now: a task would wait
AIS_ONLY = "ais_only"  # AIS traffic without a SeaLink terminal: hail it on VHF


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
    reachable: bool = True  # a link can hand it a message now
    grid_id: str = ""
    link: str = ""  # the link that reaches it now: mqtt / beidou ("" when none)


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
    grid_id: str = ""
    link: str = ""
    apart: tuple[str, ...] = ()  # why it is not a tasking candidate; empty: ready

    @property
    def ready(self) -> bool:
        """Fresh fix and reachable now: "nearest N" may task it."""
        return not self.apart


@dataclass(frozen=True, slots=True)
class SurpicRules:
    transit_kn: float = 7.0  # a small fishing boat heading to help
    max_dead_reckoning_min: float = 30.0  # beyond this, course and speed mean little
    # A fix older than this: listed apart, never tasked by "nearest N" (the hub sets it from
    # `alerting.nearest_stale_fix_s`).
    stale_after_min: float = 60.0
    # ETAs closer than this count as a tie, which a group mate wins: 1 min is 0.12 nmi at 7 kn,
    # less than a boat's position is known (a fix is up to a report interval old, and dead
    # reckoning is an estimate), and nothing a rescue turns on.
    tie_min: float = 1.0


def dead_reckon(c: Candidate, now: datetime, rules: SurpicRules) -> tuple[float, float]:
    age_h = max(0.0, (now - c.fix_ts).total_seconds()) / 3600
    if not c.sog or c.cog is None:
        return c.lat, c.lon
    hours = min(age_h, rules.max_dead_reckoning_min / 60)
    return destination(c.lat, c.lon, c.cog, c.sog * hours)


def rank(
    scene_lat: float,
    scene_lon: float,
    candidates: Iterable[Candidate],
    now: datetime,
    *,
    own_group: str | None = None,
    exclude: frozenset[str] | set[str] = frozenset(),
    rules: SurpicRules | None = None,
    limit: int = 20,
) -> list[Ranked]:
    """The ready boats by time to the scene (a group mate first only within a tie), then the boats
    listed apart (stale fix, no link now, AIS only) by time to the scene; at most `limit` of each."""
    r = rules or SurpicRules()
    ready: list[Ranked] = []
    apart: list[Ranked] = []
    for c in candidates:
        if c.id in exclude:
            continue
        lat, lon = dead_reckon(c, now, r)
        dist = haversine_nm(lat, lon, scene_lat, scene_lon)
        age = max(0.0, (now - c.fix_ts).total_seconds() / 60)
        stale = age > r.stale_after_min
        reasons = ((STALE_FIX,) if stale else ()) + (
            () if c.reachable else (AIS_ONLY,) if c.source == "ais" else (NO_LINK,)
        )
        item = Ranked(
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
            stale=stale,
            reachable=c.reachable,
            grid_id=c.grid_id,
            link=c.link if c.reachable else "",
            apart=reasons,
        )
        (apart if reasons else ready).append(item)
    # A group mate is credited `tie_min`: it goes before a boat arriving less than that sooner,
    # never before one arriving sooner still. Equal keys: the sooner ETA, then the id.
    ready.sort(key=lambda x: (x.eta_min - (r.tie_min if x.same_group else 0.0), x.eta_min, x.id))
    apart.sort(key=lambda x: (x.eta_min, x.id))
    return ready[:limit] + apart[:limit]


def nearest_ready(ranked: Iterable[Ranked], n: int) -> list[Ranked]:
    """What "task the nearest N" tasks: the first N SeaLink boats that are ready, in rank order."""
    return [x for x in ranked if x.ready and x.source == "sealink"][:n]


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
    exercise: bool = False  # a drill: every SITREP of it says so, first


def sitrep(f: SitrepFacts) -> str:
    """The SITREP short form, Chinese with the standard English field letters and names."""
    bj = timedelta(hours=8)
    ident = [f.hull_name]
    if f.mmsi:
        ident.append(f"MMSI {f.mmsi}")
    if f.beidou_card:
        ident.append(f"北斗卡 {f.beidou_card}")
    head = ("EXERCISE 演练 " if f.exercise else "") + ("FINAL " if f.final else "")
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
