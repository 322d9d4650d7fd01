"""Typed replies: what a crew keys in on a plain Beidou terminal, read as protocol uplinks.

Terminals that cannot build the compact `~A` form still show the down message's reference (the
first field after the kind letter: `n1`, `:1a`). A reply is that reference, a word and its
arguments, separated by spaces or commas; Chinese words and single ASCII letters (any case) mean
the same. The grammar (docs/protocol.md, section 7.9):

| reply | meaning |
|---|---|
| `<ref> 收` / `A` [text] | acknowledged |
| `<ref> 阅` / `R` | read |
| `<ref> 回` / `H` [persons aboard] [text] | acknowledged; recall answer: returning |
| `<ref> 避` / `S` [port] [persons ashore] | acknowledged; recall answer: sheltering |
| `<ref> 港` / `P` [persons ashore] | acknowledged; recall answer: in port |
| `<ref> 接` / `Y` [eta minutes] [text] | rescue task accepted |
| `<ref> 拒` / `N` [reason] | rescue task declined |
| `求` / `Q` <category> <text> | a request (category in Chinese or its key: 医疗 / medical) |
| `SOS` / `求救` [persons] [text] | distress, position unknown (the hub takes the last known one) |

A text SOS from one card is one distress per UTC day (`bd<card>-<yymmdd>`), so the terminal's
repeats until the acknowledgement do not open new cases. Anything else is not a reply (None).

A message in the urgent class (特快, 2.1 `$BDTXR` information type 2) is what a terminal's alarm
key sends: `alarm_distress` reads it as a distress under the same id, whatever its content.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import ValidationError

from gateway.beidou.compact import pack_text
from seaLink.wire.payloads import (
    AckPayload,
    AckState,
    DistressPayload,
    Fix,
    RecallReply,
    RecallStatus,
    RequestPayload,
)

Reply = AckPayload | RequestPayload | DistressPayload
ALARM_TEXT = "报警 (terminal alarm)"

_WORDS: dict[str, str] = {
    "收": "ack", "确认": "ack", "收到": "ack", "a": "ack",
    "阅": "read", "已读": "read", "已阅": "read", "r": "read",
    "回": "returning", "回港": "returning", "返航": "returning", "h": "returning",
    "避": "sheltering", "避风": "sheltering", "s": "sheltering",
    "港": "in_port", "在港": "in_port", "p": "in_port",
    "接": "accept", "接受": "accept", "y": "accept",
    "拒": "decline", "拒绝": "decline", "n": "decline",
}  # fmt: skip
_CATEGORIES = {
    "设备": "equipment", "政策": "policy", "医疗": "medical", "法律": "legal", "补给": "supplies",
    "天气": "weather", "其他": "other",
}  # fmt: skip
_REF = re.compile(r"^(:[0-9a-z]{1,8}|[A-Za-z0-9_.-]{1,8})$")
_SPLIT = re.compile(r"[\s,，]+")


def parse_reply(text: str, card: str, now: datetime) -> Reply | None:
    """The uplink a typed reply stands for, or None when the text is not one."""
    tokens = [t for t in _SPLIT.split(pack_text(text)) if t]
    if not tokens:
        return None
    head = tokens[0].lower()
    try:
        if head in ("sos", "求救"):
            return _distress(tokens[1:], card, now)
        if head in ("求", "q") and len(tokens) >= 3:
            category = _CATEGORIES.get(tokens[1], tokens[1].lower())
            return RequestPayload(
                request_id=f"bd{card}-{now:%y%m%d%H%M%S}",
                ts=now,
                category=category,
                text=" ".join(tokens[2:]),
            )
        if len(tokens) >= 2 and _REF.match(tokens[0]):
            word = _WORDS.get(tokens[1].lower())
            if word is not None:
                return _ack(tokens[0], word, tokens[2:], now)
    except (ValidationError, ValueError):
        return None
    return None


def _number(tokens: list[str]) -> tuple[int | None, list[str]]:
    if tokens and tokens[0].isdigit():
        return int(tokens[0]), tokens[1:]
    return None, tokens


def _ack(ref: str, word: str, rest: list[str], now: datetime) -> AckPayload:
    text = " ".join(rest) or None
    if word == "read":
        return AckPayload(msg_id=ref, state=AckState.READ, ts=now)
    if word == "ack":
        return AckPayload(msg_id=ref, state=AckState.ACKNOWLEDGED, ts=now, text=text)
    if word == "accept":
        eta, rest = _number(rest)
        return AckPayload(
            msg_id=ref, state=AckState.ACCEPTED, ts=now, eta_min=eta, text=" ".join(rest) or None
        )
    if word == "decline":
        return AckPayload(msg_id=ref, state=AckState.DECLINED, ts=now, text=text)
    if word == "returning":
        aboard, rest = _number(rest)
        recall = RecallReply(status=RecallStatus.RETURNING, persons_aboard=aboard)
        return AckPayload(
            msg_id=ref, state=AckState.ACKNOWLEDGED, ts=now, recall=recall,
            text=" ".join(rest) or None,
        )  # fmt: skip
    if word == "sheltering":
        port = rest[0] if rest and not rest[0].isdigit() else None
        ashore, _ = _number(rest[1:] if port else rest)
        recall = RecallReply(status=RecallStatus.SHELTERING, port=port, persons_ashore=ashore)
        return AckPayload(msg_id=ref, state=AckState.ACKNOWLEDGED, ts=now, recall=recall)
    ashore, _ = _number(rest)
    recall = RecallReply(status=RecallStatus.IN_PORT, persons_ashore=ashore)
    return AckPayload(msg_id=ref, state=AckState.ACKNOWLEDGED, ts=now, recall=recall)


def alarm_distress(card: str, now: datetime, text: str | None, fixes: list[Fix]) -> DistressPayload:
    """The distress a terminal's alarm stands for: at its newest fix when it sent one, else at
    0,0 for the hub to put the boat's last known position; the content (if text) as the note."""
    fix = max(fixes, key=lambda f: f.ts) if fixes else None
    return DistressPayload(
        distress_id=f"bd{card}-{now:%y%m%d}",
        ts=now,
        lat=fix.lat if fix else 0.0,
        lon=fix.lon if fix else 0.0,
        text=(text or "").strip()[:1000] or ALARM_TEXT,
    )


def _distress(rest: list[str], card: str, now: datetime) -> DistressPayload:
    persons, rest = _number(rest)
    return DistressPayload(
        distress_id=f"bd{card}-{now:%y%m%d}",
        ts=now,
        lat=0.0,
        lon=0.0,  # none given: the hub puts the boat's last known position
        persons=persons,
        text=" ".join(rest) or "SOS",
    )
