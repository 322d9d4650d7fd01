"""One change to an account, checked and applied in one transaction.

The last enabled admin can be neither demoted nor disabled, also when two admins demote each
other at once; a new password, a disable or enable, a new role or scope end every session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, select, update

from seaLink.domain.roles import Role
from seaLink.errors import Refused
from seaLink.store.db import Database
from seaLink.store.tables import ApiToken, Grid, UserAccount

_users: Any = UserAccount.__table__  # type: ignore[attr-defined]
_tokens: Any = ApiToken.__table__  # type: ignore[attr-defined]
_grids: Any = Grid.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class AccountChange:
    """What to change; None leaves it as it is. `grids` replaces the whole scope."""

    password_hash: str | None = None
    disabled: bool | None = None
    role: str | None = None
    grids: list[str] | None = None


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


async def change_account(db: Database, name: str, change: AccountChange) -> str:
    """Apply the change; returns what changed, in words for the audit log."""
    async with db.engine.begin() as conn:
        row = (await conn.execute(select(_users).where(_users.c.username == name))).first()
        if row is None:
            raise Refused("not_found", f"no user {name!r}")
        old_grids = [g for g in str(row.grid_ids or "").split(",") if g]
        role = change.role or str(row.role)
        grids = sorted(set(change.grids)) if change.grids is not None else old_grids
        disabled = change.disabled if change.disabled is not None else bool(row.disabled)
        if role == Role.COORDINATOR and not grids:
            raise Refused("refused", "a coordinator needs at least one grid")
        if change.grids:
            found = await conn.execute(select(_grids.c.id).where(_grids.c.id.in_(grids)))
            known = {r[0] for r in found.all()}
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
        if change.password_hash is not None:
            values |= {
                "password_hash": change.password_hash,
                "failed_logins": 0,
                "locked_until": None,
            }
            said.append("password")
        if change.disabled is not None:
            values["disabled"] = change.disabled
            said.append(f"disabled={change.disabled}")
        grids_changed = set(grids) != set(old_grids)
        scope_changed = role != str(row.role) or grids_changed
        if role != str(row.role):
            values["role"] = role
            said.append(f"role {row.role}->{role}")
        if grids_changed:
            values["grid_ids"] = ",".join(grids)
            said.append(f"grids {','.join(old_grids) or '-'}->{','.join(grids) or '-'}")
        if values:
            stmt = update(_users).where(_users.c.username == name).values(**values)
            if leaves_admins:
                stmt = stmt.where(_another_enabled_admin(name))
            if (await conn.execute(stmt)).rowcount == 0:
                raise Refused("last_admin", "the last enabled admin must stay an admin")
        if scope_changed or change.password_hash is not None or change.disabled is not None:
            await conn.execute(delete(_tokens).where(_tokens.c.username == name))
    return " ".join(said)
