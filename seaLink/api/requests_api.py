"""REST resources of fishermen's requests: the inbox, one request with its log, reply, assign,
resolve."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from seaLink.api import responses as out
from seaLink.api.ids import path_id
from seaLink.api.security import json_error, principal
from seaLink.wire.codec import describe_errors

if TYPE_CHECKING:
    from seaLink.api.services import ApiServices


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: Annotated[str, Field(min_length=1, max_length=64)]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    note: Annotated[str, Field(max_length=2000)] = ""


def routes(api: ApiServices) -> list[web.RouteDef]:
    def rid_of(request: web.Request) -> int:
        return path_id(request, "rid", "request")

    async def body(request: web.Request, model: type[BaseModel]) -> BaseModel:
        try:
            return model.model_validate_json(await request.read() or b"{}")
        except ValidationError as exc:
            raise web.HTTPBadRequest(
                text=json_error(400, "invalid_body", describe_errors(exc, 5)).text,
                content_type="application/json",
            ) from None

    async def inbox(request: web.Request) -> web.Response:
        rows = await api.requests.inbox(principal(request), request.query.get("state"))
        return out.respond(out.RequestListOut, {"requests": rows, "count": len(rows)})

    async def one(request: web.Request) -> web.Response:
        found = await api.requests.get(rid_of(request), principal(request))
        return out.respond(out.RequestDetailOut, found)

    async def reply(request: web.Request) -> web.Response:
        b = await body(request, ReplyIn)
        assert isinstance(b, ReplyIn)
        who = principal(request)
        msg_id = await api.requests.reply(rid_of(request), who, b.text)
        return out.respond(out.MsgIdOut, {"msg_id": msg_id}, status=201)

    async def assign(request: web.Request) -> web.Response:
        b = await body(request, AssignIn)
        assert isinstance(b, AssignIn)
        who = principal(request)
        await api.requests.assign(rid_of(request), who, b.username)
        return out.respond(out.AssignedOut, {"assigned_to": b.username})

    async def resolve(request: web.Request) -> web.Response:
        b = await body(request, ResolveIn)
        assert isinstance(b, ResolveIn)
        who = principal(request)
        await api.requests.resolve(rid_of(request), who, b.note)
        return out.respond(out.ResolvedOut, {"resolved": True})

    return [
        web.get("/api/v1/requests", inbox),
        web.get("/api/v1/requests/{rid}", one),
        web.post("/api/v1/requests/{rid}/reply", reply),
        web.post("/api/v1/requests/{rid}/assign", assign),
        web.post("/api/v1/requests/{rid}/resolve", resolve),
    ]
