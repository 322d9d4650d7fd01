"""Every refusal of the API is a JSON body `{"error", "message"}`, even those aiohttp itself
gives (no such path, a method the path does not take, a body over the size limit), so a client
reads every refusal the same way and the OpenAPI document's promise holds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from seaLink.api.security import json_error

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}
# Headers a refusal must keep (405 names the methods the path takes).
_KEPT = ("Allow",)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        answer = json_error(exc.status, _CODES.get(exc.status, "http_error"), exc.reason)
        for name in _KEPT:
            if name in exc.headers:
                answer.headers[name] = exc.headers[name]
        return answer
