"""Accounts and the audit log in the API (admin only).

Only an admin changes an account: its password, whether it is disabled, its role and its grids.
A change of password, role or grids, and a disable or enable, ends the account's sessions (its
tokens are deleted, an open live stream closes within seconds): it logs in again, with its new
password, and its new scope applies to everything it sees.
The last enabled admin can be neither demoted nor disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, exists, select, update

from seaLink.api import responses as out
from seaLink.api.security import json_error, principal
from seaLink.domain.roles import Role
from seaLink.errors import Refused, RegistryError
from seaLink.services.auth import hash_password
from seaLink.store import users
from seaLink.store.tables import ApiToken, AuditLog, Grid, UserAccount
from seaLink.wire.codec import describe_errors

if TYPE_CHECKING:
    from seaLink.runtime import Hub

_audit: Any = AuditLog.__table__  # type: ignore[attr-defined]
_users: Any = UserAccount.__table__  # type: ignore[attr-defined]
_tokens: Any = ApiToken.__table__  # type: ignore[attr-defined]
_grids: Any = Grid.__table__  # type: ignore[attr-defined]


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


def _another_enabled_admin(name: str) -> Any:
    """An enabled admin other than `name` exists (evaluated inside the UPDATE that demotes or
    disables `name`: on SQLite the statement holds the write lock, so two admins demoting each
    other at once cannot both pass)."""
    other = _users.alias("other")
    return exists(
        select(other.c.username).where(
            other.c.role == Role.ADMIN.value,
            other.c.disabled.is_(False),
            other.c.username != name,
        )
    )


async def _apply_change(hub: Hub, name: str, body: UserChangeIn) -> tuple[dict[str, Any], str]:
    """Check and apply a change in one transaction; the changed account and what changed."""
    new_hash = hash_password(body.password) if body.password is not None else None
    async with hub.db.engine.begin() as conn:
        row = (await conn.execute(select(_users).where(_users.c.username == name))).first()
        if row is None:
            raise Refused("not_found", f"no user {name!r}")
        old_grids = [g for g in str(row.grid_ids or "").split(",") if g]
        role = body.role or str(row.role)
        grids = sorted(set(body.grids)) if body.grids is not None else old_grids
        disabled = body.disabled if body.disabled is not None else bool(row.disabled)
        if role == Role.COORDINATOR and not grids:
            raise Refused("refused", "a coordinator needs at least one grid")
        if body.grids:
            known = {
                r[0]
                for r in (
                    await conn.execute(select(_grids.c.id).where(_grids.c.id.in_(grids)))
                ).all()
            }
            unknown = [g for g in grids if g not in known]
            if unknown:
                raise Refused("refused", f"unknown grid(s): {', '.join(unknown)}")
        leaves_admins = str(row.role) == Role.ADMIN and (role != Role.ADMIN or disabled)
        if leaves_admins:
            # Lock the enabled admins' rows, so that two admins demoting each other at once
            # cannot both see the other one left (PostgreSQL; SQLite takes no row locks: there
            # the UPDATE below checks again, in the one statement that writes).
            admins = (
                await conn.execute(
                    select(_users.c.username)
                    .where(_users.c.role == Role.ADMIN.value, _users.c.disabled.is_(False))
                    .with_for_update()
                )
            ).all()
            if not [a for a in admins if a[0] != name]:
                raise Refused("last_admin", "the last enabled admin must stay an admin")
        values: dict[str, Any] = {}
        said: list[str] = []
        if new_hash is not None:
            values |= {
                "password_hash": new_hash,
                "failed_logins": 0,
                "locked_until": None,
            }
            said.append("password")
        if body.disabled is not None:
            values["disabled"] = body.disabled
            said.append(f"disabled={body.disabled}")
        grids_changed = set(grids) != set(old_grids)
        scope_changed = role != str(row.role) or grids_changed
        if role != str(row.role):
            values["role"] = role
            said.append(f"role {row.role}->{role}")
        if grids_changed:
            values["grid_ids"] = ",".join(grids)
            said.append(f"grids {','.join(old_grids) or '-'}->{','.join(grids) or '-'}")
        if values:
            change = update(_users).where(_users.c.username == name).values(**values)
            if leaves_admins:
                change = change.where(_another_enabled_admin(name))
            if (await conn.execute(change)).rowcount == 0:
                raise Refused("last_admin", "the last enabled admin must stay an admin")
        if scope_changed or new_hash is not None or body.disabled is not None:
            # A new password, a disable or enable, a new role or scope: every session ends.
            await conn.execute(delete(_tokens).where(_tokens.c.username == name))
    changed = next(u for u in await users.list_users(hub.db) if u["username"] == name)
    return changed, " ".join(said)


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
        except ValidationError as exc:
            return json_error(400, "invalid_body", describe_errors(exc, 5))
        if not body.model_fields_set:
            return json_error(400, "invalid_body", "nothing to change")
        changed, said = await _apply_change(hub, name, body)
        await users.audit(
            hub.db,
            ts=hub.clock.now(),
            username=actor,
            action="user.change",
            target=f"user/{name}",
            detail=said,
        )
        return out.respond(out.UserOut, changed)

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
