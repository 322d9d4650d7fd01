"""The aiohttp application: health, metrics and the first REST resources of API v1."""

from __future__ import annotations

import bisect
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from seaLink.api import (
    alerts_api,
    broadcasts_api,
    openapi,
    requests_api,
    stats_api,
    trainings_api,
    users_api,
    zones_api,
)
from seaLink.api import responses as out
from seaLink.api.alert_codes import with_codes
from seaLink.api.errors import json_errors
from seaLink.api.events_ws import events_ws
from seaLink.api.security import (
    LoginRateLimit,
    auth_middleware,
    json_error,
    login,
    principal,
    refusal,
)
from seaLink.store import queries

if TYPE_CHECKING:
    from seaLink.runtime import Hub

log = logging.getLogger(__name__)
HUB: web.AppKey[Hub] = web.AppKey("hub")


_error = json_error


def _parse_time(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise refusal(400, "bad_query", f"{name} must be ISO 8601") from None
    if value.tzinfo is None:
        raise refusal(400, "bad_query", f"{name} needs a UTC offset")
    return value


async def healthz(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    mqtt_ok = hub.link.connected.is_set()
    ingest = hub.ingest.health()
    # Connected but refused some subscriptions (the broker's roles or ACL): uplinks are lost.
    mqtt_part = ("refused" if hub.link.refused_subscriptions else "ok") if mqtt_ok else "down"
    parts = {"mqtt": mqtt_part, "ingest": ingest["writer"]}
    healthy = all(v == "ok" for v in parts.values())
    body: dict[str, Any] = {
        "status": "ok" if healthy else "degraded",
        "parts": parts,
        "ingest": ingest,
        "mqtt": mqtt_ok,
        "vessels": len(hub.registry),
        "backlog": len(hub.link.inbox),
        "contact": hub.watch.book.counts(),
        # Several hubs: whether this one holds the schedule (a single hub always does).
        "scheduler": hub.cluster.leader if hub.cluster is not None else True,
    }
    return out.respond(out.HealthOut, body, status=200 if healthy else 503)


async def _store_gauges(hub: Hub) -> None:
    """What is open now, read from the store (the same on every hub of a cluster)."""
    from seaLink.store.gauge_queries import open_alerts, pending_deliveries

    m = hub.metrics
    try:
        alerts, pending = await open_alerts(hub.db), await pending_deliveries(hub.db)
    except Exception:  # the counters still answer while the database is away
        m.store_errors.inc()
        return
    m.alerts_open.clear()
    for type_, state, n in alerts:
        m.alerts_open.labels(type_, state).set(n)
    m.outbox_pending.clear()
    for state in ("queued", "sent"):
        m.outbox_pending.labels(state).set(0)
    for state, n in pending:
        m.outbox_pending.labels(state).set(n)


async def metrics(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    await _store_gauges(hub)
    return web.Response(
        body=generate_latest(hub.metrics.registry),
        headers={"Content-Type": CONTENT_TYPE_LATEST},
    )


def _scoped_grids(request: web.Request) -> list[str] | None:
    """The grids this request may see: the caller's scope, narrowed by `?grid=`."""
    allowed = principal(request).grid_filter()
    grid = request.query.get("grid")
    if grid is None:
        return allowed
    if allowed is not None and grid not in allowed:
        raise refusal(403, "forbidden", "that grid is outside your scope")
    return [grid]


MAX_PAGE = 5000


def _page_args(request: web.Request) -> tuple[int | None, str | None]:
    """?limit= (1..MAX_PAGE; absent: every vessel) and ?cursor= (the last id of the page before)."""
    raw, cursor = request.query.get("limit"), request.query.get("cursor")
    limit = None
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_PAGE:
            raise web.HTTPBadRequest(
                text=json_error(400, "bad_query", f"limit must be 1..{MAX_PAGE}").text,
                content_type="application/json",
            )
    if cursor is not None and len(cursor) > 64:
        raise web.HTTPBadRequest(
            text=json_error(400, "bad_query", "cursor is not one this server gave").text,
            content_type="application/json",
        )
    return limit, cursor


async def vessels(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    limit, cursor = _page_args(request)
    rows = await queries.list_vessels(
        hub.db, grid_ids=_scoped_grids(request), contact_state=request.query.get("contact")
    )
    # Pages in the order of the ids (as Python orders them, whatever the database's collation),
    # and the cursor is the last id seen: a vessel added meanwhile shifts no page.
    rows.sort(key=lambda v: v["id"])
    start = bisect.bisect_right([v["id"] for v in rows], cursor) if cursor is not None else 0
    page = rows[start:] if limit is None else rows[start : start + limit]
    more = limit is not None and start + limit < len(rows)
    body = {
        "vessels": page,
        "count": len(page),
        "total": len(rows),
        "next_cursor": page[-1]["id"] if more else None,
    }
    return out.respond(out.VesselPageOut, body)


async def _visible_vessel(request: web.Request) -> dict[str, Any]:
    """The vessel of the URL, if it exists and is in the caller's scope (else 404, not 403, so
    that a coordinator cannot probe which vessels exist in other grids)."""
    vid = request.match_info["vid"]
    row = await queries.get_vessel(request.app[HUB].db, vid)
    if row is None or not principal(request).can_read_grid(row["grid_id"]):
        raise refusal(404, "not_found", f"no vessel {vid} in your grids")
    return row


async def vessel(request: web.Request) -> web.Response:
    return out.respond(out.VesselOut, await _visible_vessel(request))


async def vessel_track(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    vid = (await _visible_vessel(request))["id"]
    try:
        limit = min(
            int(request.query.get("limit", hub.settings.api.track_max_points)),
            hub.settings.api.track_max_points,
        )
    except ValueError:
        return _error(400, "bad_query", "limit must be an integer")
    fixes = await queries.track(
        hub.db,
        vid,
        since=_parse_time(request, "since"),
        until=_parse_time(request, "until"),
        limit=max(1, limit),
    )
    return out.respond(
        out.FeatureCollectionOut,
        queries.track_geojson(vid, fixes),
        content_type="application/geo+json",
    )


async def alerts(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    state = request.query.get("state", "open")
    if state not in ("open", "all"):
        return _error(400, "bad_query", "state must be 'open' or 'all'")
    rows = await queries.list_alerts(
        hub.db,
        open_only=state == "open",
        grid_ids=_scoped_grids(request),
        vessel_id=request.query.get("vessel"),
    )
    rows = await with_codes(hub.db, rows)
    return out.respond(out.AlertListOut, {"alerts": rows, "count": len(rows)})


async def grids(request: web.Request) -> web.Response:
    who = principal(request)
    rows = [g for g in await queries.list_grids(request.app[HUB].db) if who.can_read_grid(g["id"])]
    return out.respond(out.GridListOut, {"grids": rows})


async def me(request: web.Request) -> web.Response:
    who = principal(request)
    return out.respond(
        out.MeOut, {"username": who.username, "role": who.role.value, "grids": sorted(who.grid_ids)}
    )


def build_app(hub: Hub) -> web.Application:
    app = web.Application(
        client_max_size=1024 * 1024,
        middlewares=[json_errors, auth_middleware(lambda r: r.app[HUB])],
    )
    app[HUB] = hub
    limiter = LoginRateLimit(hub.settings.api.login_rate_per_min)

    async def login_route(request: web.Request) -> web.Response:
        return await login(request, hub, limiter)

    async def events_route(request: web.Request) -> web.StreamResponse:
        return await events_ws(request, hub)

    app.router.add_post("/api/v1/auth/login", login_route)
    app.router.add_get("/api/v1/events", events_route)
    app.router.add_get("/api/v1/auth/me", me)

    spec = openapi.document()

    async def openapi_json(_request: web.Request) -> web.Response:
        return web.json_response(spec)

    app.router.add_get("/api/v1/openapi.json", openapi_json)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/vessels", vessels)
    app.router.add_get("/api/v1/vessels/{vid}", vessel)
    app.router.add_get("/api/v1/vessels/{vid}/track", vessel_track)
    app.router.add_get("/api/v1/alerts", alerts)
    app.router.add_get("/api/v1/grids", grids)
    app.router.add_routes(broadcasts_api.routes(hub))
    app.router.add_routes(alerts_api.routes(hub))
    app.router.add_routes(zones_api.routes(hub))
    app.router.add_routes(requests_api.routes(hub))
    app.router.add_routes(trainings_api.routes(hub))
    app.router.add_routes(users_api.routes(hub))
    app.router.add_routes(stats_api.routes(hub))
    _add_console(app)
    return app


CONSOLE_DIR = Path(__file__).resolve().parent.parent.parent / "shore_console"


def _add_console(app: web.Application) -> None:
    """Serve the console's static files at /console/ (it talks to the hub only by REST and WS)."""
    if not (CONSOLE_DIR / "index.html").is_file():
        return

    async def root(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/console/")

    async def index(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(CONSOLE_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.router.add_get("/", root)
    app.router.add_get("/console/", index)
    app.router.add_static("/console/", CONSOLE_DIR, follow_symlinks=False)


async def start_api(hub: Hub) -> web.AppRunner:
    runner = web.AppRunner(build_app(hub), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, hub.settings.api.host, hub.settings.api.port)
    await site.start()
    log.info("api: listening on http://%s:%d", hub.settings.api.host, hub.settings.api.port)
    return runner
