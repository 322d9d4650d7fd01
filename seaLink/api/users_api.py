"""Accounts and the audit log in the API (admin only).

Only an admin changes an account: its password, whether it is disabled, its role and its grids.
A change of password, role or grids, and a disable or enable, ends the account's sessions (its
tokens are deleted, an open live stream closes within seconds): it logs in again, with its new
password, and its new scope applies to everything it sees.
The last enabled admin can be neither demoted nor disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from seaLink.api import responses as out
from seaLink.api.security import json_error, principal
from seaLink.domain.roles import Role
from seaLink.services.accounts import NewAccount
from seaLink.wire.codec import describe_errors

if TYPE_CHECKING:
    from seaLink.api.services import ApiServices


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    password: Annotated[str, Field(min_length=8, max_length=256)]
    role: Literal["admin", "coordinator", "viewer"]
    grids: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=100)
    display_name: Annotated[str, Field(max_length=64)] = ""


class UserChangeIn(BaseModel):
    """What to change; fields left out stay as they are. `grids` replaces the whole scope (a
    coordinator needs at least one; a viewer with none reads every grid; an admin's is unused)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    password: Annotated[str, Field(min_length=8, max_length=256)] | None = None
    disabled: bool | None = None
    role: Literal["admin", "coordinator", "viewer"] | None = None
    grids: list[Annotated[str, Field(min_length=1, max_length=32)]] | None = Field(
        default=None, max_length=100
    )


def routes(api: ApiServices) -> list[web.RouteDef]:
    accounts = api.accounts

    async def list_(request: web.Request) -> web.Response:
        return out.respond(out.UserListOut, {"users": await accounts.listing(principal(request))})

    async def create(request: web.Request) -> web.Response:
        who = principal(request)
        accounts.authorize(who)
        try:
            body = UserIn.model_validate_json(await request.read())
        except ValidationError as exc:
            return json_error(400, "invalid_body", describe_errors(exc, 5))
        new = NewAccount(
            body.username, body.password, Role(body.role), body.grids, body.display_name
        )
        await accounts.create(new, who)
        return out.respond(out.UsernameOut, {"username": body.username}, status=201)

    async def change(request: web.Request) -> web.Response:
        who = principal(request)
        accounts.authorize(who)
        try:
            body = UserChangeIn.model_validate_json(await request.read())
        except ValidationError as exc:
            return json_error(400, "invalid_body", describe_errors(exc, 5))
        if not body.model_fields_set:
            return json_error(400, "invalid_body", "nothing to change")
        changed = await accounts.change(
            request.match_info["username"], who,
            password=body.password, disabled=body.disabled, role=body.role, grids=body.grids,
        )  # fmt: skip
        return out.respond(out.UserOut, changed)

    async def audit_log(request: web.Request) -> web.Response:
        rows = await accounts.audit_log(principal(request))
        return out.respond(out.AuditListOut, {"audit": [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                             for k, v in r.items()} for r in rows]})  # fmt: skip

    return [
        web.get("/api/v1/users", list_),
        web.post("/api/v1/users", create),
        web.patch("/api/v1/users/{username}", change),
        web.get("/api/v1/audit", audit_log),
    ]
