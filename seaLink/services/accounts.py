"""Accounts and the audit log (admin only): list, create, change; every change audited.

A change of password, role or grids, and a disable or enable, ends the account's sessions (its
tokens are deleted, an open live stream closes within seconds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seaLink.clock import Clock
from seaLink.domain.roles import Principal, Role
from seaLink.errors import Refused, RegistryError
from seaLink.services.auth import hash_password_off_loop
from seaLink.store import users
from seaLink.store.account_changes import AccountChange, change_account
from seaLink.store.db import Database


@dataclass(frozen=True, slots=True)
class NewAccount:
    username: str
    password: str
    role: Role
    grids: list[str]
    display_name: str = ""


class Accounts:
    def __init__(self, *, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def authorize(self, who: Principal) -> None:
        if who.role is not Role.ADMIN:
            raise Refused("forbidden", "only an admin manages accounts")

    async def listing(self, who: Principal) -> list[dict[str, Any]]:
        self.authorize(who)
        return await users.list_users(self._db)

    async def create(self, new: NewAccount, who: Principal) -> None:
        self.authorize(who)
        try:
            await users.create_user(
                self._db,
                username=new.username,
                password_hash=await hash_password_off_loop(new.password),
                role=new.role,
                grid_ids=new.grids,
                now=self._clock.now(),
                display_name=new.display_name,
            )
        except RegistryError as exc:
            raise Refused("exists" if "exists" in str(exc) else "refused", str(exc)) from None
        await self._audit(who, "user.add", new.username, f"{new.role.value} {','.join(new.grids)}")

    async def change(
        self,
        name: str,
        who: Principal,
        *,
        password: str | None = None,
        disabled: bool | None = None,
        role: str | None = None,
        grids: list[str] | None = None,
    ) -> dict[str, Any]:
        self.authorize(who)
        new_hash = await hash_password_off_loop(password) if password is not None else None
        said = await change_account(self._db, name, AccountChange(new_hash, disabled, role, grids))
        await self._audit(who, "user.change", name, said)
        return next(u for u in await users.list_users(self._db) if u["username"] == name)

    async def audit_log(self, who: Principal) -> list[dict[str, Any]]:
        self.authorize(who)
        return await users.recent_audit(self._db)

    async def _audit(self, who: Principal, action: str, name: str, detail: str) -> None:
        await users.audit(
            self._db,
            ts=self._clock.now(),
            username=who.username,
            action=action,
            target=f"user/{name}",
            detail=detail,
        )
