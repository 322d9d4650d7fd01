"""Passwords (argon2), bearer tokens that expire or end at logout, and failed logins that slow
the one who fails (`login_guard`). Every login, failed login, slow-down and logout is audited."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from seaLink.clock import Clock
from seaLink.domain.roles import Principal, Role
from seaLink.services.login_guard import LoginThrottle
from seaLink.store.db import Database
from seaLink.store.tables import ApiToken, AuditLog, UserAccount

# argon2id at the library's defaults (RFC 9106's second choice: 64 MiB, 3 passes; ~0.15 s of
# CPU on the 2-core VM). Hashing runs in a worker thread (argon2-cffi releases the GIL), so a
# login never holds up ingest or a distress for that long.
_hasher = PasswordHasher()
# A real hash to verify against when the user does not exist, so that timing does not tell
# whether a username is valid.
_DUMMY_HASH = _hasher.hash("not-a-password")


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash new passwords with `hasher` from now on; returns the one it replaces. For the test
    suite only, which logs in thousands of times with cheap parameters (a stored hash carries its
    own parameters, so every hash verifies whichever hasher is in use)."""
    global _hasher, _DUMMY_HASH
    previous, _hasher = _hasher, hasher
    _DUMMY_HASH = hasher.hash("not-a-password")
    return previous


_users = UserAccount.__table__  # type: ignore[attr-defined]
_tokens = ApiToken.__table__  # type: ignore[attr-defined]
_audit_t = AuditLog.__table__  # type: ignore[attr-defined]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def hash_password_off_loop(password: str) -> str:
    """`hash_password` in a worker thread: for the hub, whose loop must not wait ~0.15 s."""
    return await asyncio.to_thread(hash_password, password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LoginRefused(Exception):
    def __init__(self, reason: str, retry_after_s: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    expires_at: datetime
    principal: Principal


def principal_of(row: object) -> Principal:
    grids = frozenset(g for g in str(getattr(row, "grid_ids", "") or "").split(",") if g)
    return Principal(str(getattr(row, "username")), Role(str(getattr(row, "role"))), grids)  # noqa: B009


class AuthService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        token_ttl_s: int = 12 * 3600,
        max_failures: int = 5,
        lockout_s: int = 900,
        address_max_failures: int = 20,
    ) -> None:
        self._db = db
        self._clock = clock
        self._ttl = timedelta(seconds=token_ttl_s)
        self.throttle = LoginThrottle(
            max_failures=max_failures,
            address_max_failures=address_max_failures,
            max_wait_s=lockout_s,
        )

    async def login(self, username: str, password: str, address: str = "?") -> Session:
        """A session for a correct name and password. Refused alike whether the name exists, is
        disabled or the password is wrong (`bad_credentials`, after the same password hashing),
        and `slow_down` while this name (or this address) waits after repeated failures."""
        now = self._clock.now()
        wait = self.throttle.wait_s(username, address, now)
        if wait:
            raise LoginRefused("slow_down", wait)
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(_users).where(_users.c.username == username))).first()
        stored = row.password_hash if row is not None and not row.disabled else None
        matches = await asyncio.to_thread(_verify, stored or _DUMMY_HASH, password)
        if not matches or stored is None:
            started = self.throttle.failed(username, address, now)
            await self._audit(now, username, "auth.login_failed", f"from {address}")
            if started:
                await self._audit(now, username, "auth.slowed",
                                  f"from {address}: next try in {started}s")  # fmt: skip
            raise LoginRefused("bad_credentials")
        self.throttle.succeeded(username, address)
        token = secrets.token_urlsafe(32)
        expires = now + self._ttl
        async with self._db.engine.begin() as conn:
            await conn.execute(
                _tokens.insert().values(
                    token_hash=_token_hash(token),
                    username=username,
                    created_at=now,
                    expires_at=expires,
                )
            )
            await conn.execute(delete(_tokens).where(_tokens.c.expires_at < now))
            await conn.execute(_audit_t.insert().values(
                ts=now, username=username[:64], action="auth.login", target="", detail=f"from {address}"
            ))  # fmt: skip
        assert row is not None
        return Session(token, expires, principal_of(row))

    async def _audit(self, now: datetime, username: str, action: str, detail: str) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(_audit_t.insert().values(
                ts=now, username=username[:64], action=action, target="", detail=detail
            ))  # fmt: skip

    async def authenticate(self, token: str) -> Principal | None:
        now = self._clock.now()
        q = (
            select(
                _users.c.username,
                _users.c.role,
                _users.c.grid_ids,
                _users.c.disabled,
                _tokens.c.expires_at,
            )
            .select_from(_tokens.join(_users, _users.c.username == _tokens.c.username))
            .where(_tokens.c.token_hash == _token_hash(token))
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(q)).first()
        if row is None or row.disabled or row.expires_at <= now:
            return None
        return principal_of(row)

    async def logout(self, token: str, who: Principal, address: str = "?") -> None:
        """End this token's session (the account's other sessions go on)."""
        async with self._db.engine.begin() as conn:
            await conn.execute(delete(_tokens).where(_tokens.c.token_hash == _token_hash(token)))
        await self._audit(self._clock.now(), who.username, "auth.logout", f"from {address}")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
