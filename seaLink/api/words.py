"""The API answers in the reader's words: phrases stored with alerts and incident logs are put
into the language the request asks for (`?lang=en`, else `Accept-Language`, else Chinese), with
Beijing times and their age at the moment of the answer."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from seaLink.texts import Phrase, lang_of, render


def reader_lang(request: web.Request) -> str:
    return lang_of(request.query.get("lang") or request.headers.get("Accept-Language"))


def _data(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _phrase(stored: Any) -> Phrase | None:
    try:
        return Phrase.from_json(stored) if isinstance(stored, str) else None
    except (ValueError, KeyError, TypeError):
        return None


def alert_in_words(alert: dict[str, Any], lang: str, now: datetime) -> dict[str, Any]:
    """An alert row (as the store reads it) with `data` as an object, and `detail` in words."""
    phrase = _phrase(alert.get("detail_phrase"))
    out = alert | {"data": _data(alert.get("data")), "detail_phrase": None}
    if phrase is not None:
        out["detail"] = render(phrase, lang, now)
        out["detail_phrase"] = phrase.as_dict()
    return out


def log_in_words(entry: dict[str, Any], lang: str, now: datetime) -> dict[str, Any]:
    """An incident log entry with its `text` in words."""
    phrase = _phrase(entry.get("phrase"))
    out = entry | {"phrase": None}
    if phrase is not None:
        out["text"] = render(phrase, lang, now)
        out["phrase"] = phrase.as_dict()
    return out
