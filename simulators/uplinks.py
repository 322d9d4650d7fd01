"""Uplink payloads of protocol v1 as a terminal sends them, plus deliberately broken ones.

Built as plain dicts and encoded with `seaLink.wire.encode_json` (compact, Chinese unescaped);
the tests check every good one against `seaLink.wire.decode_uplink`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from seaLink.wire import encode_json
from simulators.inbox import PlannedAck
from simulators.movement import MoveFix


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_utc() -> datetime:
    return datetime.now(UTC)


def fix_dict(fix: MoveFix, ts: datetime, *, backfill: bool = False) -> dict[str, Any]:
    cog = round(fix.cog, 1)
    d: dict[str, Any] = {
        "ts": iso(ts),
        "lat": round(fix.lat, 6),
        "lon": round(fix.lon, 6),
        "sog": round(fix.sog, 1),
        "cog": 0.0 if cog >= 360.0 else cog,  # 359.96 rounds to 360.0, which is out of range
        "state": fix.state,
    }
    if backfill:
        d["backfill"] = True
    return d


def position(fix: MoveFix, ts: datetime) -> bytes:
    return encode_json(fix_dict(fix, ts))


def backfill(fixes: list[dict[str, Any]]) -> bytes:
    """Fixes kept while out of coverage, oldest first, in one array."""
    return encode_json([{**f, "backfill": True} for f in fixes])


def hello(terminal: str, ts: datetime) -> bytes:
    return encode_json({"ts": iso(ts), "terminal": terminal[:64]})


def ack(msg_id: str, planned: PlannedAck, ts: datetime) -> bytes:
    d: dict[str, Any] = {"msg_id": msg_id, "state": planned.state.value, "ts": iso(ts)}
    if planned.crew:
        d["crew"] = list(planned.crew)
    if planned.eta_min is not None:
        d["eta_min"] = planned.eta_min
    if planned.answers is not None:
        d["answers"] = list(planned.answers)
    return encode_json(d)


def distress(
    distress_id: str,
    fix: MoveFix,
    ts: datetime,
    nature: str,
    persons: int | None,
    text: str | None,
) -> bytes:
    d: dict[str, Any] = {
        "distress_id": distress_id,
        "ts": iso(ts),
        "lat": round(fix.lat, 6),
        "lon": round(fix.lon, 6),
        "nature": nature,
    }
    if persons is not None:
        d["persons"] = persons
    if text:
        d["text"] = text
    return encode_json(d)


def cancel_distress(distress_id: str, fix: MoveFix, ts: datetime, reason: str) -> bytes:
    return encode_json(
        {
            "distress_id": distress_id,
            "ts": iso(ts),
            "lat": round(fix.lat, 6),
            "lon": round(fix.lon, 6),
            "cancel": True,
            "reason": reason,
        }
    )


def request(request_id: str, ts: datetime, category: str, text: str) -> bytes:
    return encode_json(
        {"request_id": request_id, "ts": iso(ts), "category": category, "text": text}
    )


def port_report(
    report_id: str, ts: datetime, kind: str, port: str, persons: int, fix: MoveFix
) -> bytes:
    """The skipper's 进出港报告: entered (`in`) or left (`out`) this harbour, persons aboard."""
    return encode_json(
        {
            "report_id": report_id,
            "ts": iso(ts),
            "kind": kind,
            "port": port,
            "persons": persons,
            "lat": round(fix.lat, 6),
            "lon": round(fix.lon, 6),
        }
    )


# -- faults: each must be rejected by the hub with its own reason ---------------------------


def malformed_json(fix: MoveFix, ts: datetime) -> bytes:
    whole = position(fix, ts)
    return whole[: len(whole) // 2]  # cut mid-object, as a flaky modem might


def wrong_types(fix: MoveFix, ts: datetime) -> bytes:
    return encode_json({"ts": iso(ts), "lat": f"{fix.lat:.4f}N", "lon": fix.lon, "sog": "fast"})


def oversized(fix: MoveFix, ts: datetime, size: int) -> bytes:
    # Valid JSON with an unknown (ignored) field: only the size is wrong.
    return encode_json({**fix_dict(fix, ts), "padding": "x" * size})


def future_ts(fix: MoveFix, ts: datetime) -> bytes:
    return position(fix, ts + timedelta(days=1))
