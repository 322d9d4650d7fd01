"""Numeric ids in URLs. Anything that is not a row id the database can hold (letters, zero,
negatives, numbers past 32 bits, which PostgreSQL's INTEGER columns that refer to these rows
cannot hold and SQLite refuses past 64 bits) is simply not found."""

from __future__ import annotations

from aiohttp import web

from seaLink.api.inputs import MAX_INT
from seaLink.api.security import refusal

MAX_ID = MAX_INT


def path_id(request: web.Request, name: str, what: str) -> int:
    raw = request.match_info[name]
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 20 else 0
    if not 1 <= value <= MAX_ID:
        raise refusal(404, "not_found", f"no such {what}")
    return value
