"""The live event stream, WebSocket `/api/v1/events`.

Messages are JSON objects `{"id", "type", "data"}`. Durable events carry an increasing `id`;
reconnect with `?last_event_id=N` to receive what was missed. If the hub can no longer replay that
far back (or this client fell too far behind), it sends `{"type": "resync"}`: re-read the REST
resources. Positions are coalesced per vessel and sent at most once a second as one
`{"type": "positions", "data": {"positions": [...]}}` message.

The token is checked again every few seconds: once it has expired (or its account is disabled)
the hub closes the socket with code 4401 and reason "token_expired", so a console logs in again
instead of reconnecting with a dead token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from seaLink.api.security import bearer_token, principal
from seaLink.domain.roles import Principal
from seaLink.services.events import Event

if TYPE_CHECKING:
    from seaLink.api.services import ApiServices

# The console WebSockets open now: closed (1001 going away) when the hub shuts down, so that a
# SIGTERM does not wait for browsers to hang up.
OPEN_SOCKETS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("open_sockets")
POSITION_FLUSH_S = 1.0
TOKEN_RECHECK_S = 5.0
# An application close code (4000-4999), chosen to read as HTTP 401.
CLOSE_TOKEN_EXPIRED = 4401


def _frame(ev: Event, data: dict[str, Any]) -> str:
    return json.dumps({"id": ev.id, "type": ev.type, "data": data}, ensure_ascii=False)


def _summed(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        for k, n in (row.get(key) or {}).items():
            out[k] = out.get(k, 0) + int(n)
    return out


def _progress(data: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A broadcast's roll-up counted over the reader's grids only."""
    out = data | {
        "grids": rows,
        "total": sum(int(r["total"]) for r in rows),
        "done": sum(int(r["done"]) for r in rows),
    }
    if "states" in data:
        out["states"] = _summed(rows, "states")
    return out


def _recall(data: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A recall board's totals counted over the reader's grids only."""
    total = data.get("total")
    keys = list(total) if isinstance(total, dict) else []
    return data | {"grids": rows, "total": {k: sum(int(r.get(k, 0)) for r in rows) for k in keys}}


# Events that carry several grids' figures: what a reader of some grids may see of them.
_PER_GRID = {"broadcast_progress": _progress, "recall": _recall}


def scoped(ev: Event, who: Principal) -> dict[str, Any] | None:
    """The event as `who` may see it, or None: an event of no grid, or only of grids outside
    the reader's scope, is not sent; an event of several grids loses the other grids' names
    and figures (a broadcast's progress, a recall board's totals)."""
    if who.all_grids:
        return ev.data
    grids = ev.data.get("grid_ids")
    if isinstance(grids, list):
        mine = [g for g in grids if who.can_read_grid(g)]
        if not mine:
            return None
        data = ev.data | {"grid_ids": mine}
        rows = data.get("grids")
        redact = _PER_GRID.get(ev.type)
        if redact is not None or isinstance(rows, list):
            kept = [
                r
                for r in rows or []
                if isinstance(r, dict) and who.can_read_grid(str(r.get("grid_id")))
            ]
            data = redact(data, kept) if redact is not None else data | {"grids": kept}
        return data
    grid = ev.grid_id
    return ev.data if grid is not None and who.can_read_grid(grid) else None


async def events_ws(request: web.Request, api: ApiServices) -> web.StreamResponse:
    who = principal(request)
    token = bearer_token(request) or ""
    try:
        last_id = int(request.query.get("last_event_id", "0"))
    except ValueError:
        raise web.HTTPBadRequest(
            text='{"error":"bad_query","message":"last_event_id must be an integer"}',
            content_type="application/json",
        ) from None
    ws = web.WebSocketResponse(heartbeat=30, timeout=2.0)
    await ws.prepare(request)
    sockets = request.app.get(OPEN_SOCKETS)
    if sockets is not None:
        sockets.add(ws)
    sub = api.events.subscribe()

    async def reader() -> None:
        async for msg in ws:
            if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break

    read_task = asyncio.create_task(reader(), name="ws-reader")
    try:
        # `now`: the hub's time, so a console on a PC whose clock is off still tells ages right.
        hello = {"last_event_id": api.events.last_id, "now": api.clock.now().isoformat()}
        await ws.send_str(json.dumps({"id": None, "type": "hello", "data": hello}))
        if last_id:
            missed = api.events.since(last_id)
            if missed is None:
                await ws.send_str(json.dumps({"id": None, "type": "resync", "data": {}}))
            else:
                for old in missed:
                    shown = scoped(old, who)
                    if shown is not None:
                        await ws.send_str(_frame(old, shown))
        positions: dict[str, dict[str, Any]] = {}
        ev: Event | None
        loop = asyncio.get_running_loop()
        next_flush = loop.time() + POSITION_FLUSH_S
        next_check = loop.time() + TOKEN_RECHECK_S
        while not ws.closed and not read_task.done():
            if loop.time() >= next_check:
                next_check = loop.time() + TOKEN_RECHECK_S
                if await api.auth.authenticate(token) is None:
                    await ws.close(code=CLOSE_TOKEN_EXPIRED, message=b"token_expired")
                    break
            timeout = max(0.0, next_flush - loop.time())
            try:
                ev = await asyncio.wait_for(sub.queue.get(), timeout)
            except TimeoutError:
                ev = None
            if sub.dropped:
                sub.dropped = 0
                positions.clear()
                await ws.send_str(json.dumps({"id": None, "type": "resync", "data": {}}))
            shown = scoped(ev, who) if ev is not None else None
            if ev is not None and shown is not None:
                if ev.type == "position":
                    positions[str(shown["vessel_id"])] = shown
                else:
                    await ws.send_str(_frame(ev, shown))
            if loop.time() >= next_flush:
                if positions:
                    batch = list(positions.values())
                    positions.clear()
                    await ws.send_str(
                        json.dumps(
                            {"id": None, "type": "positions", "data": {"positions": batch}},
                            ensure_ascii=False,
                        )
                    )
                next_flush = loop.time() + POSITION_FLUSH_S
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        if sockets is not None:
            sockets.discard(ws)
        api.events.unsubscribe(sub)
        read_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await read_task
        await ws.close()
    return ws


async def close_sockets(app: web.Application) -> None:
    """on_shutdown: tell every open console the hub is going away, and let their handlers end."""
    for ws in list(app.get(OPEN_SOCKETS, ())):
        with contextlib.suppress(Exception):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"hub_shutting_down")
