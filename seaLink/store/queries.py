"""Read-side queries for the API and CLI. Plain dicts out, UTC ISO 8601 times."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from seaLink.store.db import Database
from seaLink.store.tables import (
    Alert,
    AlertEvent,
    DeadLetter,
    Grid,
    Position,
    Vessel,
    VesselState,
)

_v = Vessel.__table__  # type: ignore[attr-defined]
_vs = VesselState.__table__  # type: ignore[attr-defined]
_p = Position.__table__  # type: ignore[attr-defined]
_a = Alert.__table__  # type: ignore[attr-defined]
_g = Grid.__table__  # type: ignore[attr-defined]
_dl = DeadLetter.__table__  # type: ignore[attr-defined]
_ae = AlertEvent.__table__  # type: ignore[attr-defined]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _vessel_row(r: Any) -> dict[str, Any]:
    last = None
    if r.fix_ts is not None:
        last = {
            "ts": _iso(r.fix_ts),
            "lat": r.lat,
            "lon": r.lon,
            "sog": r.sog,
            "cog": r.cog,
            "state": r.nav_state,
        }
    return {
        "id": r.id,
        "hull_name": r.hull_name,
        "mmsi": r.mmsi,
        "beidou_card": r.beidou_card,
        "grid_id": r.grid_id,
        "group_id": r.group_id,
        "home_port": r.home_port,
        "gear": r.gear,
        "persons": r.persons,
        "links": [x for x in (r.links or "").split(",") if x],
        "contact": {
            "state": r.contact_state or "unknown",
            "since": _iso(r.contact_since),
            "last_heard": _iso(r.last_heard),
            "last_link": r.last_link,
            "link_status": r.link_status,
        },
        "last_position": last,
    }


def _vessel_select() -> Any:
    return select(
        _v.c.id,
        _v.c.hull_name,
        _v.c.mmsi,
        _v.c.beidou_card,
        _v.c.grid_id,
        _v.c.group_id,
        _v.c.home_port,
        _v.c.gear,
        _v.c.persons,
        _v.c.links,
        _vs.c.fix_ts,
        _vs.c.lat,
        _vs.c.lon,
        _vs.c.sog,
        _vs.c.cog,
        _vs.c.nav_state,
        _vs.c.contact_state,
        _vs.c.contact_since,
        _vs.c.last_heard,
        _vs.c.last_link,
        _vs.c.link_status,
    ).select_from(_v.outerjoin(_vs, _vs.c.vessel_id == _v.c.id))


async def list_vessels(
    db: Database, *, grid_ids: list[str] | None = None, contact_state: str | None = None
) -> list[dict[str, Any]]:
    q = _vessel_select().order_by(_v.c.id)
    if grid_ids is not None:
        q = q.where(_v.c.grid_id.in_(grid_ids))
    if contact_state:
        q = q.where(_vs.c.contact_state == contact_state)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(q)).all()
    return [_vessel_row(r) for r in rows]


async def get_vessel(db: Database, vessel_id: str) -> dict[str, Any] | None:
    async with db.engine.connect() as conn:
        r = (await conn.execute(_vessel_select().where(_v.c.id == vessel_id))).first()
    return None if r is None else _vessel_row(r)


async def track(
    db: Database,
    vessel_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 5000,
) -> list[dict[str, Any]]:
    """The latest `limit` fixes in the window, returned oldest first."""
    q = select(
        _p.c.ts, _p.c.lat, _p.c.lon, _p.c.sog, _p.c.cog, _p.c.nav_state, _p.c.backfill, _p.c.link
    ).where(_p.c.vessel_id == vessel_id)
    if since is not None:
        q = q.where(_p.c.ts >= since)
    if until is not None:
        q = q.where(_p.c.ts <= until)
    q = q.order_by(_p.c.ts.desc()).limit(limit)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(q)).all()
    return [
        {
            "ts": _iso(r.ts),
            "lat": r.lat,
            "lon": r.lon,
            "sog": r.sog,
            "cog": r.cog,
            "state": r.nav_state,
            "backfill": bool(r.backfill),
            "link": r.link,
        }
        for r in reversed(rows)
    ]


def track_geojson(vessel_id: str, fixes: list[dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection: the track as a LineString, and each fix as a Point (backfill marked)."""
    line = {
        "type": "Feature",
        "properties": {"vessel_id": vessel_id, "kind": "track", "fixes": len(fixes)},
        "geometry": {"type": "LineString", "coordinates": [[f["lon"], f["lat"]] for f in fixes]},
    }
    points = [
        {
            "type": "Feature",
            "properties": {k: v for k, v in f.items() if k not in ("lat", "lon")} | {"kind": "fix"},
            "geometry": {"type": "Point", "coordinates": [f["lon"], f["lat"]]},
        }
        for f in fixes
    ]
    return {"type": "FeatureCollection", "features": [line, *points]}


async def list_alerts(
    db: Database,
    *,
    open_only: bool = True,
    grid_ids: list[str] | None = None,
    vessel_id: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    q = select(_a).order_by(_a.c.raised_at.desc()).limit(limit)
    if vessel_id is not None:
        q = q.where(_a.c.vessel_id == vessel_id)
    if open_only:
        q = q.where(_a.c.state != "resolved")
    if grid_ids is not None:
        q = q.where(_a.c.grid_id.in_(grid_ids))
    async with db.engine.connect() as conn:
        rows = (await conn.execute(q)).mappings().all()
    return [
        {k: (_iso(v) if isinstance(v, datetime) else v) for k, v in row.items()} for row in rows
    ]


async def list_grids(db: Database) -> list[dict[str, Any]]:
    q = (
        select(_g.c.id, _g.c.name, _g.c.leader_id, func.count(_v.c.id).label("vessels"))
        .select_from(_g.outerjoin(_v, _v.c.grid_id == _g.c.id))
        .group_by(_g.c.id, _g.c.name, _g.c.leader_id)
        .order_by(_g.c.id)
    )
    async with db.engine.connect() as conn:
        rows = (await conn.execute(q)).mappings().all()
    return [dict(r) for r in rows]


async def dead_letter_counts(db: Database) -> dict[str, int]:
    q = select(_dl.c.reason, func.count()).group_by(_dl.c.reason)
    async with db.engine.connect() as conn:
        return {r: int(n) for r, n in (await conn.execute(q)).all()}


async def count_positions(db: Database, vessel_id: str | None = None) -> int:
    q = select(func.count()).select_from(_p)
    if vessel_id is not None:
        q = q.where(_p.c.vessel_id == vessel_id)
    async with db.engine.connect() as conn:
        return int((await conn.execute(q)).scalar_one())


# --- Statistics (read by seaLink/api/stats_api.py) ---------------------------------------------


async def contact_history_inputs(
    db: Database, *, grid_ids: list[str] | None, since: datetime, until: datetime
) -> tuple[list[Any], list[Any], list[Any]]:
    """What a past contact state is derived from, for the vessels of `grid_ids` (None: all):
    each vessel with its report interval and latest known state, every fix heard in
    (since, until] in vessel and time order, and the lost-contact and maintenance alerts open at
    some moment of that window."""
    vq = select(
        _v.c.id, _v.c.grid_id, _v.c.report_interval_s,
        _vs.c.last_heard, _vs.c.lat, _vs.c.lon, _vs.c.nav_state,
    ).select_from(_v.outerjoin(_vs, _vs.c.vessel_id == _v.c.id)).order_by(_v.c.id)  # fmt: skip
    # Always through the vessel ids, even unscoped: the (vessel_id, ts) key then serves each
    # vessel's window with a range search instead of a scan of every fix ever stored.
    ids = select(_v.c.id)
    if grid_ids is not None:
        ids = ids.where(_v.c.grid_id.in_(grid_ids))
    pq = (
        select(_p.c.vessel_id, _p.c.ts, _p.c.lat, _p.c.lon, _p.c.nav_state)
        .where(_p.c.vessel_id.in_(ids), _p.c.ts > since, _p.c.ts <= until)
        .order_by(_p.c.vessel_id, _p.c.ts)
    )
    aq = select(_a.c.vessel_id, _a.c.type, _a.c.raised_at, _a.c.resolved_at).where(
        _a.c.type.in_(("lost_contact", "maintenance")),
        _a.c.raised_at <= until,
        or_(_a.c.resolved_at.is_(None), _a.c.resolved_at > since),
    )
    if grid_ids is not None:
        vq = vq.where(_v.c.grid_id.in_(grid_ids))
        aq = aq.where(_a.c.grid_id.in_(grid_ids))
    async with db.engine.connect() as conn:
        vessels = list((await conn.execute(vq)).all())
        fixes = list((await conn.execute(pq)).all())
        alerts = list((await conn.execute(aq)).all())
    return vessels, fixes, alerts


async def alert_timings(
    db: Database, *, grid_ids: list[str] | None, since: datetime, limit: int = 5000
) -> list[dict[str, Any]]:
    """Alerts raised since `since` with when they were acknowledged and resolved, and who
    resolved them (`resolved_by` None: the hub itself, e.g. contact restored)."""
    by_person = (
        select(_ae.c.alert_id, func.min(_ae.c.actor).label("resolved_by"))
        .where(_ae.c.action == "resolved", _ae.c.actor != "system")
        .group_by(_ae.c.alert_id)
        .subquery()
    )
    q = (
        select(
            _a.c.id, _a.c.grid_id, _a.c.type, _a.c.severity, _a.c.raised_at, _a.c.acked_at,
            _a.c.resolved_at, by_person.c.resolved_by,
        )
        .select_from(_a.outerjoin(by_person, by_person.c.alert_id == _a.c.id))
        .where(_a.c.raised_at >= since, _a.c.exercise.is_(False))  # drills never count
        .order_by(_a.c.raised_at)
        .limit(limit)
    )  # fmt: skip
    if grid_ids is not None:
        q = q.where(_a.c.grid_id.in_(grid_ids))
    async with db.engine.connect() as conn:
        rows = (await conn.execute(q)).mappings().all()
    return [dict(r) for r in rows]


async def boats_in_area_at(
    db: Database,
    grid_id: str,
    box: tuple[float, float, float, float],
    at: datetime,
    *,
    window_s: int = 1800,
) -> list[dict[str, Any]]:
    """The grid's boats inside `box` (south, west, north, east; WGS-84) at a past time `at`: each
    boat's last fix in the `window_s` before it. Reads one window of the track (one month's
    partition on PostgreSQL), by the (vessel_id, ts) key."""
    south, west, north, east = box
    since = at - timedelta(seconds=window_s)
    q = (
        select(_p.c.vessel_id, _p.c.ts, _p.c.lat, _p.c.lon)
        .where(_p.c.vessel_id.in_(select(_v.c.id).where(_v.c.grid_id == grid_id)))
        .where(_p.c.ts > since, _p.c.ts <= at)
        .order_by(_p.c.vessel_id, _p.c.ts)
    )
    async with db.engine.connect() as conn:
        rows = (await conn.execute(q)).all()
    last = {r.vessel_id: r for r in rows}  # ordered by time: the last one wins
    return [
        {"vessel_id": r.vessel_id, "ts": _iso(r.ts), "lat": r.lat, "lon": r.lon}
        for r in last.values()
        if south <= r.lat <= north and west <= r.lon <= east
    ]
