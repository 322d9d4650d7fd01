"""Typhoon forecasts: imported by the county desk, the newest of each storm listed; one forecast
with its danger area, the boats of the reader's grids inside it now or on course into it before
the storm passes, and a recall proposed for them (the desk reviews it and sends it)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from seaLink.clock import Clock
from seaLink.domain.ports import PortIndex
from seaLink.domain.roles import Principal, Role
from seaLink.domain.typhoon import Forecast, danger_geojson, exposure
from seaLink.errors import Refused
from seaLink.store.db import Database
from seaLink.store.phrases import BOAT_LANG
from seaLink.store.tables import TyphoonForecast, Vessel, VesselState
from seaLink.store.users import audit
from seaLink.texts import Phrase, render

_t: Any = TyphoonForecast.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]
_vs: Any = VesselState.__table__  # type: ignore[attr-defined]


class TyphoonDesk:
    def __init__(self, *, db: Database, clock: Clock, ports: PortIndex) -> None:
        self._db = db
        self._clock = clock
        self._ports = ports

    def authorize_import(self, who: Principal) -> None:
        if who.role is not Role.ADMIN:  # a forecast is the whole county's: the county desk's
            raise Refused("forbidden", "only the county desk (an admin) imports forecasts")

    async def add(self, f: Forecast, who: Principal) -> dict[str, Any]:
        self.authorize_import(who)
        now = self._clock.now()
        async with self._db.engine.begin() as conn:
            tid = (await conn.execute(_t.insert().returning(_t.c.id).values(
                name=f.name, points=json.dumps(f.to_json()), created_at=now,
                created_by=who.username))).scalar_one()  # fmt: skip
        await audit(self._db, ts=now, username=who.username, action="typhoon.import",
                    target=f"typhoon/{tid}", detail=f"{f.name}: {len(f.points)} positions")  # fmt: skip
        return await self.view(int(tid), f, who.grid_filter())

    async def latest(self) -> list[dict[str, Any]]:
        """The newest forecast of each storm, newest first."""
        newest = select(func.max(_t.c.id)).group_by(_t.c.name)
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(
                select(_t.c.id, _t.c.name, _t.c.created_at, _t.c.points)
                .where(_t.c.id.in_(newest)).order_by(_t.c.id.desc())
            )).all()  # fmt: skip
        return [{"id": i, "name": n, "created_at": c.isoformat(), "points": len(json.loads(p))}
                for i, n, c, p in rows]  # fmt: skip

    async def one(self, fid: int, who: Principal) -> dict[str, Any]:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(_t.c.name, _t.c.points).where(_t.c.id == fid))).first()
        if row is None:
            raise Refused("not_found", f"no typhoon forecast {fid}")
        f = Forecast.from_json(row[0], json.loads(row[1]))
        return await self.view(fid, f, who.grid_filter())

    async def view(self, tid: int, f: Forecast, grids: list[str] | None) -> dict[str, Any]:
        boats = await self.boats_in_danger(f, grids)
        return {"id": tid, "name": f.name, "points": f.to_json(), "danger": danger_geojson(f),
                "boats": boats, "proposal": proposal(f, boats, self._clock.now())}  # fmt: skip

    async def boats_in_danger(self, f: Forecast, grids: list[str] | None) -> list[dict[str, Any]]:
        """Boats at sea (of these grids) inside the 7-level circle now or on course into it."""
        q = select(_v.c.id, _v.c.hull_name, _v.c.grid_id, _v.c.persons, _vs.c.lat, _vs.c.lon,
                   _vs.c.sog, _vs.c.cog, _vs.c.nav_state, _vs.c.fix_ts).join(
            _vs, _vs.c.vessel_id == _v.c.id).where(_vs.c.lat.is_not(None)).order_by(_v.c.id)  # fmt: skip
        if grids is not None:
            q = q.where(_v.c.grid_id.in_(grids))
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        now = self._clock.now()
        found = []
        for vid, hull, grid, persons, lat, lon, sog, cog, nav, fix_ts in rows:
            if nav == "in_port" or self._ports.port_at(lat, lon) is not None:
                continue  # in a harbour already: not the recall's concern
            when = exposure(f, lat, lon, sog, cog, now)
            if when is None:
                continue
            found.append({"vessel_id": vid, "hull_name": hull, "grid_id": grid, "persons": persons,
                          "lat": lat, "lon": lon, "fix_ts": fix_ts.isoformat() if fix_ts else None,
                          "inside_now": when <= now, "enters_at": when.isoformat()})  # fmt: skip
        return found


def proposal(f: Forecast, boats: list[dict[str, Any]], now: datetime) -> dict[str, Any] | None:
    """A recall of those boats, its deadline an hour before the first of them is reached (never
    sooner than an hour from now): the desk reviews it and sends it as a broadcast."""
    if not boats:
        return None
    first = min(b["enters_at"] for b in boats)
    deadline = max(now + timedelta(hours=1), datetime.fromisoformat(first) - timedelta(hours=1))
    return {
        "kind": "warning", "signal": "orange",
        # in the boats' language: the desk sends the proposal to them as it stands
        "title": render(Phrase("down.typhoon_recall.title", {"name": f.name}), BOAT_LANG),
        "body": render(Phrase("down.typhoon_recall.body", {"name": f.name}), BOAT_LANG),
        "target": {"vessels": [b["vessel_id"] for b in boats]},
        "recall": {"deadline": deadline.isoformat()},
    }  # fmt: skip
