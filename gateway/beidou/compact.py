"""The compact text form of the vessel protocol, for Beidou short messages.

A message is `~` + one kind letter + fields separated by `|`; the last field is free text and may
contain `|`. Text is packed before sending (NFKC: full-width ASCII becomes one byte; whitespace runs
collapse) and sent as GB18030 (two bytes per Chinese character). The full specification, with
examples, is in `gateway/BEIDOU_TEXT_FORM.md`.

Up (boat -> shore): P position(s), A ack, D distress, X distress cancelled, R request.
Down (shore -> boat): N notice, W warning, T rescue task, Y reply, K distress acknowledged.

Decoding never raises: malformed text gives a `CompactError` with a reason.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from seaLink.wire.payloads import (
    AckPayload,
    AckState,
    DistressNature,
    DistressPayload,
    DownKind,
    DownMessage,
    Fix,
    NavState,
    RequestPayload,
)

MARK = "~"
SEP = "|"
_SEP_ESCAPE = "\uff5c"  # full-width vertical bar stands for "|" inside a non-final field
FIX_SEP = ";"

UP_KINDS = {"P": "position", "A": "ack", "D": "distress", "X": "distress", "R": "request"}
DOWN_LETTERS: dict[DownKind, str] = {
    DownKind.NOTICE: "N",
    DownKind.WARNING: "W",
    DownKind.RESCUE_TASK: "T",
    DownKind.REPLY: "Y",
    DownKind.DISTRESS_ACK: "K",
}
DOWN_KINDS = {letter: kind for kind, letter in DOWN_LETTERS.items()}

STATE_LETTERS: dict[NavState, str] = {
    NavState.FISHING: "f",
    NavState.STEAMING: "s",
    NavState.DRIFTING: "d",
    NavState.IN_PORT: "p",
}
ACK_LETTERS: dict[AckState, str] = {
    AckState.DELIVERED: "d",
    AckState.READ: "r",
    AckState.ACKNOWLEDGED: "a",
    AckState.ACCEPTED: "y",
    AckState.DECLINED: "n",
}
NATURE_LETTERS: dict[DistressNature, str] = {
    DistressNature.FIRE: "F",
    DistressNature.FLOODING: "W",
    DistressNature.COLLISION: "C",
    DistressNature.GROUNDING: "G",
    DistressNature.LISTING: "L",
    DistressNature.SINKING: "S",
    DistressNature.ADRIFT: "A",
    DistressNature.MAN_OVERBOARD: "M",
    DistressNature.PIRACY: "P",
    DistressNature.ABANDONING: "B",
    DistressNature.MEDICAL: "H",
    DistressNature.UNDESIGNATED: "U",
}
REPLY_LETTERS = {"none": "n", "read": "r", "confirm": "c"}
_STATES = {v: k for k, v in STATE_LETTERS.items()}
_ACKS = {v: k for k, v in ACK_LETTERS.items()}
_NATURES = {v: k for k, v in NATURE_LETTERS.items()}
_REPLIES = {v: k for k, v in REPLY_LETTERS.items()}

UpMessage = list[Fix] | AckPayload | DistressPayload | RequestPayload


@dataclass(frozen=True, slots=True)
class CompactError:
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class DownDecoded:
    """A down message as a boat's terminal reads it (`msg_id` is the reference it must echo)."""

    msg_id: str
    kind: DownKind
    priority: int
    title: str
    body: str
    expires: datetime | None
    ack: str
    extra: dict[str, Any]


# -- shared field helpers -----------------------------------------------------------------------


def pack_text(text: str) -> str:
    """Fewer bytes for the same words: NFKC (full-width ASCII -> ASCII), whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _field(text: str) -> str:
    return pack_text(text).replace(SEP, _SEP_ESCAPE)


def _unfield(text: str) -> str:
    return text.replace(_SEP_ESCAPE, SEP)


def _ts(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%y%m%d%H%M%S")


def _parse_ts(text: str) -> datetime:
    if len(text) != 12 or not text.isdigit():
        raise ValueError(f"time {text!r} is not YYMMDDhhmmss")
    return datetime.strptime(text, "%y%m%d%H%M%S").replace(tzinfo=UTC)


def _minute(when: datetime | None) -> str:
    return "" if when is None else when.astimezone(UTC).strftime("%y%m%d%H%M")


def _parse_minute(text: str) -> datetime | None:
    if not text:
        return None
    if len(text) != 10 or not text.isdigit():
        raise ValueError(f"time {text!r} is not YYMMDDhhmm")
    return datetime.strptime(text, "%y%m%d%H%M").replace(tzinfo=UTC)


def _num(value: float | None, places: int) -> str:
    if value is None:
        return ""
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _opt_float(text: str) -> float | None:
    return float(text) if text else None


def _opt_int(text: str) -> int | None:
    return int(text) if text else None


def _join(kind: str, fields: list[str]) -> str:
    while len(fields) > 1 and fields[-1] == "":
        fields.pop()
    return MARK + kind + SEP.join(fields)


def _split(text: str, fixed: int) -> list[str]:
    """`fixed` fields, the last one taking the rest (may contain "|"); missing ones empty."""
    parts = text.split(SEP, fixed - 1)
    return parts + [""] * (fixed - len(parts))


def is_compact(text: str) -> bool:
    return len(text) >= 2 and text[0] == MARK and text[1].isalpha()


# -- up: boat -> shore ---------------------------------------------------------------------------


def encode_up(message: UpMessage) -> str:
    """Boat side: a protocol uplink in compact form."""
    if isinstance(message, list):
        return MARK + "P" + FIX_SEP.join(_encode_fix(f) for f in message)
    if isinstance(message, AckPayload):
        crew = ",".join(c.replace(",", " ") for c in message.crew or [])
        return _join(
            "A",
            [
                message.msg_id,
                ACK_LETTERS[message.state],
                _ts(message.ts),
                "" if message.eta_min is None else str(message.eta_min),
                _field(crew),
                pack_text(message.text or ""),
            ],
        )
    if isinstance(message, DistressPayload):
        if message.cancel:
            return _join(
                "X", [message.distress_id, _ts(message.ts), pack_text(message.reason or "")]
            )
        return _join(
            "D",
            [
                message.distress_id,
                _ts(message.ts),
                _num(message.lat, 5),
                _num(message.lon, 5),
                NATURE_LETTERS[message.nature],
                "" if message.persons is None else str(message.persons),
                pack_text(message.text or ""),
            ],
        )
    return _join(
        "R",
        [message.request_id, _ts(message.ts), message.category, pack_text(message.text)],
    )


def _encode_fix(fix: Fix) -> str:
    fields = [
        _ts(fix.ts),
        _num(fix.lat, 5),
        _num(fix.lon, 5),
        _num(fix.sog, 1),
        _num(fix.cog, 0),
        STATE_LETTERS[fix.state] if fix.state else "",
        "b" if fix.backfill else "",
    ]
    while fields[-1] == "":
        fields.pop()
    return SEP.join(fields)


def decode_up(text: str) -> UpMessage | CompactError:
    """Shore side: compact uplink text -> protocol payload, or the reason it is not one."""
    if not is_compact(text):
        return CompactError("not_compact", "does not start with ~ and a kind letter")
    kind, body = text[1], text[2:]
    try:
        if kind == "P":
            return [_decode_fix(item) for item in body.split(FIX_SEP)]
        if kind == "A":
            msg_id, state, ts, eta, crew, free = _split(body, 6)
            crew_list = [c for c in _unfield(crew).split(",") if c] or None
            return AckPayload.model_validate_json(
                _json(
                    msg_id=msg_id,
                    state=_ACKS[state].value,
                    ts=_parse_ts(ts).isoformat(),
                    eta_min=_opt_int(eta),
                    crew=crew_list,
                    text=free or None,
                )
            )
        if kind == "D":
            did, ts, lat, lon, nature, persons, free = _split(body, 7)
            return DistressPayload.model_validate_json(
                _json(
                    distress_id=did,
                    ts=_parse_ts(ts).isoformat(),
                    lat=float(lat),
                    lon=float(lon),
                    nature=_NATURES[nature or "U"].value,
                    persons=_opt_int(persons),
                    text=free or None,
                )
            )
        if kind == "X":  # the protocol wants a position with a cancellation: 0, 0 stands for none
            did, ts, reason = _split(body, 3)
            return DistressPayload.model_validate_json(
                _json(
                    distress_id=did,
                    ts=_parse_ts(ts).isoformat(),
                    lat=0.0,
                    lon=0.0,
                    cancel=True,
                    reason=reason or "cancelled",
                )
            )
        if kind == "R":
            rid, ts, category, free = _split(body, 4)
            return RequestPayload.model_validate_json(
                _json(request_id=rid, ts=_parse_ts(ts).isoformat(), category=category, text=free)
            )
    except (ValueError, KeyError, ValidationError) as exc:
        return CompactError("bad_compact", f"{kind}: {_short(exc)}")
    return CompactError("unknown_kind", f"kind {kind!r} is not an uplink")


def _decode_fix(item: str) -> Fix:
    fields = item.split(SEP)
    fields += [""] * (7 - len(fields))
    ts, lat, lon, sog, cog, state, backfill = fields[:7]
    return Fix.model_validate_json(
        _json(
            ts=_parse_ts(ts).isoformat(),
            lat=float(lat),
            lon=float(lon),
            sog=_opt_float(sog),
            cog=_opt_float(cog),
            state=_STATES[state].value if state else None,
            backfill=backfill == "b",
        )
    )


# -- down: shore -> boat -----------------------------------------------------------------------


def encode_down(message: DownMessage, ref: str) -> str | CompactError:
    """Shore side: a down message in compact form; `ref` is the id the boat will echo."""
    letter = DOWN_LETTERS.get(message.kind)
    if letter is None:
        return CompactError("unsupported_kind", f"{message.kind.value} is not sent over Beidou")
    extra = message.model_extra or {}
    head = [ref, str(message.priority), _minute(message.expires), REPLY_LETTERS[message.ack]]
    title, body = _field(message.title), pack_text(message.body)
    if message.kind is DownKind.DISTRESS_ACK:
        return _join(letter, [ref, str(extra.get("distress_id", "")), body or title])
    if message.kind is DownKind.RESCUE_TASK:
        where = [
            str(extra.get("distress_id", "")),
            _coord(extra.get("lat")),
            _coord(extra.get("lon")),
        ]
        return _join(letter, [*head, *where, title, body])
    if message.kind is DownKind.REPLY:
        return _join(letter, [*head, str(extra.get("request_id", "")), title, body])
    return _join(letter, [*head, title, body])


SIGNAL_NAMES = {"white": "白", "blue": "蓝", "yellow": "黄", "orange": "橙", "red": "红"}
_BEIJING = timezone(timedelta(hours=8))
_SENTENCE_END = "。！!；;？?\n"
SHORT_LINE = 24  # characters of the body kept in the compact template


def encode_down_short(message: DownMessage, ref: str, max_bytes: int | None = None) -> str | None:
    """A warning or recall order as a compact template: signal, return deadline (Beijing time),
    shelter, and the first short line of the body, cut to fit `max_bytes` (GB18030) when given;
    the same `W` form, so every terminal reads it. None for other kinds: they go as they are. The
    gateway uses it when the full text would take several messages of the card's length."""
    if message.kind is not DownKind.WARNING:
        return None
    extra = message.model_extra or {}
    signal = SIGNAL_NAMES.get(str(extra.get("signal", "")))
    title = f"台风{signal}色预警" if signal else pack_text(message.title)[:12]
    if extra.get("reminder"):
        title = "再次提醒:" + title
    parts: list[str] = []
    recall = extra.get("recall")
    deadline = recall.get("deadline") if isinstance(recall, dict) else None
    if isinstance(deadline, str):
        try:
            when = datetime.fromisoformat(deadline.replace("Z", "+00:00")).astimezone(_BEIJING)
            parts.append(f"{when.day}日{when:%H:%M}前回港")
        except ValueError:
            pass
    if extra.get("shelter"):
        parts.append("避风:" + pack_text(str(extra["shelter"]))[:16])
    body = pack_text(message.body)
    cut = min((i for i, ch in enumerate(body) if ch in _SENTENCE_END), default=len(body))
    line = body[: min(cut, SHORT_LINE)]
    head = [ref, str(message.priority), _minute(message.expires), REPLY_LETTERS[message.ack]]
    while True:
        text = _join("W", [*head, _field(title), ";".join([*parts, line] if line else parts)])
        if max_bytes is None or not line or len(text.encode("gb18030")) <= max_bytes:
            return text
        line = line[:-1]


def _coord(value: Any) -> str:
    try:
        return _num(float(value), 5)
    except (TypeError, ValueError):
        return ""


def decode_down(text: str) -> DownDecoded | CompactError:
    """Boat side: compact down text -> the message's fields."""
    if not is_compact(text):
        return CompactError("not_compact", "does not start with ~ and a kind letter")
    letter, body = text[1], text[2:]
    kind = DOWN_KINDS.get(letter)
    if kind is None:
        return CompactError("unknown_kind", f"kind {letter!r} is not a down message")
    try:
        if kind is DownKind.DISTRESS_ACK:
            ref, distress_id, free = _split(body, 3)
            return DownDecoded(ref, kind, 0, "", free, None, "none", {"distress_id": distress_id})
        if kind is DownKind.RESCUE_TASK:
            ref, prio, expires, ack, did, lat, lon, title, free = _split(body, 9)
            extra: dict[str, Any] = {"distress_id": did}
            if lat and lon:
                extra["lat"], extra["lon"] = float(lat), float(lon)
        elif kind is DownKind.REPLY:
            ref, prio, expires, ack, request_id, title, free = _split(body, 7)
            extra = {"request_id": request_id}
        else:
            ref, prio, expires, ack, title, free = _split(body, 6)
            extra = {}
        return DownDecoded(
            ref,
            kind,
            int(prio or 5),
            _unfield(title),
            free,
            _parse_minute(expires),
            _REPLIES[ack or "n"],
            extra,
        )
    except (ValueError, KeyError) as exc:
        return CompactError("bad_compact", f"{letter}: {_short(exc)}")


# -- helpers ------------------------------------------------------------------------------------


def _json(**fields: Any) -> str:
    return json.dumps({k: v for k, v in fields.items() if v is not None}, ensure_ascii=False)


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160]
