"""Port entries and exits (进出港) in the API: a day's list (Beijing day) per port and per grid,
the reader's grids only, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import TYPE_CHECKING, Any

from aiohttp import web

from seaLink.api import responses as out
from seaLink.api.security import json_error, principal
from seaLink.api.words import reader_lang
from seaLink.services.training import csv_cell
from seaLink.texts import beijing_time, word
from seaLink.texts.render import BEIJING

if TYPE_CHECKING:
    from seaLink.api.services import ApiServices

COLUMNS = ("time", "port", "kind", "grid", "vessel_id", "hull_name", "persons", "source")


def to_csv(day: dict[str, Any], lang: str) -> str:
    o = io.StringIO()
    w = csv.writer(o)
    w.writerow([word("port_col", c, lang) for c in COLUMNS])
    for e in day["events"]:
        w.writerow([csv_cell(c) for c in (
            beijing_time(e["ts"]), e["port"], word("port_col", e["kind"], lang), e["grid_id"],
            e["vessel_id"], e["hull_name"], e["persons"], word("port_col", e["source"], lang))])  # fmt: skip
    return "\ufeff" + o.getvalue()


def routes(api: ApiServices) -> list[web.RouteDef]:
    async def port_log(request: web.Request) -> web.Response:
        raw = request.query.get("date")
        try:
            day = (
                date.fromisoformat(raw)
                if raw is not None
                else api.clock.now().astimezone(BEIJING).date()
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
        result = await api.port_log.day(day, grids, request.query.get("port") or None)
        if fmt == "csv":
            return web.Response(
                text=to_csv(result, reader_lang(request)), content_type="text/csv", charset="utf-8",
                headers={"Content-Disposition": f'attachment; filename="ports-{day.isoformat()}.csv"'},
            )  # fmt: skip
        return out.respond(out.PortLogOut, result)

    return [web.get("/api/v1/ports/log", port_log)]
