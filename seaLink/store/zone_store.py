"""Zones, permits and zone events in the store; zone and separation alerts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from seaLink.domain.zones import Zone, ZoneKind, parse_calendar
from seaLink.store.db import Database
from seaLink.store.tables import Alert, AlertEvent, ZoneEventRecord, ZonePermit, ZoneRecord

_z: Any = ZoneRecord.__table__  # type: ignore[attr-defined]
_p: Any = ZonePermit.__table__  # type: ignore[attr-defined]
_e: Any = ZoneEventRecord.__table__  # type: ignore[attr-defined]
_a: Any = Alert.__table__  # type: ignore[attr-defined]
_ev: Any = AlertEvent.__table__  # type: ignore[attr-defined]


def zone_from_row(r: Any) -> Zone:
    geometry = json.loads(r.geometry)
    return Zone(
        id=int(r.id),
        name=r.name,
        kind=ZoneKind(r.kind),
        geometry=geometry,
        radius_nmi=r.radius_nmi,
        buffer_nmi=r.buffer_nmi,
        calendar=parse_calendar(r.calendar or None),
        exempt_gear=frozenset(g for g in (r.exempt_gear or "").split(",") if g),
    )


async def seed_defaults(
    db: Database, doc: dict[str, Any], now: datetime, port_radius_nmi: float
) -> int:
    """Load the shipped zones into an empty zone table."""
    async with db.engine.begin() as conn:
        if (await conn.execute(select(func.count()).select_from(_z))).scalar_one():
            return 0
        rows = []
        for f in doc.get("features", []):
            p = f.get("properties") or {}
            kind = p.get("kind")
            if kind not in ZoneKind._value2member_map_:
                continue
            rows.append({
                "name": p.get("name", ""), "name_en": p.get("name_en", ""), "kind": kind,
                "geometry": json.dumps(f["geometry"]), "radius_nmi": float(p.get("radius_nmi", port_radius_nmi if kind == "port" else 0)),
                "buffer_nmi": float(p.get("buffer_nmi", 0)), "calendar": (p.get("calendar") or ""),
                "exempt_gear": ",".join(p.get("exempt_gear", [])), "active": True, "created_at": now,
            })  # fmt: skip
        if rows:
            await conn.execute(_z.insert(), rows)
        return len(rows)


async def load_zones(db: Database) -> tuple[list[Zone], dict[str, set[int]]]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(_z).where(_z.c.active.is_(True)).order_by(_z.c.id))).all()
        permits = (await conn.execute(select(_p.c.vessel_id, _p.c.zone_id))).all()
    by_vessel: dict[str, set[int]] = {}
    for vid, zid in permits:
        by_vessel.setdefault(vid, set()).add(int(zid))
    return [zone_from_row(r) for r in rows], by_vessel


async def inside_now(db: Database) -> set[tuple[str, int]]:
    """(vessel, zone) pairs whose last recorded event is an entry."""
    latest = (
        select(_e.c.vessel_id, _e.c.zone_id, func.max(_e.c.id).label("last"))
        .group_by(_e.c.vessel_id, _e.c.zone_id)
        .subquery()
    )
    q = (
        select(_e.c.vessel_id, _e.c.zone_id)
        .join(latest, _e.c.id == latest.c.last)
        .where(_e.c.kind == "enter")
    )
    async with db.engine.connect() as conn:
        return {(r[0], int(r[1])) for r in (await conn.execute(q)).all()}


def zones_geojson(rows: list[Any]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": r.id,
                "properties": {
                    "id": r.id,
                    "name": r.name,
                    "name_en": r.name_en,
                    "kind": r.kind,
                    "radius_nmi": r.radius_nmi,
                    "buffer_nmi": r.buffer_nmi,
                    "calendar": r.calendar or None,
                    "exempt_gear": [g for g in (r.exempt_gear or "").split(",") if g],
                },
                "geometry": json.loads(r.geometry),
            }
            for r in rows
        ],
    }


async def all_zones_geojson(db: Database) -> dict[str, Any]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(_z).where(_z.c.active.is_(True)).order_by(_z.c.id))).all()
    return zones_geojson(list(rows))


async def add_zone(db: Database, row: dict[str, Any]) -> int:
    async with db.engine.begin() as conn:
        key = (await conn.execute(_z.insert().values(**row))).inserted_primary_key
    assert key is not None
    return int(key[0])


async def deactivate_zone(db: Database, zone_id: int) -> bool:
    async with db.engine.begin() as conn:
        return bool(
            (await conn.execute(update(_z).where(_z.c.id == zone_id).values(active=False))).rowcount
        )


async def add_permit(db: Database, zone_id: int, vessel_id: str, note: str) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            db.insert_ignore(_p), [{"zone_id": zone_id, "vessel_id": vessel_id, "note": note}]
        )


async def record(
    db: Database,
    events: list[dict[str, Any]],
    raise_: list[dict[str, Any]],
    resolve_: list[tuple[str, str, datetime, str]],
) -> list[tuple[int, str, str]]:
    """Store zone events; raise alerts (one open per vessel and type) and resolve others.
    Returns (alert id, vessel id, grid id) of newly raised alerts."""
    raised: list[tuple[int, str, str]] = []
    async with db.engine.begin() as conn:
        if events:
            await conn.execute(_e.insert(), events)
        for a in raise_:
            open_ = (await conn.execute(select(_a.c.id).where(
                _a.c.vessel_id == a["vessel_id"], _a.c.type == a["type"], _a.c.state != "resolved"))).first()  # fmt: skip
            if open_ is not None:
                continue
            key = (await conn.execute(_a.insert().values(**a))).inserted_primary_key
            assert key is not None
            alert_id = int(key[0])
            await conn.execute(
                _ev.insert().values(
                    alert_id=alert_id,
                    ts=a["raised_at"],
                    action="raised",
                    phase=a["phase"],
                    actor="system",
                    note=a["detail"],
                )
            )
            raised.append((alert_id, a["vessel_id"], a["grid_id"]))
        for vessel_id, type_, ts, note in resolve_:
            open_ = (await conn.execute(select(_a.c.id).where(
                _a.c.vessel_id == vessel_id, _a.c.type == type_, _a.c.state != "resolved"))).first()  # fmt: skip
            if open_ is None:
                continue
            await conn.execute(update(_a).where(_a.c.id == open_[0]).values(
                state="resolved", outcome="other", resolved_at=ts, updated_at=ts, escalate_at=None))  # fmt: skip
            await conn.execute(
                _ev.insert().values(
                    alert_id=open_[0], ts=ts, action="resolved", phase="", actor="system", note=note
                )
            )
    return raised
