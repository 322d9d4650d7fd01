"""From one checked uplink to its share of the batch plan: one small handler per kind.

The pipeline first judges every message once (`Accepted` or `Refused`, with side effects such
as counters done then); the handlers below only add to a `BatchPlan`, so a plan can be built
again from any subset of a batch (the pipeline does that to find a message the database refuses).
A handler that raises costs only its own message: it is dead-lettered as `internal_error`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from seaLink.links.mqtt_link import RawUplink
from seaLink.services.registry import RegistryCache
from seaLink.store.batch import BatchPlan, Heard
from seaLink.store.distress_writes import DistressItem
from seaLink.store.phrases import log_columns
from seaLink.texts import Phrase
from seaLink.wire.codec import Rejection, RejectReason
from seaLink.wire.payloads import (
    AckPayload,
    AckState,
    DistressPayload,
    Fix,
    HelloPayload,
    NavState,
    PortReportPayload,
    RequestPayload,
    clean_text,
)
from seaLink.wire.topics import UplinkKind

MQTT = "mqtt"
AIS = "ais"
BEIDOU = "beidou"
BEIDOU_NOTE = "beidou_note"  # a Beidou text or data message: journalled only


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message (or one event of a gateway's message) that passed every check."""

    raw: RawUplink
    vessel_id: str
    kind: str  # an `UplinkKind` value, or `BEIDOU_NOTE`
    payload: Any
    link: str = MQTT
    # A distress from a transmitter not in the registry (an AIS beacon): who it is shown as.
    grid_id: str | None = None
    name: str | None = None
    position_known: bool = True  # False: an AIS MAYDAY text without a position of its own


@dataclass(frozen=True, slots=True)
class Refused:
    raw: RawUplink
    vessel_id: str | None
    rejection: Rejection


Verdict = Accepted | Refused


@dataclass(frozen=True, slots=True)
class PlanContext:
    now: datetime
    registry: RegistryCache
    request_due: timedelta
    dead_letter_bytes: int


Handler = Callable[[Accepted, PlanContext, BatchPlan], None]


def plan_verdicts(verdicts: list[Verdict], ctx: PlanContext) -> tuple[BatchPlan, list[Refused]]:
    """The plan of these verdicts, and the messages a handler failed on (already dead-lettered).

    A handler that raises may have added part of its message to the plan: the writes are
    idempotent, and the message is kept whole in the dead letters, so nothing is half-lost."""
    plan = BatchPlan()
    failed: list[Refused] = []
    plan_into(plan, failed, verdicts, ctx)
    return finish_plan(plan, ctx), failed


def plan_into(
    plan: BatchPlan, failed: list[Refused], verdicts: Iterable[Verdict], ctx: PlanContext
) -> None:
    """Add these verdicts to the plan (a batch may be planned a slice at a time)."""
    for v in verdicts:
        if isinstance(v, Refused):
            plan.dead_letters.append(dead_letter_row(v, ctx))
            continue
        try:
            HANDLERS[v.kind](v, ctx, plan)
        except Exception as exc:
            detail = f"{type(exc).__name__} in the {v.kind} step: {exc}"[:500]
            bad = Refused(v.raw, v.vessel_id, Rejection(RejectReason.INTERNAL_ERROR, detail))
            plan.dead_letters.append(dead_letter_row(bad, ctx))
            failed.append(bad)


def finish_plan(plan: BatchPlan, ctx: PlanContext) -> BatchPlan:
    plan.distress_now = ctx.now if plan.distress else None
    plan.received_at = ctx.now
    return plan


def dead_letter_row(refused: Refused, ctx: PlanContext) -> dict[str, Any]:
    """The dead-letter row of a refused message. Its payload is kept as text when it is clean
    UTF-8, else as base64 (a NUL byte is valid UTF-8 but no database text can hold it)."""
    raw = refused.raw
    keep = raw.payload[: ctx.dead_letter_bytes]
    try:
        text = keep.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or clean_text(text) != text:
        text = "base64:" + base64.b64encode(keep).decode()
    return {
        "received_at": ctx.now,
        "topic": clean_text(raw.topic[:256]),
        "vessel_id": refused.vessel_id,
        "reason": refused.rejection.reason.value,
        "detail": clean_text(refused.rejection.detail),
        "payload": text,
        "payload_bytes": len(raw.payload),
    }


# -- the handlers, one per kind ------------------------------------------------------------------


def _position(item: Accepted, ctx: PlanContext, plan: BatchPlan) -> None:
    add_fixes(item.vessel_id, item.payload, ctx.now, plan, item.link)


def _hello(item: Accepted, ctx: PlanContext, plan: BatchPlan) -> None:
    hello: HelloPayload = item.payload
    vid = item.vessel_id
    plan.hello[vid] = (hello.terminal, hello.ts)
    plan.hellos.add(vid)
    plan.hear(vid, Heard(min(hello.ts, ctx.now), item.link))
    _journal(item, f"hello:{hello.ts.isoformat()}", hello.ts, ctx, plan)


def _status(item: Accepted, ctx: PlanContext, plan: BatchPlan) -> None:
    status: str = item.payload
    vid = item.vessel_id
    plan.status[vid] = (status, ctx.now)
    plan.online[vid] = status == "online"
    if status == "online":
        plan.hear(vid, Heard(ctx.now, item.link))


def _ack(item: Accepted, ctx: PlanContext, plan: BatchPlan) -> None:
    a: AckPayload = item.payload
    vid, now = item.vessel_id, ctx.now
    plan.hear(vid, Heard(min(a.ts, now), item.link))
    plan.acks.append(
        {"m": a.msg_id, "v": vid, "ts": min(a.ts, now), "state": a.state.value, "ln": item.link}
    )
    _rescue_reply(vid, a, ctx, plan)
    plan.ack_events.append(
        {
            "msg_id": a.msg_id,
            "vessel_id": vid,
            "state": a.state.value,
            "ts": a.ts,
            "received_at": now,
            "link": item.link,
            "crew": _json_list(a.crew),
            "text": a.text or "",
            "answers": _json_list(a.answers),
            "eta_min": a.eta_min,
            "recall": a.recall.model_dump_json(exclude_none=True) if a.recall else None,
        }
    )


def _json_list(items: list[Any] | None) -> str:
    # Most acknowledgements carry neither crew nor answers: json.dumps of an empty list was 5%
    # of the hub's loop in a 10,000-boat broadcast.
    return json.dumps(items, ensure_ascii=False) if items else "[]"


def _distress(item: Accepted, ctx: PlanContext, plan: BatchPlan) -> None:
    d: DistressPayload = item.payload
    vid = item.vessel_id
    info = ctx.registry.get(vid)
    grid = item.grid_id if item.grid_id is not None else info.grid_id if info else ""
    name = item.name if item.name is not None else info.hull_name if info else vid
    key: str | None = None
    if item.link != AIS:  # a beacon's alarm is no sign of life of the boat, nor a report of it
        # A terminal repeats its distress until acknowledged: journalled once per report. A
        # report is its bytes: its time may have been replaced by the time of receipt (a stamp
        # outside the window), which differs between a redelivery, or the copy of the hub's other
        # session, and the first.
        report = "cancel" if d.cancel else hashlib.sha256(item.raw.payload).hexdigest()[:24]
        key = f"{d.distress_id}:{report}"[:96]
        if any(x.vessel_id == vid and x.journal_key == key for x in plan.distress):
            plan.in_batch_duplicates += 1  # both sessions' copies in one batch
            return
        _journal(item, key, d.ts, ctx, plan)
        plan.hear(vid, Heard(min(d.ts, ctx.now), item.link))
    plan.distress.append(DistressItem(vid, grid, name, d, item.link, item.position_known, key))


def _request(item: Accepted, ctx: PlanContext, plan: BatchPlan) -> None:
    r: RequestPayload = item.payload
    vid, now = item.vessel_id, ctx.now
    info = ctx.registry.get(vid)
    plan.requests.append(
        {
            "vessel_id": vid,
            "grid_id": info.grid_id if info else "",
            "request_id": r.request_id,
            "category": r.category,
            "text": r.text,
            "ts": r.ts,
            "received_at": now,
            "state": "open",
            "due_at": now + ctx.request_due,
            "reminded": 0,
            "replies": 0,
        }
    )
    plan.hear(vid, Heard(min(r.ts, now), item.link))


def _port(item: Accepted, ctx: PlanContext, plan: BatchPlan) -> None:
    r: PortReportPayload = item.payload
    vid = item.vessel_id
    info = ctx.registry.get(vid)
    if any(x["vessel_id"] == vid and x["report_id"] == r.report_id for x in plan.port_reports):
        plan.in_batch_duplicates += 1  # both sessions' copies in one batch
        return
    assert r.port is not None  # resolved by the pipeline (`port_reports.resolve`)
    plan.port_reports.append(
        {
            "vessel_id": vid,
            "grid_id": info.grid_id if info else "",
            "port": r.port,
            "kind": r.kind.value,
            "ts": r.ts,
            "lat": r.lat,
            "lon": r.lon,
            "persons": r.persons,
            "source": "terminal",
            "report_id": r.report_id,
        }
    )
    plan.hear(vid, Heard(min(r.ts, ctx.now), item.link))


def _beidou_note(item: Accepted, ctx: PlanContext, plan: BatchPlan) -> None:
    rx_id, ts = item.payload
    _journal(item, rx_id, ts, ctx, plan, kind="beidou")


HANDLERS: dict[str, Handler] = {
    UplinkKind.POSITION: _position,
    UplinkKind.HELLO: _hello,
    UplinkKind.STATUS: _status,
    UplinkKind.ACK: _ack,
    UplinkKind.DISTRESS: _distress,
    UplinkKind.REQUEST: _request,
    UplinkKind.PORT: _port,
    BEIDOU_NOTE: _beidou_note,
}


# -- shared parts ----------------------------------------------------------------------------------


def add_fixes(vid: str, fixes: list[Fix], now: datetime, plan: BatchPlan, link: str) -> None:
    live: Fix | None = None
    for fix in fixes:
        plan.add_fix(vid, fix, link, now)
        if not fix.backfill and (live is None or fix.ts > live.ts):
            live = fix
    if live is not None:
        # Backfilled fixes are history: drawn on the track, never a sign of life now.
        if live.state is NavState.IN_PORT:
            plan.hear(vid, Heard(min(live.ts, now), link, True))
        else:  # in a port's circle? looked up once per vessel and batch (`settle_ports`)
            plan.hear(vid, Heard(min(live.ts, now), link, None, (live.lat, live.lon)))


def _rescue_reply(vid: str, a: AckPayload, ctx: PlanContext, plan: BatchPlan) -> None:
    """A boat's answer to a rescue task goes into the incident's log, in the same commit."""
    if not a.msg_id.startswith("rt") or a.state not in (AckState.ACCEPTED, AckState.DECLINED):
        return
    try:
        incident_id = int(a.msg_id[2:].split("-", 1)[0])
    except ValueError:
        return
    info = ctx.registry.get(vid)
    name = info.hull_name if info and info.hull_name else vid
    answer = Phrase(f"log.task_{a.state.value}", {"vessel": name, "eta": a.eta_min, "text": a.text})
    plan.incident_logs.append(
        {
            "incident_id": incident_id,
            "ts": ctx.now,
            "actor": f"vessel:{vid}",
            "kind": f"task_{a.state.value}",
            **log_columns(answer),
        }
    )


def _journal(
    item: Accepted,
    key: str,
    ts: datetime,
    ctx: PlanContext,
    plan: BatchPlan,
    *,
    kind: str | None = None,
) -> None:
    plan.journal.append(
        {
            "vessel_id": item.vessel_id,
            "kind": kind or item.kind,
            "key": key[:96],
            "ts": ts,
            "received_at": ctx.now,
            "payload": clean_text(item.raw.payload.decode("utf-8", "replace")),
        }
    )
