"""Phrases: a catalogue key and its values, stored as they are and put into words only where a
person reads them, in that person's language (the console does the same from the same catalogue,
in `shore_console/js/core/phrases.js`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from seaLink.texts.catalogue import DEFAULT_LANG, LANGS, PHRASES, WORDS

BEIJING = timezone(timedelta(hours=8), "CST")
_SLOT = re.compile(r"\{(\w+)(?::(\w+))?\}")


@dataclass(frozen=True, slots=True)
class Phrase:
    key: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"key": self.key, "args": self.args}, ensure_ascii=False, default=_jsonable
        )

    @staticmethod
    def from_json(text: str | None) -> Phrase | None:
        if not text:
            return None
        doc = json.loads(text)
        return Phrase(str(doc["key"]), dict(doc.get("args") or {}))

    def as_dict(self) -> dict[str, Any]:
        """For a JSON answer: `{"key", "args"}` with times as ISO strings."""
        return {"key": self.key, "args": json.loads(json.dumps(self.args, default=_jsonable))}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Phrase):
        return {"key": value.key, "args": value.args}
    raise TypeError(f"not JSON: {type(value).__name__}")


def exercised(phrase: Phrase, exercise: bool) -> Phrase:
    """The phrase marked 【演练】 / [EXERCISE] when it belongs to a drill."""
    return Phrase("exercise", {"inner": phrase.as_dict()}) if exercise else phrase


def lang_of(value: str | None) -> str:
    """The catalogue language for an `Accept-Language`-like value (English, else Chinese)."""
    if value and value.strip().lower().startswith("en"):
        return "en"
    return DEFAULT_LANG


def _index(lang: str) -> int:
    return LANGS.index(lang) if lang in LANGS else 0


def word(table: str, code: Any, lang: str = DEFAULT_LANG) -> str:
    entry = WORDS.get(table, {}).get(str(code))
    return entry[_index(lang)] if entry else str(code)


def render(phrase: Phrase | dict[str, Any] | str | None, lang: str = DEFAULT_LANG,
           now: datetime | None = None) -> str:  # fmt: skip
    """The phrase in words (a plain string is returned as it is)."""
    if phrase is None:
        return ""
    if isinstance(phrase, str):
        return phrase
    if isinstance(phrase, dict):
        phrase = Phrase(str(phrase.get("key", "")), dict(phrase.get("args") or {}))
    template = PHRASES.get(phrase.key)
    if template is None:
        return phrase.key
    text = template[_index(lang)]
    return _SLOT.sub(lambda m: _slot(m[1], m[2], phrase.args, lang, now), text)


def _slot(name: str, kind: str | None, args: dict[str, Any], lang: str,
          now: datetime | None) -> str:  # fmt: skip
    value = args.get(name)
    if kind is None:
        return "" if value is None else str(value)
    if kind == "time":
        return beijing_time(value) if value else render(Phrase("time.never"), lang)
    if kind == "clock":  # a time of day, Beijing time: what a skipper reads at sea
        return _dt(value).astimezone(BEIJING).strftime("%H:%M") if value else ""
    if kind == "age":
        return age(value, lang, now) if value else ""
    if kind == "pos":
        if not value or value[0] is None:
            return render(Phrase("pos.unknown"), lang)
        return position(float(value[0]), float(value[1]))
    if kind == "persons":
        if value is None:
            return render(Phrase("persons.unknown"), lang)
        return render(Phrase("persons", {"n": value}), lang)
    if kind == "count":
        return render(Phrase("count.unknown"), lang) if value is None else str(value)
    if kind == "nm":
        return f"{float(value):.1f}" if value is not None else "?"
    if kind == "suffix":
        return render(Phrase("suffix", {"value": value}), lang) if value else ""
    if kind == "eta":
        return render(Phrase("eta", {"n": value}), lang) if value is not None else ""
    if kind == "phrase":
        return render(value, lang, now)
    if kind in WORDS:
        return word(kind, value, lang) if value is not None else ""
    return "" if value is None else str(value)


def _dt(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def beijing_time(value: datetime | str) -> str:
    """`2026-12-06 23:04` in Beijing time."""
    return _dt(value).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def age(value: datetime | str, lang: str = DEFAULT_LANG, now: datetime | None = None) -> str:
    s = int(((now or datetime.now(UTC)) - _dt(value)).total_seconds())
    if s < 0:
        return render(Phrase("age.future"), lang)
    if s < 60:
        return render(Phrase("age.seconds", {"n": s}), lang)
    if s < 3600:
        return render(Phrase("age.minutes", {"n": s // 60}), lang)
    if s < 2 * 86400:
        return render(Phrase("age.hours", {"n": s // 3600}), lang)
    return render(Phrase("age.days", {"n": s // 86400}), lang)


def position(lat: float, lon: float) -> str:
    """`23°06.07′N 117°33.19′E`: degrees and minutes, as seafarers read them."""

    def part(value: float, pos: str, neg: str, width: int) -> str:
        hemi = pos if value >= 0 else neg
        value = abs(value)
        deg = int(value)
        minutes = (value - deg) * 60
        if round(minutes, 2) >= 60:
            deg, minutes = deg + 1, 0.0
        return f"{deg:0{width}d}°{minutes:05.2f}′{hemi}"

    return f"{part(lat, 'N', 'S', 2)} {part(lon, 'E', 'W', 3)}"


def in_every_language(phrase: Phrase | dict[str, Any] | str | None,
                      now: datetime | None = None) -> dict[str, str]:  # fmt: skip
    """`{"zh-CN": ..., "en": ...}`: for live events, which each console shows in its language."""
    return {lang: render(phrase, lang, now) for lang in LANGS}


def catalogue() -> dict[str, Any]:
    """The whole catalogue as the console takes it: per language, phrases and word tables."""
    return {
        lang: {
            "phrases": {k: v[i] for k, v in PHRASES.items()},
            "words": {t: {c: w[i] for c, w in table.items()} for t, table in WORDS.items()},
        }
        for i, lang in enumerate(LANGS)
    }
