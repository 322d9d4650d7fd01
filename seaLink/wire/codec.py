"""Decoding of uplink payloads into validated models, or a `Rejection` with a specific reason."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from seaLink.wire.payloads import (
    BAD_TEXT,
    AckPayload,
    DistressPayload,
    Fix,
    HelloPayload,
    PortReportPayload,
    RequestPayload,
)
from seaLink.wire.topics import UplinkKind


class RejectReason(StrEnum):
    """Why an uplink was refused. Each is counted (`sealink_uplink_rejected_total{reason}`)."""

    UNKNOWN_TOPIC = "unknown_topic"
    BAD_VESSEL_ID = "bad_vessel_id"
    UNKNOWN_VESSEL = "unknown_vessel"
    VESSEL_MISMATCH = "vessel_mismatch"
    OVERSIZED = "oversized"
    MALFORMED_JSON = "malformed_json"
    INVALID_PAYLOAD = "invalid_payload"
    TOO_MANY_FIXES = "too_many_fixes"
    TS_IN_FUTURE = "ts_in_future"
    TS_TOO_OLD = "ts_too_old"  # stamped further back than the hub keeps history for
    BAD_STATUS = "bad_status"
    BAD_NMEA = "bad_nmea"
    UNKNOWN_MESSAGE = "unknown_message"
    BAD_TEXT = "bad_text"  # a control character (NUL...) or an unpaired surrogate in text
    WRONG_GATEWAY = "wrong_gateway"  # a gateway spoke for a link it does not serve
    UNKNOWN_PORT = "unknown_port"  # a port report naming no harbour the hub knows
    # Refused by the hub itself, after the message passed every check above: kept, so that an
    # operator can replay it once the fault is fixed, and never retried in a loop.
    INTERNAL_ERROR = "internal_error"  # a step of the hub raised on this message
    STORE_REFUSED = "store_refused"  # the database refused this message's rows


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: RejectReason
    detail: str


Decoded = (
    list[Fix]
    | HelloPayload
    | AckPayload
    | DistressPayload
    | RequestPayload
    | PortReportPayload
    | str
    | list[str]
)

_FIXES = TypeAdapter(list[Fix])
_MODELS: dict[UplinkKind, type[BaseModel]] = {
    UplinkKind.HELLO: HelloPayload,
    UplinkKind.ACK: AckPayload,
    UplinkKind.DISTRESS: DistressPayload,
    UplinkKind.REQUEST: RequestPayload,
    UplinkKind.PORT: PortReportPayload,
}
_MAX_NMEA_LINE = 82  # NMEA 0183 limit, including $ and checksum


def describe_errors(exc: ValidationError, limit: int = 3) -> str:
    """`lat: Input should be less than or equal to 90; ts: Field required` (at most `limit`)."""
    parts = []
    for err in exc.errors(include_url=False)[:limit]:
        loc = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{loc}: {err['msg']}")
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def _is_json_error(exc: ValidationError) -> bool:
    return any(e["type"] == "json_invalid" for e in exc.errors())


def refusal_of(exc: ValidationError) -> Rejection:
    """The refusal a validation error stands for: malformed JSON, bad text, or invalid."""
    if _is_json_error(exc):
        return Rejection(RejectReason.MALFORMED_JSON, f"not valid JSON: {describe_errors(exc, 1)}")
    bad_text = [e for e in exc.errors() if e["type"] == BAD_TEXT]
    if bad_text:
        first = bad_text[0]
        loc = ".".join(str(p) for p in first["loc"]) or "payload"
        return Rejection(RejectReason.BAD_TEXT, f"{loc}: {first['msg']}")
    return Rejection(RejectReason.INVALID_PAYLOAD, describe_errors(exc))


def decode_uplink(
    kind: UplinkKind, payload: bytes, *, max_bytes: int, max_fixes: int
) -> Decoded | Rejection:
    """Decode one uplink. Never raises on bad input: returns a `Rejection` instead."""
    if len(payload) > max_bytes:
        return _oversized(kind, payload, max_bytes, max_fixes)
    if kind is UplinkKind.STATUS:
        return _decode_status(payload)
    if kind is UplinkKind.NMEA:
        return _decode_nmea(payload)
    try:
        if kind is UplinkKind.POSITION:
            return _decode_fixes(payload, max_fixes)
        return _MODELS[kind].model_validate_json(payload)  # type: ignore[return-value]
    except ValidationError as exc:
        return refusal_of(exc)


def _oversized(kind: UplinkKind, payload: bytes, max_bytes: int, max_fixes: int) -> Rejection:
    """Too large. An array of more fixes than allowed is told so (`too_many_fixes`: the fix the
    terminal needs is to send fewer), counted without parsing it: one `"ts"` key per fix."""
    if kind is UplinkKind.POSITION and payload.lstrip()[:1] == b"[":
        fixes = payload.count(b'"ts"')
        if fixes > max_fixes:
            return Rejection(
                RejectReason.TOO_MANY_FIXES,
                f"{fixes} fixes in one message, the limit is {max_fixes}",
            )
    return Rejection(
        RejectReason.OVERSIZED, f"payload is {len(payload)} bytes, the limit is {max_bytes}"
    )


def _decode_fixes(payload: bytes, max_fixes: int) -> list[Fix] | Rejection:
    if payload.lstrip()[:1] == b"[":
        fixes = _FIXES.validate_json(payload)
        if not fixes:
            return Rejection(RejectReason.INVALID_PAYLOAD, "an empty array of fixes")
        if len(fixes) > max_fixes:
            return Rejection(
                RejectReason.TOO_MANY_FIXES,
                f"{len(fixes)} fixes in one message, the limit is {max_fixes}",
            )
        return fixes
    return [Fix.model_validate_json(payload)]


def _decode_status(payload: bytes) -> str | Rejection:
    """Exactly `online` or `offline` (protocol §2.8): nothing else is taken for either."""
    if payload in (b"online", b"offline"):
        return payload.decode()
    shown = payload[:40].decode("utf-8", "replace")
    return Rejection(
        RejectReason.BAD_STATUS, f"status must be exactly 'online' or 'offline', got {shown!r}"
    )


def _decode_nmea(payload: bytes) -> list[str] | Rejection:
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError:
        return Rejection(RejectReason.BAD_NMEA, "NMEA sentences must be ASCII")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return Rejection(RejectReason.BAD_NMEA, "no NMEA sentence in the payload")
    for ln in lines:
        if ln[0] not in "$!" or len(ln) > _MAX_NMEA_LINE:
            return Rejection(RejectReason.BAD_NMEA, f"not an NMEA 0183 sentence: {ln[:40]!r}")
    return lines


def encode_json(obj: Any) -> bytes:
    """Compact UTF-8 JSON as the protocol sends it (Chinese text unescaped)."""
    if isinstance(obj, BaseModel):
        return obj.model_dump_json(exclude_none=True).encode()
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str).encode()
