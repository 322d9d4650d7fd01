"""Port entries and exits as stored: a Beijing day's list per port and per grid.

One line and one count per passage: a track event matched to the terminal's report of the same
passage (`same_as`) is not listed on its own; the report's line says `terminal+track` and when
the track showed it (`track_ts`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from seaLink.store.db import Database
from seaLink.store.tables import PortEvent, Vessel
from seaLink.texts.render import BEIJING

_pe: Any = PortEvent.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]


async def day_list(
    db: Database, day: date, grids: list[str] | None, port: str | None
) -> dict[str, Any]:
    start = datetime.combine(day, time(0), BEIJING)
    q = (
        select(_pe.c.id, _pe.c.ts, _pe.c.port, _pe.c.kind, _pe.c.grid_id, _pe.c.vessel_id,
               _v.c.hull_name, _pe.c.persons, _pe.c.source, _pe.c.lat, _pe.c.lon, _pe.c.same_as)
        .join(_v, _v.c.id == _pe.c.vessel_id)
        .where(_pe.c.ts >= start, _pe.c.ts < start + timedelta(days=1))
        .order_by(_pe.c.ts, _pe.c.id)
    )  # fmt: skip
    if grids is not None:
        q = q.where(_pe.c.grid_id.in_(grids))
    if port:
        q = q.where(_pe.c.port == port)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(q)).all()
        # The track's times of the day's reports it confirmed (the track event may fall on
        # the day before or after: near midnight).
        ids = [r.id for r in rows if r.source == "terminal"]
        confirmed: dict[int, datetime] = {}
        if ids:
            found = await conn.execute(
                select(_pe.c.same_as, _pe.c.ts).where(_pe.c.same_as.in_(ids))
            )
            confirmed = {int(a): ts for a, ts in found.all()}
    events = []
    for r in rows:
        if r.same_as is not None:
            continue  # counted with the report of its passage
        track_ts = confirmed.get(r.id)
        events.append(
            {"ts": r.ts.isoformat(), "port": r.port, "kind": r.kind, "grid_id": r.grid_id,
             "vessel_id": r.vessel_id, "hull_name": r.hull_name, "persons": r.persons,
             "source": "terminal+track" if track_ts is not None else r.source,
             "track_ts": track_ts.isoformat() if track_ts is not None else None,
             "lat": r.lat, "lon": r.lon}
        )  # fmt: skip
    return {"date": day.isoformat(), "events": events, "ports": _tally(events, "port"),
            "grids": _tally(events, "grid_id")}  # fmt: skip


def _tally(events: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    by: dict[str, dict[str, Any]] = {}
    for e in events:
        t = by.setdefault(
            e[key], {key: e[key], "in": 0, "out": 0, "persons_in": 0, "persons_out": 0}
        )
        t[e["kind"]] += 1
        t[f"persons_{e['kind']}"] += e["persons"]
    return [by[k] for k in sorted(by)]
