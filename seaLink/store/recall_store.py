"""The typhoon recall board: where each boat of a recall stands, per grid."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import or_, select

from seaLink.domain.ports import PortIndex
from seaLink.store.db import Database
from seaLink.store.tables import AckEvent, Delivery, Vessel, VesselState

_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_ack: Any = AckEvent.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]
_vs: Any = VesselState.__table__  # type: ignore[attr-defined]

STATUSES = ("in_port", "returning", "sheltering", "unaccounted")


async def board(db: Database, bid: int, ports: PortIndex) -> dict[str, Any]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(
            select(_d.c.vessel_id, _d.c.grid_id, _d.c.msg_id, _v.c.hull_name, _v.c.persons, _vs.c.lat, _vs.c.lon,
                   _vs.c.nav_state, _vs.c.last_heard)
            .select_from(_d.join(_v, _v.c.id == _d.c.vessel_id).outerjoin(_vs, _vs.c.vessel_id == _d.c.vessel_id))
            .where(_d.c.broadcast_id == bid).order_by(_d.c.grid_id, _d.c.vessel_id)
        )).all()  # fmt: skip
        acks = (await conn.execute(
            select(_ack.c.vessel_id, _ack.c.recall, _ack.c.ts).where(
                _ack.c.state == "acknowledged",
                or_(_ack.c.msg_id.like(f"b{bid}-%"), _ack.c.msg_id.like(f"rc{bid}-%")),
            ).order_by(_ack.c.ts)
        )).all()  # fmt: skip
    acked: dict[str, dict[str, Any]] = {}
    for vid, recall, _ts in acks:
        reply = json.loads(recall) if recall else {}
        acked[vid] = reply or acked.get(vid, {})
    vessels: list[dict[str, Any]] = []
    grids: dict[str, dict[str, Any]] = {}
    for vid, grid, _msg, hull, persons, lat, lon, nav, heard in rows:
        reply = acked.get(vid)
        in_port_fix = nav == "in_port" or (lat is not None and ports.port_at(lat, lon) is not None)
        if in_port_fix or (reply or {}).get("status") == "in_port":
            status = "in_port"
        elif (reply or {}).get("status") == "sheltering":
            status = "sheltering"
        elif reply is not None:
            status = "returning"
        else:
            status = "unaccounted"
        ashore = (reply or {}).get("persons_ashore")
        vessels.append({"vessel_id": vid, "hull_name": hull, "grid_id": grid, "status": status,
                        "acknowledged": reply is not None, "port": (reply or {}).get("port"),
                        "persons_aboard": (reply or {}).get("persons_aboard", persons),
                        "persons_ashore": ashore,
                        "last_heard": heard.isoformat() if heard else None})  # fmt: skip
        g = grids.setdefault(
            grid, {"grid_id": grid, "total": 0, **dict.fromkeys(STATUSES, 0), "persons_ashore": 0}
        )
        g["total"] += 1
        g[status] += 1
        g["persons_ashore"] += ashore or 0
    total = {k: sum(g[k] for g in grids.values()) for k in ("total", *STATUSES, "persons_ashore")}
    return {
        "broadcast_id": bid,
        "total": total,
        "grids": sorted(grids.values(), key=lambda g: g["grid_id"]),
        "vessels": vessels,
    }


async def unsent_copies(db: Database, bid: int, vessel_ids: list[str]) -> set[str]:
    """Which of these vessels still have a copy of recall `bid` (the order or a reminder) that
    has not gone out (never confirmed sent by a link, not closed)."""
    if not vessel_ids:
        return set()
    q = select(_d.c.vessel_id).where(
        or_(_d.c.broadcast_id == bid, _d.c.msg_id.like(f"rc{bid}-%")),  # the order, reminders
        _d.c.vessel_id.in_(vessel_ids),
        _d.c.rank == 0,
        _d.c.closed_at.is_(None),
    )
    async with db.engine.connect() as conn:
        return {r[0] for r in (await conn.execute(q)).all()}
