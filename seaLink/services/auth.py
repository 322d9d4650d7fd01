"""Passwords (argon2), bearer tokens that expire, lockout after repeated failures."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update

from seaLink.clock import Clock
from seaLink.domain.roles import Principal, Role
from seaLink.store.db import Database
from seaLink.store.tables import ApiToken, UserAccount

_hasher = PasswordHasher()
# A real hash to verify against when the user does not exist, so that timing does not tell
# whether a username is valid.
_DUMMY_HASH = _hasher.hash("not-a-password")

_users = UserAccount.__table__  # type: ignore[attr-defined]
_tokens = ApiToken.__table__  # type: ignore[attr-defined]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


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
    ) -> None:
        self._db = db
        self._clock = clock
        self._ttl = timedelta(seconds=token_ttl_s)
        self._max_failures = max_failures
        self._lockout = timedelta(seconds=lockout_s)

    async def login(self, username: str, password: str) -> Session:
        now = self._clock.now()
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(_users).where(_users.c.username == username))).first()
        if row is None or row.disabled:
            _verify(_DUMMY_HASH, password)
            raise LoginRefused("bad_credentials")
        if row.locked_until is not None and row.locked_until > now:
            raise LoginRefused("locked", int((row.locked_until - now).total_seconds()) + 1)
        if not _verify(row.password_hash, password):
            await self._record_failure(username, now)
            raise LoginRefused("bad_credentials")
        token = secrets.token_urlsafe(32)
        expires = now + self._ttl
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_users)
                .where(_users.c.username == username)
                .values(failed_logins=0, locked_until=None)
            )
            await conn.execute(
                _tokens.insert().values(
                    token_hash=_token_hash(token),
                    username=username,
                    created_at=now,
                    expires_at=expires,
                )
            )
            await conn.execute(delete(_tokens).where(_tokens.c.expires_at < now))
        return Session(token, expires, principal_of(row))

    async def _record_failure(self, username: str, now: datetime) -> None:
        """Count a failed login in the store (committed), locking the account at the limit."""
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_users)
                .where(_users.c.username == username)
                .values(failed_logins=_users.c.failed_logins + 1)
            )
            await conn.execute(
                update(_users)
                .where(_users.c.username == username, _users.c.failed_logins >= self._max_failures)
                .values(failed_logins=0, locked_until=now + self._lockout)
            )

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

    async def logout(self, token: str) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(delete(_tokens).where(_tokens.c.token_hash == _token_hash(token)))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
