"""The aiohttp application: health, metrics and the first REST resources of API v1."""

from __future__ import annotations

import bisect
import functools
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from seaLink import texts
from seaLink.api import (
    alerts_api,
    api_page,
    broadcasts_api,
    openapi,
    ports_api,
    requests_api,
    stats_api,
    trainings_api,
    typhoons_api,
    users_api,
    zones_api,
)
from seaLink.api import responses as out
from seaLink.api.errors import OUTAGE_LOG, StoreOutageLog, json_errors
from seaLink.api.events_ws import OPEN_SOCKETS, close_sockets, events_ws
from seaLink.api.inputs import input_guard, query_time
from seaLink.api.security import (
    LoginRateLimit,
    auth_middleware,
    json_error,
    login,
    logout,
    principal,
    refusal,
    trusted_networks,
)
from seaLink.api.words import alert_in_words, reader_lang
from seaLink.turns import turns

if TYPE_CHECKING:
    from seaLink.api.services import ApiServices, HealthSources

log = logging.getLogger(__name__)
API: web.AppKey[ApiServices] = web.AppKey("api")


_error = json_error


@web.middleware
async def first_turns(request: web.Request, handler: Any) -> web.StreamResponse:
    """A request being answered goes before the hub's bulk work (`seaLink.turns`); a live
    event stream is not a request waiting."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await handler(request)  # type: ignore[no-any-return]
    with turns().person():
        return await handler(request)  # type: ignore[no-any-return]


async def healthz(request: web.Request) -> web.Response:
    health = request.app[API].health
    mqtt_ok = health.link.connected.is_set()
    ingest = health.ingest.health()
    # Connected but refused some subscriptions (the broker's roles or ACL): uplinks are lost.
    mqtt_part = ("refused" if health.link.refused_subscriptions else "ok") if mqtt_ok else "down"
    urgent = health.urgent_link
    urgent_part = (
        ("refused" if urgent.refused_subscriptions else "ok")
        if urgent.connected.is_set()
        else "down"
    )
    parts = {"mqtt": mqtt_part, "distress_session": urgent_part, "ingest": ingest["writer"]}
    healthy = all(v == "ok" for v in parts.values())
    body: dict[str, Any] = {
        "status": "ok" if healthy else "degraded",
        "parts": parts,
        "ingest": ingest,
        "mqtt": mqtt_ok,
        "vessels": len(health.registry),
        "backlog": len(health.link.inbox) + len(health.link.urgent),
        "contact": health.watch.book.counts(),
        # Several hubs: whether this one holds the schedule (a single hub always does).
        "scheduler": health.holds_schedule(),
    }
    return out.respond(out.HealthOut, body, status=200 if healthy else 503)


async def readyz(request: web.Request) -> web.Response:
    """Readiness: whether this hub should be sent work now, and which part is down if not."""
    health = request.app[API].health
    mqtt_ok = health.link.connected.is_set()
    parts = {
        "store": await health.store.part(),
        "mqtt": ("refused" if health.link.refused_subscriptions else "ok") if mqtt_ok else "down",
        "ingest": health.ingest.health()["writer"],
        "hub": "ok" if health.ready.is_set() else "starting",
    }
    down = [name for name, state in parts.items() if state != "ok"]
    body = {"status": "not_ready" if down else "ready", "parts": parts, "down": down}
    return out.respond(out.ReadyOut, body, status=503 if down else 200)


async def _store_gauges(health: HealthSources) -> None:
    """What is open now, read from the store (the same on every hub of a cluster)."""
    m = health.metrics
    try:
        alerts, pending = await health.store.open_now()
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
    health = request.app[API].health
    await _store_gauges(health)
    return web.Response(
        body=generate_latest(health.metrics.registry),
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
    api = request.app[API]
    limit, cursor = _page_args(request)
    rows = await api.fleet.vessels(_scoped_grids(request), request.query.get("contact"))
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
    return await request.app[API].fleet.vessel(request.match_info["vid"], principal(request))


async def vessel(request: web.Request) -> web.Response:
    return out.respond(out.VesselOut, await _visible_vessel(request))


async def vessel_track(request: web.Request) -> web.Response:
    api = request.app[API]
    vid = (await _visible_vessel(request))["id"]
    try:
        limit = min(
            int(request.query.get("limit", api.settings.track_max_points)),
            api.settings.track_max_points,
        )
    except ValueError:
        return _error(400, "bad_query", "limit must be an integer")
    since, until = query_time(request, "since"), query_time(request, "until")
    track = await api.fleet.track_geojson(vid, since, until, max(1, limit))
    return out.respond(out.FeatureCollectionOut, track, content_type="application/geo+json")


async def alerts(request: web.Request) -> web.Response:
    api = request.app[API]
    state = request.query.get("state", "open")
    if state not in ("open", "all"):
        return _error(400, "bad_query", "state must be 'open' or 'all'")
    rows = await api.fleet.alerts(
        open_only=state == "open",
        grids=_scoped_grids(request),
        vessel_id=request.query.get("vessel"),
    )
    lang, now = reader_lang(request), api.clock.now()
    rows = [alert_in_words(r, lang, now) for r in rows]
    return out.respond(out.AlertListOut, {"alerts": rows, "count": len(rows)})


async def grids(request: web.Request) -> web.Response:
    who = principal(request)
    rows = await request.app[API].fleet.grids(who)
    return out.respond(out.GridListOut, {"grids": rows})


async def me(request: web.Request) -> web.Response:
    who = principal(request)
    return out.respond(
        out.MeOut, {"username": who.username, "role": who.role.value, "grids": sorted(who.grid_ids)}
    )


@functools.cache
def _api_documents() -> tuple[str, str]:
    """The OpenAPI document (JSON text) and its HTML page. The same for every hub of a process:
    built once (~0.13 s of pydantic schema work, at every hub start of a test run otherwise)."""
    spec = openapi.document()
    return json.dumps(spec), api_page.render(spec)


def build_app(api: ApiServices) -> web.Application:
    app = web.Application(
        client_max_size=1024 * 1024,
        middlewares=[
            first_turns,
            json_errors,
            input_guard,
            auth_middleware(lambda r: r.app[API].auth),
        ],
    )
    app[API] = api
    app[OPEN_SOCKETS] = set()
    app[OUTAGE_LOG] = StoreOutageLog()
    app.on_response_prepare.append(security_headers)
    app.on_shutdown.append(close_sockets)
    limiter = LoginRateLimit(api.settings.login_rate_per_min)
    trusted = trusted_networks(api.settings.trusted_proxies)

    async def login_route(request: web.Request) -> web.Response:
        return await login(request, api.auth, limiter, trusted)

    async def logout_route(request: web.Request) -> web.Response:
        return await logout(request, api.auth, trusted)

    async def events_route(request: web.Request) -> web.StreamResponse:
        return await events_ws(request, api)

    app.router.add_post("/api/v1/auth/login", login_route)
    app.router.add_post("/api/v1/auth/logout", logout_route)
    app.router.add_get("/api/v1/events", events_route)
    app.router.add_get("/api/v1/auth/me", me)

    spec_json, page = _api_documents()

    async def openapi_json(_request: web.Request) -> web.Response:
        return web.Response(text=spec_json, content_type="application/json")

    app.router.add_get("/api/v1/openapi.json", openapi_json)

    async def api_docs(_request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    app.router.add_get("/api/v1/docs", api_docs)
    words = texts.catalogue()

    async def texts_json(_request: web.Request) -> web.Response:
        return web.json_response(words)

    app.router.add_get("/api/v1/texts", texts_json)

    async def alert_link(request: web.Request) -> web.Response:
        """A signed link from a message: open the alert in the console (login there)."""
        alert_id = api.links.alert_of(request.match_info["token"], api.clock.now())
        if alert_id is None:
            return _error(410, "link_expired", "this link is not valid any more: open the console")
        raise web.HTTPFound(f"/console/#/alerts?alert={alert_id}")

    app.router.add_get("/a/{token}", alert_link)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/vessels", vessels)
    app.router.add_get("/api/v1/vessels/{vid}", vessel)
    app.router.add_get("/api/v1/vessels/{vid}/track", vessel_track)
    app.router.add_get("/api/v1/alerts", alerts)
    app.router.add_get("/api/v1/grids", grids)
    app.router.add_routes(broadcasts_api.routes(api))
    app.router.add_routes(alerts_api.routes(api))
    app.router.add_routes(zones_api.routes(api))
    app.router.add_routes(requests_api.routes(api))
    app.router.add_routes(trainings_api.routes(api))
    app.router.add_routes(users_api.routes(api))
    app.router.add_routes(stats_api.routes(api))
    app.router.add_routes(ports_api.routes(api))
    app.router.add_routes(typhoons_api.routes(api))
    _add_console(app)
    return app


# The console's own scripts, styles and images only; no inline script or style attribute, no
# other origin (the map's land is a file of the console): what the browser may load and run.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Server": "SeaLink",  # no product versions for a scanner to match
}


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer, API, console file or error alike, carries the security headers; an API
    answer is never stored by a browser or proxy cache (it may hold positions and names)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    if request.path.startswith("/api/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"


CONSOLE_DIR = Path(__file__).resolve().parent.parent.parent / "shore_console"
# What the console is made of: the page, its modules, styles, map data and the vendored
# libraries' images. Notes for developers (README.md), licences and the tools that built the map
# data (tools/) are in the folder but are not the console: they are not served.
CONSOLE_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".geojson": "application/geo+json",
    ".png": "image/png",
    ".webmanifest": "application/manifest+json",
}
CONSOLE_DIRS_NOT_SERVED = frozenset({"tools"})


def console_file(relative: str) -> Path | None:
    """The file of the console at this URL path, or None if it is not one the console serves."""
    parts = relative.split("/")
    if not relative or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return None
    if parts[0] in CONSOLE_DIRS_NOT_SERVED:
        return None
    path = CONSOLE_DIR.joinpath(*parts)
    if path.suffix not in CONSOLE_TYPES or path.is_symlink() or not path.is_file():
        return None
    if CONSOLE_DIR not in path.resolve().parents:
        return None
    return path


def _add_console(app: web.Application) -> None:
    """Serve the console's own files at /console/ (it talks to the hub only by REST and WS)."""
    if not (CONSOLE_DIR / "index.html").is_file():
        return

    async def root(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/console/")

    async def index(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(CONSOLE_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def static(request: web.Request) -> web.FileResponse:
        path = console_file(request.match_info["path"])
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": CONSOLE_TYPES[path.suffix]})

    app.router.add_get("/", root)
    app.router.add_get("/console/", index)
    app.router.add_get("/console/{path:.+}", static)


async def start_api(api: ApiServices) -> web.AppRunner:
    # A SIGTERM closes the open consoles' sockets first (on_shutdown): what is left after a few
    # seconds is cut, so the hub stops well within 10 s.
    runner = web.AppRunner(build_app(api), access_log=None, shutdown_timeout=3.0)
    await runner.setup()
    site = web.TCPSite(runner, api.settings.host, api.settings.port)
    await site.start()
    log.info("api: listening on http://%s:%d", api.settings.host, api.settings.port)
    return runner
