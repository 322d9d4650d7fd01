"""User accounts: create, change, list (used by `sealink user`, the API and the start-up admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from seaLink.domain.roles import Role
from seaLink.errors import RegistryError
from seaLink.store.db import Database
from seaLink.store.tables import ApiToken, AuditLog, Grid, UserAccount
from seaLink.texts import DEFAULT_LANG, Phrase, render

_users = UserAccount.__table__  # type: ignore[attr-defined]
_grids = Grid.__table__  # type: ignore[attr-defined]
_audit = AuditLog.__table__  # type: ignore[attr-defined]
_tokens = ApiToken.__table__  # type: ignore[attr-defined]


async def _check_grids(db: Database, grid_ids: list[str]) -> None:
    if not grid_ids:
        return
    async with db.engine.connect() as conn:
        known = {
            r[0]
            for r in (
                await conn.execute(select(_grids.c.id).where(_grids.c.id.in_(grid_ids)))
            ).all()
        }
    missing = [g for g in grid_ids if g not in known]
    if missing:
        raise RegistryError(f"unknown grid(s): {', '.join(missing)}")


async def create_user(
    db: Database,
    *,
    username: str,
    password_hash: str,
    role: Role,
    grid_ids: list[str],
    now: datetime,
    display_name: str = "",
    coordinator_id: str | None = None,
) -> None:
    if role is Role.COORDINATOR and not grid_ids:
        raise RegistryError("a coordinator needs at least one grid")
    await _check_grids(db, grid_ids)
    async with db.engine.begin() as conn:
        exists = (
            await conn.execute(select(_users.c.username).where(_users.c.username == username))
        ).first()
        if exists:
            raise RegistryError(f"user {username!r} exists")
        await conn.execute(
            _users.insert().values(
                username=username,
                password_hash=password_hash,
                role=role.value,
                display_name=display_name,
                coordinator_id=coordinator_id,
                grid_ids=",".join(grid_ids),
                disabled=False,
                failed_logins=0,
                created_at=now,
            )
        )


async def set_password(db: Database, username: str, password_hash: str) -> None:
    async with db.engine.begin() as conn:
        result = await conn.execute(
            update(_users)
            .where(_users.c.username == username)
            .values(password_hash=password_hash, failed_logins=0, locked_until=None)
        )
        await conn.execute(delete(_tokens).where(_tokens.c.username == username))
    if result.rowcount == 0:
        raise RegistryError(f"no user {username!r}")


async def set_disabled(db: Database, username: str, disabled: bool) -> None:
    async with db.engine.begin() as conn:
        result = await conn.execute(
            update(_users).where(_users.c.username == username).values(disabled=disabled)
        )
        await conn.execute(delete(_tokens).where(_tokens.c.username == username))
    if result.rowcount == 0:
        raise RegistryError(f"no user {username!r}")


async def list_users(db: Database) -> list[dict[str, Any]]:
    q = select(
        _users.c.username,
        _users.c.role,
        _users.c.display_name,
        _users.c.grid_ids,
        _users.c.disabled,
        _users.c.locked_until,
    ).order_by(_users.c.username)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(q)).mappings().all()
    return [
        {
            "username": r["username"],
            "role": r["role"],
            "display_name": r["display_name"],
            "grids": [g for g in r["grid_ids"].split(",") if g],
            "disabled": bool(r["disabled"]),
            "locked_until": r["locked_until"].isoformat() if r["locked_until"] else None,
        }
        for r in rows
    ]


async def ensure_admin(db: Database, password_hash: str, now: datetime) -> bool:
    """Create user `admin` if no admin exists yet; True if created."""
    async with db.engine.begin() as conn:
        exists = (
            await conn.execute(select(_users.c.username).where(_users.c.role == "admin").limit(1))
        ).first()
        if exists:
            return False
        await conn.execute(
            _users.insert().values(
                username="admin",
                password_hash=password_hash,
                role="admin",
                display_name=render(Phrase("user.admin"), DEFAULT_LANG),
                grid_ids="",
                disabled=False,
                failed_logins=0,
                created_at=now,
            )
        )
    return True


async def audit(
    db: Database, *, ts: datetime, username: str, action: str, target: str = "", detail: str = ""
) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            _audit.insert().values(
                ts=ts, username=username, action=action, target=target, detail=detail
            )
        )


async def recent_audit(db: Database, limit: int = 500) -> list[dict[str, Any]]:
    """The newest audit entries first."""
    async with db.engine.connect() as conn:
        rows = (
            (await conn.execute(select(_audit).order_by(_audit.c.id.desc()).limit(limit)))
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


async def coordinator_of(db: Database, username: str) -> str | None:
    """The coordinator (grid worker, leader) a login stands for, if it is linked to one."""
    q = select(_users.c.coordinator_id).where(_users.c.username == username)
    async with db.engine.connect() as conn:
        found = (await conn.execute(q)).scalar()
    return str(found) if found else None
