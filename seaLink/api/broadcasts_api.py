"""REST resources of broadcasts: create, list, one with its roll-up and deliveries, re-send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

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
from seaLink.wire.codec import describe_errors

if TYPE_CHECKING:
    from seaLink.api.services import ApiServices


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


def routes(api: ApiServices) -> list[web.RouteDef]:
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
        who = principal(request)
        shown = await api.broadcasts.create_and_show(spec, who)
        return out.respond(out.BroadcastDetailOut, shown, status=201)

    async def list_(request: web.Request) -> web.Response:
        if request.query.get("rollup", "0") not in ("0", "1"):
            return json_error(400, "bad_query", "rollup must be 0 or 1")
        with_rollup = request.query.get("rollup") == "1"
        rows = await api.broadcasts.listing(principal(request), with_rollup=with_rollup)
        return out.respond(out.BroadcastListOut, {"broadcasts": rows, "count": len(rows)})

    async def get(request: web.Request) -> web.Response:
        if request.query.get("deliveries", "0") not in ("0", "1"):
            return json_error(400, "bad_query", "deliveries must be 0 or 1")
        deliveries = request.query.get("deliveries") == "1"
        body = await api.broadcasts.detail(_bid(request), principal(request), deliveries=deliveries)
        return out.respond(out.BroadcastDetailOut, body)

    async def resend(request: web.Request) -> web.Response:
        n = await api.broadcasts.resend(_bid(request), principal(request))
        return out.respond(out.RearmedOut, {"rearmed": n})

    async def recall_board(request: web.Request) -> web.Response:
        bid = _bid(request)
        who = principal(request)
        await api.broadcasts.visible(bid, who, recall=True)
        fmt = request.query.get("format", "json")
        if fmt not in ("json", "csv", "xlsx"):
            return json_error(400, "bad_query", "format must be json, csv or xlsx")
        board = await api.recall.scoped_board(bid, who, _at(request))
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
        done = await api.recall.confirm_ashore(
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
    if not 2000 <= at.year <= 2100:  # also keeps the offset's arithmetic inside datetime's range
        raise Refused("bad_query", "at must be between 2000 and 2100")
    return at.astimezone(UTC)
