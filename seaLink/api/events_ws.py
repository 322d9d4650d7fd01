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

from aiohttp import WSMsgType, web

from seaLink.api.security import bearer_token, principal
from seaLink.services.events import Event

if TYPE_CHECKING:
    from seaLink.runtime import Hub

POSITION_FLUSH_S = 1.0
TOKEN_RECHECK_S = 5.0
# An application close code (4000-4999), chosen to read as HTTP 401.
CLOSE_TOKEN_EXPIRED = 4401


def _frame(ev: Event) -> str:
    return json.dumps({"id": ev.id, "type": ev.type, "data": ev.data}, ensure_ascii=False)


async def events_ws(request: web.Request, hub: Hub) -> web.StreamResponse:
    who = principal(request)
    token = bearer_token(request) or ""
    try:
        last_id = int(request.query.get("last_event_id", "0"))
    except ValueError:
        raise web.HTTPBadRequest(
            text='{"error":"bad_query","message":"last_event_id must be an integer"}',
            content_type="application/json",
        ) from None
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    sub = hub.events.subscribe()

    def visible(ev: Event) -> bool:
        grids = ev.data.get("grid_ids")
        if isinstance(grids, list):
            return any(who.can_read_grid(g) for g in grids)
        grid = ev.grid_id
        return grid is None or who.can_read_grid(grid)

    async def reader() -> None:
        async for msg in ws:
            if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break

    read_task = asyncio.create_task(reader(), name="ws-reader")
    try:
        # `now`: the hub's time, so a console on a PC whose clock is off still tells ages right.
        hello = {"last_event_id": hub.events.last_id, "now": hub.clock.now().isoformat()}
        await ws.send_str(json.dumps({"id": None, "type": "hello", "data": hello}))
        if last_id:
            missed = hub.events.since(last_id)
            if missed is None:
                await ws.send_str(json.dumps({"id": None, "type": "resync", "data": {}}))
            else:
                for old in missed:
                    if visible(old):
                        await ws.send_str(_frame(old))
        positions: dict[str, dict[str, Any]] = {}
        ev: Event | None
        loop = asyncio.get_running_loop()
        next_flush = loop.time() + POSITION_FLUSH_S
        next_check = loop.time() + TOKEN_RECHECK_S
        while not ws.closed and not read_task.done():
            if loop.time() >= next_check:
                next_check = loop.time() + TOKEN_RECHECK_S
                if await hub.auth.authenticate(token) is None:
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
            if ev is not None and visible(ev):
                if ev.type == "position":
                    positions[str(ev.data["vessel_id"])] = ev.data
                else:
                    await ws.send_str(_frame(ev))
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
        hub.events.unsubscribe(sub)
        read_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await read_task
        await ws.close()
    return ws
