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
        name_en=r.name_en or "",
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


async def zone_exists(db: Database, zone_id: int) -> bool:
    """Retired zones too: a permit may outlive a season."""
    async with db.engine.connect() as conn:
        return (await conn.execute(select(_z.c.id).where(_z.c.id == zone_id))).first() is not None
