"""What the API refuses before any handler or the store sees it (issue 12.5).

A request's path, query and JSON body are checked once, in a middleware, for what no field of
SeaLink may hold and what the databases cannot store or the parsers cannot take:

- NUL and the other C0 control characters in the path or the query (`bad_text`);
- a body that is not UTF-8, or that holds NUL or an unpaired UTF-16 surrogate (`\\ud800`) in
  any string, key or value (`bad_text`): PostgreSQL cannot store NUL, neither database a lone
  surrogate; other control characters (a newline in a study pack) are text like any other;
- a JSON body nested deeper than `MAX_DEPTH` (`too_deep`): Python's parser would overflow its
  stack on 100,000 brackets.

Each is a 400 with its own code, answered before the handler; numbers and times that do not fit
a column are checked where they are read (`query_int`, `query_time`, `seaLink.api.ids`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from seaLink.api.security import json_error, refusal

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_DEPTH = 64
# The largest row id or number a query may name: INTEGER columns on PostgreSQL are 32-bit.
MAX_INT = 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _depth_over(text: str, limit: int) -> bool:
    """Whether JSON text nests arrays/objects deeper than `limit` (strings are skipped)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _unstorable(value: Any) -> bool:
    """Whether a parsed JSON value holds a string (key or value) the store cannot keep."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if _UNSTORABLE.search(v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _bad(code: str, message: str) -> web.Response:
    return json_error(400, code, message)


@web.middleware
async def input_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    if _CONTROL.search(path) or _UNSTORABLE.search(path):
        return _bad("bad_text", "the path holds a control character or an unpaired surrogate")
    for key, value in request.query.items():
        if _CONTROL.search(key) or _CONTROL.search(value) or _UNSTORABLE.search(key + value):
            return _bad(
                "bad_text",
                f"query parameter {key[:32]!r} holds a control character or an unpaired surrogate",
            )
    if request.method in _WITH_BODY and request.can_read_body:
        raw = await request.read()  # kept by aiohttp: the handler reads the same bytes
        if b"\x00" in raw:
            return _bad("bad_text", "the body holds a NUL byte")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _bad("bad_text", "the body is not UTF-8")
        if text.lstrip()[:1] in ("{", "["):
            if _depth_over(text, MAX_DEPTH):
                return _bad("too_deep", f"the JSON body nests deeper than {MAX_DEPTH} levels")
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None  # not JSON after all: the handler says so in its own words
            if _unstorable(parsed):
                return _bad(
                    "bad_text",
                    "a string of the body holds NUL or an unpaired surrogate (\\ud800-\\udfff)",
                )
    return await handler(request)


def query_int(request: web.Request, name: str, low: int = 1, high: int = MAX_INT) -> int | None:
    """An optional integer query parameter within low..high (else 400 bad_query)."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    value = int(raw) if raw.isascii() and raw.lstrip("-").isdigit() and len(raw) <= 20 else None
    if value is None or not low <= value <= high:
        raise refusal(400, "bad_query", f"{name} must be an integer {low}..{high}")
    return value


def query_time(request: web.Request, name: str) -> datetime | None:
    """An optional ISO 8601 time with a UTC offset, as UTC (else 400 bad_query): a time that has
    no UTC equivalent (0001-01-01T00:00:00+14:00) is refused, not left to overflow later."""
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise refusal(400, "bad_query", f"{name} must be ISO 8601") from None
    if value.tzinfo is None:
        raise refusal(400, "bad_query", f"{name} needs a UTC offset")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise refusal(400, "bad_query", f"{name} is out of range") from None
