"""Accounts and the audit log in the API (admin only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from seaLink.api import responses as out
from seaLink.api.security import json_error, principal
from seaLink.domain.roles import Role
from seaLink.errors import RegistryError
from seaLink.services.auth import hash_password
from seaLink.store import users
from seaLink.store.tables import AuditLog
from seaLink.wire.codec import describe_errors

if TYPE_CHECKING:
    from seaLink.runtime import Hub

_audit: Any = AuditLog.__table__  # type: ignore[attr-defined]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    password: Annotated[str, Field(min_length=8, max_length=256)]
    role: Literal["admin", "coordinator", "viewer"]
    grids: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=100)
    display_name: Annotated[str, Field(max_length=64)] = ""


class UserChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    password: Annotated[str, Field(min_length=8, max_length=256)] | None = None
    disabled: bool | None = None


def routes(hub: Hub) -> list[web.RouteDef]:
    def admin_only(request: web.Request) -> str:
        who = principal(request)
        if who.role is not Role.ADMIN:
            raise web.HTTPForbidden(
                text=json_error(403, "forbidden", "only an admin manages accounts").text,
                content_type="application/json",
            )
        return who.username

    async def list_(request: web.Request) -> web.Response:
        admin_only(request)
        return out.respond(out.UserListOut, {"users": await users.list_users(hub.db)})

    async def create(request: web.Request) -> web.Response:
        actor = admin_only(request)
        try:
            body = UserIn.model_validate_json(await request.read())
            await users.create_user(hub.db, username=body.username, password_hash=hash_password(body.password),
                                    role=Role(body.role), grid_ids=body.grids, now=hub.clock.now(),
                                    display_name=body.display_name)  # fmt: skip
        except ValidationError as exc:
            return json_error(400, "invalid_body", describe_errors(exc, 5))
        except RegistryError as exc:
            return json_error(409 if "exists" in str(exc) else 400, "refused", str(exc))
        await users.audit(
            hub.db,
            ts=hub.clock.now(),
            username=actor,
            action="user.add",
            target=f"user/{body.username}",
            detail=f"{body.role} {','.join(body.grids)}",
        )
        return out.respond(out.UsernameOut, {"username": body.username}, status=201)

    async def change(request: web.Request) -> web.Response:
        actor = admin_only(request)
        name = request.match_info["username"]
        try:
            body = UserChangeIn.model_validate_json(await request.read())
            if body.password is not None:
                await users.set_password(hub.db, name, hash_password(body.password))
            if body.disabled is not None:
                await users.set_disabled(hub.db, name, body.disabled)
        except ValidationError as exc:
            return json_error(400, "invalid_body", describe_errors(exc, 5))
        except RegistryError as exc:
            return json_error(404, "not_found", str(exc))
        await users.audit(
            hub.db,
            ts=hub.clock.now(),
            username=actor,
            action="user.change",
            target=f"user/{name}",
            detail=("password " if body.password else "")
            + (f"disabled={body.disabled}" if body.disabled is not None else ""),
        )
        return out.respond(out.UsernameOut, {"username": name})

    async def audit_log(request: web.Request) -> web.Response:
        admin_only(request)
        async with hub.db.engine.connect() as conn:
            rows = (
                (await conn.execute(select(_audit).order_by(_audit.c.id.desc()).limit(500)))
                .mappings()
                .all()
            )
        return out.respond(out.AuditListOut, {"audit": [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                             for k, v in r.items()} for r in rows]})  # fmt: skip

    return [
        web.get("/api/v1/users", list_),
        web.post("/api/v1/users", create),
        web.patch("/api/v1/users/{username}", change),
        web.get("/api/v1/audit", audit_log),
    ]
