"""The typhoon recall board: where each boat of a recall stands, per grid, as it stood at a time.

Everything the board reads carries its own time (answers, fixes, the raising and resolving of
distress and lost-contact alerts), so the board of any past moment is the same board the desk saw
then: the export for reporting up the chain is this function at a given time.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, true

from seaLink.domain.ports import PortIndex
from seaLink.domain.recall_judge import FLAGS, LINES, BoatFacts, Fix, Terms, done, judge
from seaLink.store.db import Database
from seaLink.store.tables import (
    AckEvent,
    Alert,
    Delivery,
    PortEvent,
    Position,
    RecallCrew,
    Vessel,
    VesselState,
)

_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_ack: Any = AckEvent.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]
_vs: Any = VesselState.__table__  # type: ignore[attr-defined]
_p: Any = Position.__table__  # type: ignore[attr-defined]
_a: Any = Alert.__table__  # type: ignore[attr-defined]
_c: Any = RecallCrew.__table__  # type: ignore[attr-defined]
_pe: Any = PortEvent.__table__  # type: ignore[attr-defined]

# Fixes read from this long before the order: the last one before it tells where the boat was
# when the order went out (in a harbour: leaving later is 离港).
LOOKBACK = timedelta(hours=6)
COUNTS = (*LINES, "returning", "done", "persons_aboard", "persons_ashore", *FLAGS)
# The board's old coarse status, kept for readers of `status`.
_COARSE = {"returning_on_time": "returning", "returning_late": "returning"}


async def board(
    db: Database,
    bid: int,
    ports: PortIndex,
    terms: Terms,
    at: datetime,
    *,
    live: bool,
    window_s: float = 1800,
) -> dict[str, Any]:
    """The board at `at`; `live` (at is now) takes everything stored (a terminal's clock may run
    a little ahead of ours) and adds what is not kept as history: contact states, link statuses,
    the last fix of a boat quiet since long before the order."""
    recalled = select(_d.c.vessel_id).where(_d.c.broadcast_id == bid)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(
            select(_d.c.vessel_id, _d.c.grid_id, _v.c.hull_name, _v.c.persons, _v.c.home_port,
                   _vs.c.lat, _vs.c.lon, _vs.c.fix_ts, _vs.c.last_heard, _vs.c.last_link,
                   _vs.c.link_status, _vs.c.contact_state)
            .select_from(_d.join(_v, _v.c.id == _d.c.vessel_id).outerjoin(_vs, _vs.c.vessel_id == _d.c.vessel_id))
            .where(_d.c.broadcast_id == bid).order_by(_d.c.grid_id, _d.c.vessel_id)
        )).all()  # fmt: skip
        acks = (await conn.execute(
            select(_ack.c.vessel_id, _ack.c.recall, _ack.c.ts).where(
                _ack.c.state == "acknowledged", true() if live else _ack.c.ts <= at,
                or_(_ack.c.msg_id.like(f"b{bid}-%"), _ack.c.msg_id.like(f"rc{bid}-%")),
            ).order_by(_ack.c.ts)
        )).all()  # fmt: skip
        fixes = (await conn.execute(
            select(_p.c.vessel_id, _p.c.ts, _p.c.lat, _p.c.lon, _p.c.sog, _p.c.cog).where(
                _p.c.vessel_id.in_(recalled), _p.c.ts >= terms.issued_at - LOOKBACK,
                true() if live else _p.c.ts <= at,
            ).order_by(_p.c.vessel_id, _p.c.ts)
        )).all()  # fmt: skip
        # Distress and lost contact as they stood at `at` (raised by then, not yet resolved).
        open_at = (await conn.execute(
            select(_a.c.vessel_id, _a.c.type).where(
                _a.c.vessel_id.in_(recalled), _a.c.type.in_(("distress", "lost_contact")),
                _a.c.exercise.is_(False), _a.c.raised_at <= at,
                or_(_a.c.resolved_at.is_(None), _a.c.resolved_at > at),
            )
        )).all()  # fmt: skip
        reports = (await conn.execute(
            select(_pe.c.vessel_id, _pe.c.kind, _pe.c.ts).where(
                _pe.c.vessel_id.in_(recalled), _pe.c.source == "terminal",
                _pe.c.ts > terms.issued_at, true() if live else _pe.c.ts <= at,
            ).order_by(_pe.c.ts, _pe.c.id)
        )).all()  # fmt: skip
        crew = (await conn.execute(
            select(_c.c.vessel_id, _c.c.persons_ashore, _c.c.ts, _c.c.by).where(
                _c.c.broadcast_id == bid, true() if live else _c.c.ts <= at
            ).order_by(_c.c.ts, _c.c.id)
        )).all()  # fmt: skip
    answers: dict[str, dict[str, Any]] = {}
    # Persons ashore: the newest word, the terminal's (its answer) or a coordinator's entry.
    ashore: dict[str, tuple[datetime, int, str]] = {}
    for vid, recall, ts in acks:
        reply = json.loads(recall) if recall else {}
        answers[vid] = reply or answers.get(vid, {})
        if reply.get("persons_ashore") is not None:
            ashore[vid] = (ts, int(reply["persons_ashore"]), "terminal")
    for vid, n, ts, by in crew:
        if vid not in ashore or ts >= ashore[vid][0]:
            ashore[vid] = (ts, int(n), f"coordinator:{by}")
    reported_out: dict[str, datetime | None] = {}
    for vid, kind, ts in reports:  # the newest report decides
        reported_out[vid] = ts if kind == "out" else None
    track: dict[str, list[Fix]] = defaultdict(list)
    for vid, ts, lat, lon, sog, cog in fixes:
        track[vid].append(Fix(ts, lat, lon, sog, cog))
    alerts = {(vid, t) for vid, t in open_at}
    vessels: list[dict[str, Any]] = []
    grids: dict[str, dict[str, Any]] = {}
    for (vid, grid, hull, persons, home, lat, lon, fix_ts, heard, link, link_status,
         contact) in rows:  # fmt: skip
        reply = answers.get(vid)
        path = track.get(vid) or []
        if not path and live and lat is not None and fix_ts is not None:
            path = [Fix(fix_ts, lat, lon)]  # quiet for hours before the order: its last fix
        facts = BoatFacts(home_port=home or "", answer=(reply or {}).get("status"),
                          answer_port=(reply or {}).get("port"), fixes=tuple(path),
                          distress=(vid, "distress") in alerts,
                          lost_contact=(vid, "lost_contact") in alerts,
                          reported_out=reported_out.get(vid))  # fmt: skip
        v = judge(facts, terms, ports, at, window_s)
        _when, ashore_n, ashore_by = ashore.get(vid, (None, None, None))
        aboard = (reply or {}).get("persons_aboard", persons)  # the boat's own count first
        row = {
            "vessel_id": vid, "hull_name": hull, "grid_id": grid, "line": v.line,
            "status": _COARSE.get(v.line, v.line), "source": v.source, "flags": list(v.flags),
            "acknowledged": reply is not None, "answer": facts.answer, "port": v.port,
            "answer_port": facts.answer_port,
            "distance_nm": round(v.distance_nm, 2) if v.distance_nm is not None else None,
            "eta": v.eta.isoformat() if v.eta else None,
            "lat": v.fix.lat if v.fix else None, "lon": v.fix.lon if v.fix else None,
            "fix_ts": v.fix.ts.isoformat() if v.fix else None,
            "fix_age_s": max(0, int((at - v.fix.ts).total_seconds())) if v.fix else None,
            "link": link, "link_status": link_status if live else None,
            "contact_state": contact if live else None,
            "persons_aboard": aboard, "persons_ashore": ashore_n, "ashore_source": ashore_by,
            "done": done(v.line, aboard or 0, ashore_n),
            "last_heard": heard.isoformat() if heard and live else None,
        }  # fmt: skip
        vessels.append(row)
        g = grids.setdefault(grid, {"grid_id": grid, "total": 0, **dict.fromkeys(COUNTS, 0)})
        _count(g, row)
    return {
        "broadcast_id": bid,
        "at": at.isoformat(),
        "deadline": terms.deadline.isoformat(),
        "shelter": terms.shelter,
        "total": totals(list(grids.values())),
        "grids": sorted(grids.values(), key=lambda g: g["grid_id"]),
        "vessels": vessels,
    }


def _count(g: dict[str, Any], row: dict[str, Any]) -> None:
    g["total"] += 1
    g[row["line"]] += 1
    g["returning"] += row["status"] == "returning"
    g["done"] += bool(row["done"])
    g["persons_aboard"] += row["persons_aboard"] or 0
    g["persons_ashore"] += row["persons_ashore"] or 0
    for f in row["flags"]:
        g[f] += 1


def totals(grids: list[dict[str, Any]]) -> dict[str, int]:
    """The board's totals over these grids (a coordinator's own, or all of them)."""
    return {k: sum(int(g.get(k, 0)) for g in grids) for k in ("total", *COUNTS)}


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
