"""REST resources of broadcasts: create, list, one with its roll-up and deliveries, re-send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web
from pydantic import ValidationError

from seaLink.api import responses as out
from seaLink.api.ids import path_id
from seaLink.api.models import AshoreIn, BroadcastIn
from seaLink.api.security import json_error, principal
from seaLink.api.words import reader_lang
from seaLink.errors import Refused
from seaLink.services import recall_export
from seaLink.services.broadcasts import BroadcastSpec
from seaLink.store import broadcast_store, recall_store
from seaLink.wire.codec import describe_errors

if TYPE_CHECKING:
    from seaLink.domain.roles import Principal
    from seaLink.runtime import Hub


M = TypeVar("M", BroadcastIn, AshoreIn)


async def read_body(request: web.Request, model: type[M]) -> M:
    try:
        raw = await request.read()
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise web.HTTPBadRequest(
            text=json_error(400, "invalid_body", describe_errors(exc, 5)).text,
            content_type="application/json",
        ) from None


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _bid(request: web.Request) -> int:
    return path_id(request, "bid", "broadcast")


def routes(hub: Hub) -> list[web.RouteDef]:
    async def create(request: web.Request) -> web.Response:
        body = await read_body(request, BroadcastIn)
        spec = BroadcastSpec(
            kind=body.kind,
            title=body.title,
            body=body.body,
            target=body.target.to_domain(),
            priority=body.priority,
            reply=body.reply_expected,
            per_crew=body.per_crew,
            expires_at=body.expires_at,
            signal=body.signal,
            recall_deadline=body.recall.deadline if body.recall else None,
            recall_shelter=body.recall.shelter if body.recall else None,
        )
        bid = await hub.broadcasts.create(spec, principal(request))
        return out.respond(
            out.BroadcastDetailOut, await _one(hub, bid, deliveries=False), status=201
        )

    async def list_(request: web.Request) -> web.Response:
        if request.query.get("rollup", "0") not in ("0", "1"):
            return json_error(400, "bad_query", "rollup must be 0 or 1")
        rows = await broadcast_store.list_broadcasts(hub.db, principal(request).grid_filter())
        if request.query.get("rollup") == "1":
            # The console's list shows each broadcast's progress: counts only, no missing list.
            for b in rows:
                b["rollup"] = await broadcast_store.rollup(
                    hub.db, b["id"], b["reply"], missing_limit=0
                )
        return out.respond(out.BroadcastListOut, {"broadcasts": rows, "count": len(rows)})

    async def get(request: web.Request) -> web.Response:
        bid = _bid(request)
        if request.query.get("deliveries", "0") not in ("0", "1"):
            return json_error(400, "bad_query", "deliveries must be 0 or 1")
        b = await broadcast_store.get_broadcast(hub.db, bid)
        who = principal(request)
        if b is None or not all(who.can_read_grid(g) for g in b["grids"]):
            return json_error(404, "not_found", f"no broadcast {bid} in your grids")
        return out.respond(
            out.BroadcastDetailOut,
            await _one(hub, bid, deliveries=request.query.get("deliveries") == "1"),
        )

    async def resend(request: web.Request) -> web.Response:
        n = await hub.broadcasts.resend(_bid(request), principal(request))
        return out.respond(out.RearmedOut, {"rearmed": n})

    async def recall_board(request: web.Request) -> web.Response:
        bid = _bid(request)
        b = await broadcast_store.get_broadcast(hub.db, bid)
        who = principal(request)
        if (
            b is None
            or not b["recall_deadline"]
            or not any(who.can_read_grid(g) for g in b["grids"])
        ):
            return json_error(404, "not_found", f"no recall order {bid} in your grids")
        fmt = request.query.get("format", "json")
        if fmt not in ("json", "csv", "xlsx"):
            return json_error(400, "bad_query", "format must be json, csv or xlsx")
        board = await scoped_board(hub, bid, who, _at(request))
        if fmt == "json":
            return out.respond(out.RecallBoardOut, board)
        lang = reader_lang(request)
        stamp = board["at"][:16].replace(":", "").replace("-", "")
        name = f"recall-{bid}-{stamp}Z.{fmt}"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        if fmt == "csv":
            return web.Response(text=recall_export.to_csv(board, lang), content_type="text/csv",
                                charset="utf-8", headers=disposition)  # fmt: skip
        return web.Response(body=recall_export.to_xlsx(board, lang), headers=disposition,
                            content_type=XLSX)  # fmt: skip

    async def ashore(request: web.Request) -> web.Response:
        body = await read_body(request, AshoreIn)
        done = await hub.recall.confirm_ashore(
            _bid(request),
            request.match_info["vid"],
            body.persons_ashore,
            principal(request),
            body.note,
        )
        return out.respond(out.AshoreOut, done)

    return [
        web.get("/api/v1/broadcasts/{bid}/recall", recall_board),
        web.post("/api/v1/broadcasts/{bid}/recall/{vid}/ashore", ashore),
        web.post("/api/v1/broadcasts", create),
        web.get("/api/v1/broadcasts", list_),
        web.get("/api/v1/broadcasts/{bid}", get),
        web.post("/api/v1/broadcasts/{bid}/resend", resend),
    ]


def _at(request: web.Request) -> datetime | None:
    """`?at=` (ISO 8601 with its offset): the board as it stood then."""
    raw = request.query.get("at")
    if raw is None:
        return None
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise Refused("bad_query", "at must be an ISO 8601 time with its offset")
    return at.astimezone(UTC)


async def scoped_board(hub: Hub, bid: int, who: Principal, at: datetime | None) -> dict[str, Any]:
    """The board of the reader's grids only, its totals counted over them: a grid coordinator
    sees their own grids' figures, the county desk all (the server decides, not the console)."""
    board = await hub.recall.board(bid, at)
    board["grids"] = [g for g in board["grids"] if who.can_read_grid(g["grid_id"])]
    board["vessels"] = [v for v in board["vessels"] if who.can_read_grid(v["grid_id"])]
    board["total"] = recall_store.totals(board["grids"])
    return board


async def _one(hub: Hub, bid: int, *, deliveries: bool) -> dict[str, object]:
    b = await broadcast_store.get_broadcast(hub.db, bid)
    assert b is not None
    out: dict[str, object] = {
        "broadcast": b,
        "rollup": await broadcast_store.rollup(hub.db, bid, b["reply"]),
    }
    if deliveries:
        out["deliveries"] = await broadcast_store.deliveries_of(hub.db, bid)
    return out
