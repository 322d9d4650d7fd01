"""Typhoon forecasts in the API: import (GeoJSON, or the plain text form of
`seaLink.domain.typhoon`), list, and one forecast with its danger area, the boats of the reader's
grids inside it now or on course into it before the storm passes, and a recall proposed for them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import func, select

from seaLink.api import responses as out
from seaLink.api.ids import path_id
from seaLink.api.security import json_error, principal
from seaLink.domain.roles import Role
from seaLink.domain.typhoon import Forecast, danger_geojson, exposure, parse_geojson, parse_text
from seaLink.errors import Refused
from seaLink.store.tables import TyphoonForecast, Vessel, VesselState
from seaLink.store.users import audit

if TYPE_CHECKING:
    from seaLink.runtime import Hub

_t: Any = TyphoonForecast.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]
_vs: Any = VesselState.__table__  # type: ignore[attr-defined]
MAX_BYTES = 256 * 1024


async def boats_in_danger(hub: Hub, f: Forecast, grids: list[str] | None) -> list[dict[str, Any]]:
    """Boats at sea (of these grids) inside the 7-level circle now or on course into it."""
    q = select(_v.c.id, _v.c.hull_name, _v.c.grid_id, _v.c.persons, _vs.c.lat, _vs.c.lon,
               _vs.c.sog, _vs.c.cog, _vs.c.nav_state, _vs.c.fix_ts).join(
        _vs, _vs.c.vessel_id == _v.c.id).where(_vs.c.lat.is_not(None)).order_by(_v.c.id)  # fmt: skip
    if grids is not None:
        q = q.where(_v.c.grid_id.in_(grids))
    async with hub.db.engine.connect() as conn:
        rows = (await conn.execute(q)).all()
    now = hub.clock.now()
    found = []
    for vid, hull, grid, persons, lat, lon, sog, cog, nav, fix_ts in rows:
        if nav == "in_port" or hub.ports.port_at(lat, lon) is not None:
            continue  # in a harbour already: not the recall's concern
        when = exposure(f, lat, lon, sog, cog, now)
        if when is None:
            continue
        found.append({"vessel_id": vid, "hull_name": hull, "grid_id": grid, "persons": persons,
                      "lat": lat, "lon": lon, "fix_ts": fix_ts.isoformat() if fix_ts else None,
                      "inside_now": when <= now, "enters_at": when.isoformat()})  # fmt: skip
    return found


def proposal(f: Forecast, boats: list[dict[str, Any]], hub: Hub) -> dict[str, Any] | None:
    """A recall of those boats, its deadline an hour before the first of them is reached (never
    sooner than an hour from now): the desk reviews it and sends it as a broadcast."""
    if not boats:
        return None
    now = hub.clock.now()
    first = min(b["enters_at"] for b in boats)
    deadline = max(now + timedelta(hours=1), datetime.fromisoformat(first) - timedelta(hours=1))
    return {
        "kind": "warning", "signal": "orange",
        "title": f"台风“{f.name}”撤离令",
        "body": f"台风“{f.name}”来袭，请立即回港避风，人员上岸。",
        "target": {"vessels": [b["vessel_id"] for b in boats]},
        "recall": {"deadline": deadline.isoformat()},
    }  # fmt: skip


def routes(hub: Hub) -> list[web.RouteDef]:
    async def import_(request: web.Request) -> web.Response:
        who = principal(request)
        if who.role is not Role.ADMIN:  # a forecast is the whole county's: the county desk's
            raise Refused("forbidden", "only the county desk (an admin) imports forecasts")
        if (request.content_length or 0) > MAX_BYTES:
            return json_error(413, "too_large", f"a forecast file is at most {MAX_BYTES} bytes")
        raw = await request.read()
        if len(raw) > MAX_BYTES:
            return json_error(413, "too_large", f"a forecast file is at most {MAX_BYTES} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return json_error(400, "bad_forecast", "the file is not UTF-8")
        if request.content_type == "text/plain":
            f = parse_text(text)
        else:
            try:
                doc = json.loads(text)
            except ValueError:
                return json_error(
                    400, "bad_forecast", "not JSON (send text/plain for the text form)"
                )
            f = parse_geojson(doc)
        now = hub.clock.now()
        async with hub.db.engine.begin() as conn:
            tid = (await conn.execute(_t.insert().returning(_t.c.id).values(
                name=f.name, points=json.dumps(f.to_json()), created_at=now,
                created_by=who.username))).scalar_one()  # fmt: skip
        await audit(hub.db, ts=now, username=who.username, action="typhoon.import",
                    target=f"typhoon/{tid}", detail=f"{f.name}: {len(f.points)} positions")  # fmt: skip
        return out.respond(out.TyphoonOut, await _view(tid, f, who.grid_filter()), status=201)

    async def list_(request: web.Request) -> web.Response:
        newest = select(func.max(_t.c.id)).group_by(_t.c.name)
        async with hub.db.engine.connect() as conn:
            rows = (await conn.execute(
                select(_t.c.id, _t.c.name, _t.c.created_at, _t.c.points)
                .where(_t.c.id.in_(newest)).order_by(_t.c.id.desc())
            )).all()  # fmt: skip
        return out.respond(out.TyphoonListOut, {"typhoons": [
            {"id": i, "name": n, "created_at": c.isoformat(), "points": len(json.loads(p))}
            for i, n, c, p in rows]})  # fmt: skip

    async def get(request: web.Request) -> web.Response:
        fid = path_id(request, "fid", "typhoon")
        async with hub.db.engine.connect() as conn:
            row = (await conn.execute(select(_t.c.name, _t.c.points).where(_t.c.id == fid))).first()
        if row is None:
            return json_error(404, "not_found", f"no typhoon forecast {fid}")
        f = Forecast.from_json(row[0], json.loads(row[1]))
        return out.respond(out.TyphoonOut, await _view(fid, f, principal(request).grid_filter()))

    async def _view(tid: int, f: Forecast, grids: list[str] | None) -> dict[str, Any]:
        boats = await boats_in_danger(hub, f, grids)
        return {"id": tid, "name": f.name, "points": f.to_json(), "danger": danger_geojson(f),
                "boats": boats, "proposal": proposal(f, boats, hub)}  # fmt: skip

    return [
        web.post("/api/v1/typhoons", import_),
        web.get("/api/v1/typhoons", list_),
        web.get("/api/v1/typhoons/{fid}", get),
    ]
