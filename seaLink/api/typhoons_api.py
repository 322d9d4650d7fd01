"""Typhoon forecasts in the API: import (GeoJSON, or the plain text form of
`seaLink.domain.typhoon`), list, and one forecast with its danger area, the boats of the reader's
grids in danger and the recall proposed for them (seaLink.services.typhoons)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from seaLink.api import responses as out
from seaLink.api.ids import path_id
from seaLink.api.security import json_error, principal
from seaLink.domain.typhoon import parse_geojson, parse_text

if TYPE_CHECKING:
    from seaLink.api.services import ApiServices

MAX_BYTES = 256 * 1024


def routes(api: ApiServices) -> list[web.RouteDef]:
    desk = api.typhoons

    async def import_(request: web.Request) -> web.Response:
        who = principal(request)
        desk.authorize_import(who)
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
        return out.respond(out.TyphoonOut, await desk.add(f, who), status=201)

    async def list_(request: web.Request) -> web.Response:
        return out.respond(out.TyphoonListOut, {"typhoons": await desk.latest()})

    async def get(request: web.Request) -> web.Response:
        fid = path_id(request, "fid", "typhoon")
        return out.respond(out.TyphoonOut, await desk.one(fid, principal(request)))

    return [
        web.post("/api/v1/typhoons", import_),
        web.get("/api/v1/typhoons", list_),
        web.get("/api/v1/typhoons/{fid}", get),
    ]
