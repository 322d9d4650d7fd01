"""Port entries and exits (进出港) in the API: a day's list (Beijing day) per port and per grid,
the reader's grids only, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import select

from seaLink.api import responses as out
from seaLink.api.security import json_error, principal
from seaLink.api.words import reader_lang
from seaLink.services.training import csv_cell
from seaLink.store.tables import PortEvent, Vessel
from seaLink.texts import beijing_time, word
from seaLink.texts.render import BEIJING

if TYPE_CHECKING:
    from seaLink.runtime import Hub

_pe: Any = PortEvent.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]
COLUMNS = ("time", "port", "kind", "grid", "vessel_id", "hull_name", "persons", "source")


async def day_list(
    hub: Hub, day: date, grids: list[str] | None, port: str | None
) -> dict[str, Any]:
    start = datetime.combine(day, time(0), BEIJING)
    q = (
        select(_pe.c.ts, _pe.c.port, _pe.c.kind, _pe.c.grid_id, _pe.c.vessel_id, _v.c.hull_name,
               _pe.c.persons, _pe.c.source, _pe.c.lat, _pe.c.lon)
        .join(_v, _v.c.id == _pe.c.vessel_id)
        .where(_pe.c.ts >= start, _pe.c.ts < start + timedelta(days=1))
        .order_by(_pe.c.ts, _pe.c.id)
    )  # fmt: skip
    if grids is not None:
        q = q.where(_pe.c.grid_id.in_(grids))
    if port:
        q = q.where(_pe.c.port == port)
    async with hub.db.engine.connect() as conn:
        rows = (await conn.execute(q)).all()
    events = [
        {"ts": ts.isoformat(), "port": p, "kind": k, "grid_id": g, "vessel_id": vid,
         "hull_name": hull, "persons": n, "source": src, "lat": lat, "lon": lon}
        for ts, p, k, g, vid, hull, n, src, lat, lon in rows
    ]  # fmt: skip
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


def to_csv(day: dict[str, Any], lang: str) -> str:
    o = io.StringIO()
    w = csv.writer(o)
    w.writerow([word("port_col", c, lang) for c in COLUMNS])
    for e in day["events"]:
        w.writerow([csv_cell(c) for c in (
            beijing_time(e["ts"]), e["port"], word("port_col", e["kind"], lang), e["grid_id"],
            e["vessel_id"], e["hull_name"], e["persons"], word("port_col", e["source"], lang))])  # fmt: skip
    return "\ufeff" + o.getvalue()


def routes(hub: Hub) -> list[web.RouteDef]:
    async def port_log(request: web.Request) -> web.Response:
        raw = request.query.get("date")
        try:
            day = (
                date.fromisoformat(raw)
                if raw is not None
                else hub.clock.now().astimezone(BEIJING).date()
            )
        except ValueError:
            return json_error(400, "bad_query", "date must be YYYY-MM-DD")
        if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
            return json_error(400, "bad_query", "date must be between 2000 and 2100")
        fmt = request.query.get("format", "json")
        if fmt not in ("json", "csv"):
            return json_error(400, "bad_query", "format must be json or csv")
        who = principal(request)
        grids = who.grid_filter()
        if grid := request.query.get("grid"):
            if not who.can_read_grid(grid):
                return json_error(403, "forbidden", f"grid {grid} is not yours")
            grids = [grid]
        result = await day_list(hub, day, grids, request.query.get("port") or None)
        if fmt == "csv":
            return web.Response(
                text=to_csv(result, reader_lang(request)), content_type="text/csv", charset="utf-8",
                headers={"Content-Disposition": f'attachment; filename="ports-{day.isoformat()}.csv"'},
            )  # fmt: skip
        return out.respond(out.PortLogOut, result)

    return [web.get("/api/v1/ports/log", port_log)]
