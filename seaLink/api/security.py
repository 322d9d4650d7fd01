"""Login, logout, bearer-token authentication, the client's address (behind trusted proxies) and
the per-address login rate limit."""

from __future__ import annotations

import ipaddress
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from seaLink.api.responses import LockedOut, LoginOut, OkOut, respond
from seaLink.domain.roles import Principal
from seaLink.services.auth import LoginRefused

if TYPE_CHECKING:
    from seaLink.services.auth import AuthService

PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)
OPEN_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/auth/login",
        "/api/v1/openapi.json",
        "/api/v1/docs",
    }
)
# Writes any role may make: its own session's end.
ANY_ROLE_WRITES = frozenset({"/api/v1/auth/logout"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, "message": message, **extra}, status=status)


_REFUSALS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
}


def refusal(status: int, code: str, message: str) -> web.HTTPException:
    """An exception to raise that answers with the JSON error body (never hand-built JSON text:
    a message quoting the caller's input must stay valid JSON)."""
    return _REFUSALS[status](
        text=json_error(status, code, message).text, content_type="application/json"
    )


def principal(request: web.Request) -> Principal:
    return request[PRINCIPAL]


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip() or None
    # Browsers cannot set headers on a WebSocket: the console passes the token as a query parameter.
    if request.path == "/api/v1/events":
        return request.query.get("token")
    return None


def auth_middleware(get_auth: Callable[[web.Request], AuthService]) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path in OPEN_PATHS or not path.startswith("/api/"):
            return await handler(request)
        token = bearer_token(request)
        if token is None:
            return json_error(401, "unauthorized", "log in first: Authorization: Bearer <token>")
        who = await get_auth(request).authenticate(token)
        if who is None:
            return json_error(
                401, "unauthorized", "the token is unknown or has expired; log in again"
            )
        request[PRINCIPAL] = who
        writes = request.method not in ("GET", "HEAD", "OPTIONS") and path not in ANY_ROLE_WRITES
        if writes and not who.can_write:
            return json_error(403, "forbidden", f"role {who.role.value} may not change anything")
        return await handler(request)

    return middleware


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(items: list[str]) -> list[Network]:
    return [ipaddress.ip_network(i, strict=False) for i in items]


def _is_trusted(address: str, trusted: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_address(request: web.Request, trusted: list[Network]) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the nearest
    address of X-Forwarded-For that is not a trusted proxy (a client can put anything at the
    left of the header, so it is read from the right)."""
    peer = request.remote or "?"
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # not an address: the proxy did not write it
    return hops[0] if hops else peer


class LoginRateLimit:
    """At most `per_minute` login attempts per client address (a sliding window)."""

    def __init__(self, per_minute: int) -> None:
        self._per_minute = per_minute
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        q = self._seen[address]
        while q and q[0] < now - 60:
            q.popleft()
        if len(q) >= self._per_minute:
            return False
        q.append(now)
        if len(self._seen) > 10_000:
            self._seen = defaultdict(deque, {k: v for k, v in self._seen.items() if v})
        return True


async def login(
    request: web.Request, auth: AuthService, limiter: LoginRateLimit, trusted: list[Network]
) -> web.Response:
    address = client_address(request, trusted)
    if not limiter.allow(address):
        answer = json_error(429, "too_many_attempts", "too many login attempts; wait a minute")
        answer.headers["Retry-After"] = "60"
        return answer
    try:
        body = await request.json()
    except ValueError:
        return json_error(
            400, "bad_request", 'body must be JSON: {"username": ..., "password": ...}'
        )
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("username"), str)
        or not isinstance(body.get("password"), str)
    ):
        return json_error(400, "bad_request", "username and password are required strings")
    try:
        session = await auth.login(body["username"][:64], body["password"][:256], address)
    except LoginRefused as exc:
        if exc.reason == "slow_down":
            answer = respond(
                LockedOut,
                {
                    "error": "slow_down",
                    "message": "too many failed logins from this address; wait before trying again",
                    "retry_after_s": exc.retry_after_s,
                },
                status=429,
            )
            answer.headers["Retry-After"] = str(exc.retry_after_s)
            return answer
        return json_error(401, "bad_credentials", "wrong username or password")
    p = session.principal
    return respond(
        LoginOut,
        {
            "token": session.token,
            "expires_at": session.expires_at.isoformat().replace("+00:00", "Z"),
            "username": p.username,
            "role": p.role.value,
            "grids": sorted(p.grid_ids),
        },
    )


async def logout(request: web.Request, auth: AuthService, trusted: list[Network]) -> web.Response:
    """End the session of the token this request carries."""
    token = bearer_token(request) or ""
    await auth.logout(token, principal(request), client_address(request, trusted))
    return respond(OkOut, {"ok": True})
