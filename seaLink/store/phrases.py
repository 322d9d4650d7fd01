"""A phrase stored beside its Chinese wording: the console and the API put the phrase into the
reader's words; the wording stays for whoever reads the table directly."""

from __future__ import annotations

from typing import Any

from seaLink.texts import DEFAULT_LANG, Phrase, render

# Boats' terminals show what the hub sends as it is: in Chinese, the fleet's language.
BOAT_LANG = DEFAULT_LANG


def detail_columns(phrase: Phrase) -> dict[str, Any]:
    """`detail` and `detail_phrase` of an alert."""
    return {"detail": render(phrase, DEFAULT_LANG), "detail_phrase": phrase.to_json()}


def log_columns(phrase: Phrase) -> dict[str, Any]:
    """`text` and `phrase` of an incident log entry."""
    return {"text": render(phrase, DEFAULT_LANG), "phrase": phrase.to_json()}
