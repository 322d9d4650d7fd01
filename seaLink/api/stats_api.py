"""Read-only statistics for the console's charts (seaLink.domain.stats says how they are made).
Scoped like every other read: a coordinator sees their grids only, and `?grid=` outside them is
refused."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from seaLink.api import responses as out
from seaLink.api.security import json_error, principal

if TYPE_CHECKING:
    from seaLink.api.services import ApiServices

MAX_SAMPLES = 300


def _int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise web.HTTPBadRequest(
            text=json_error(400, "bad_query", f"{name} must be an integer {low}..{high}").text,
            content_type="application/json",
        )
    return value


def _scope(request: web.Request) -> list[str] | None:
    """The caller's grids, narrowed by `?grid=` (403 outside them), None for every grid."""
    allowed = principal(request).grid_filter()
    grid = request.query.get("grid")
    if grid is None:
        return allowed
    if allowed is not None and grid not in allowed:
        raise web.HTTPForbidden(
            text=json_error(403, "forbidden", "that grid is outside your scope").text,
            content_type="application/json",
        )
    return [grid]


def routes(api: ApiServices) -> list[web.RouteDef]:
    stats = api.stats

    async def contact(request: web.Request) -> web.Response:
        hours = _int_query(request, "hours", 24, 1, 72)
        step = timedelta(minutes=_int_query(request, "step_min", 30, 5, 240))
        if hours * 60 / (step.total_seconds() / 60) > MAX_SAMPLES:
            return json_error(400, "bad_query", f"at most {MAX_SAMPLES} points: a longer step")
        body = await stats.contact(_scope(request), hours, step)
        return out.respond(out.ContactStatsOut, body)

    async def response(request: web.Request) -> web.Response:
        days = _int_query(request, "days", 14, 1, 90)
        body = await stats.response(_scope(request), days)
        return out.respond(out.ResponseStatsOut, body)

    return [
        web.get("/api/v1/stats/contact", contact),
        web.get("/api/v1/stats/response", response),
    ]
