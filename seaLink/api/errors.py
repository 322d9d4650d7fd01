"""Every refusal and failure of the API is a JSON body `{"error", "message", "request_id"}`,
even those aiohttp itself gives (no such path, a method the path does not take, a body over the
size limit), a service's `Refused`, an unreachable database (503 with Retry-After) and a fault of
ours (500, logged with its request id): a client reads every one the same way, and an operator
finds the log line of any answer by the `X-Request-Id` header every response carries."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from seaLink.api.security import json_error
from seaLink.errors import Refused
from seaLink.store.outage import is_store_outage

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}
# The HTTP status of each refusal code a service gives (anything else: 400).
STATUS_OF: dict[str, int] = {
    "not_found": 404,
    "forbidden": 403,
    "unauthorized": 401,
    "locked": 423,
    "conflict": 409,
    "not_open": 409,
    "resolved": 409,
    "exists": 409,
    "last_admin": 409,
    "no_position": 409,
    "closed": 409,
    "none_ready": 409,
    "too_many": 429,
    "unavailable": 503,
    "bad_assignee": 400,
    "bad_drill": 400,
}
# Headers a refusal must keep (405 names the methods the path takes).
_KEPT = ("Allow",)
STORE_RETRY_AFTER_S = 5
REQUEST_ID = web.RequestKey("request_id", str)
# A store failure this long after the last one starts a new outage (and a new log line).
OUTAGE_GAP_S = 30.0


class StoreOutageLog:
    """One log line per outage of the store, with the request id of its first failed request;
    the requests that fail after it are counted, and the count logged when the store answers."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.first_rid = ""
        self.failed = 0

    def failure(self, request: web.Request, exc: Exception, rid: str) -> None:
        now = time.monotonic()
        if self.last is None or now - self.last > OUTAGE_GAP_S:
            self.first_rid, self.failed = rid, 0
            log.error("request %s %s: the store is unreachable (%s); answering 503 until it is "
                      "back, logged once [request %s]",
                      request.method, request.path[:200], type(exc).__name__, rid)  # fmt: skip
        self.failed += 1
        self.last = now

    def success(self) -> None:
        if self.last is not None:
            log.warning("the store answers again: %d requests got 503 in the outage that began "
                        "with request %s", self.failed, self.first_rid)  # fmt: skip
            self.last = None


OUTAGE_LOG = web.AppKey("store_outage_log", StoreOutageLog)


def _request_id(request: web.Request) -> str:
    rid = request.get(REQUEST_ID)
    if rid is None:
        rid = secrets.token_hex(6)
        request[REQUEST_ID] = rid
    return rid


_FALLBACK = StoreOutageLog()  # an app built without one (build_app makes its own)


def _outage_log(request: web.Request) -> StoreOutageLog:
    return request.app.get(OUTAGE_LOG, _FALLBACK)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    rid = _request_id(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            exc.headers["X-Request-Id"] = rid
            raise
        if exc.content_type == "application/json" and isinstance(exc.body, bytes):
            # A handler's own JSON refusal: answered as it is, with the request id added below.
            answer = web.Response(status=exc.status, body=exc.body, content_type="application/json")
        else:
            answer = json_error(exc.status, _CODES.get(exc.status, "http_error"), exc.reason)
        for name in _KEPT:
            if name in exc.headers:
                answer.headers[name] = exc.headers[name]
        response = answer
    except Refused as exc:
        response = json_error(STATUS_OF.get(exc.code, 400), exc.code, exc.message)
    except Exception as exc:
        if is_store_outage(exc):
            _outage_log(request).failure(request, exc, rid)
            response = json_error(503, "store_unavailable",
                                  "the database cannot be reached now; try again shortly")  # fmt: skip
            response.headers["Retry-After"] = str(STORE_RETRY_AFTER_S)
        else:
            log.exception(
                "request %s %s failed [request %s]", request.method, request.path[:200], rid
            )
            response = json_error(500, "internal_error", f"the hub failed on this request (request id {rid})")  # fmt: skip
    if (
        isinstance(response, web.Response)
        and response.status >= 400
        and response.content_type == "application/json"
    ):
        body = response.body
        if isinstance(body, bytes) and body.startswith(b"{") and b'"request_id"' not in body:
            response.body = body[:-1] + f',"request_id":"{rid}"}}'.encode()
    if response.status < 500:
        outage = request.app.get(OUTAGE_LOG)
        if outage is not None and outage.last is not None:
            outage.success()
    response.headers["X-Request-Id"] = rid
    return response
