"""Writes one `BatchPlan` in one transaction. Every statement is idempotent, so a batch that is
redelivered after a crash, or retried after a failed commit, changes nothing twice.

Several hubs commit batches of the same vessels at once (the broker spreads a vessel's uplinks
over them). So that two such transactions never wait on each other in a circle, every statement
touches its rows in one deterministic order: by vessel id, then time (or message id), in the
same order of statements. Should PostgreSQL still roll a batch back as a deadlock or
serialization failure (with another writer that orders differently), the writer runs it again
at once: nothing of it was stored, and nothing was acknowledged to the broker yet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from datetime import timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import Float, String, and_, bindparam, case, or_, select, update
from sqlalchemy.exc import DBAPIError

from seaLink.domain.events import (
    AcksApplied,
    DistressReceiptQueued,
    DomainEvent,
    IncidentLogged,
    LinkStatusChanged,
    PortReported,
    PositionsStored,
    RequestArrived,
    StoredFix,
    TerminalHello,
    VesselHeard,
)
from seaLink.domain.messaging import DeliveryState
from seaLink.store.batch import BatchPlan
from seaLink.store.db import Database
from seaLink.store.distress_status import queue_status
from seaLink.store.distress_writes import apply_distress
from seaLink.store.one_trip import Step, executemany_all
from seaLink.store.outage import is_write_conflict
from seaLink.store.outbox_store import ACK_STATEMENTS, DELIVERED_AND_ACKNOWLEDGED
from seaLink.store.port_reports import insert_reports
from seaLink.store.raw_rows import SLICE, RawRows
from seaLink.store.request_store import insert_requests
from seaLink.store.tables import (
    AckEvent,
    DeadLetter,
    Incident,
    IncidentLog,
    Position,
    Uplink,
    VesselState,
)
from seaLink.store.types import UTCDateTime
from seaLink.texts import Phrase
from seaLink.turns import bulk_turn

log = logging.getLogger(__name__)

_vs = VesselState.__table__  # type: ignore[attr-defined]
_inc = Incident.__table__  # type: ignore[attr-defined]

CONFLICT_RETRIES = 5  # runs of a batch rolled back by a deadlock before the caller's own retry
# Acknowledgements are applied state by state, always in this order (lowest rank first).
_ACK_ORDER = {s.value: i for i, s in enumerate(ACK_STATEMENTS)}
_by_position = itemgetter("vessel_id", "ts")
_by_journal = itemgetter("vessel_id", "kind", "key")
_journal: Any = Uplink.__table__  # type: ignore[attr-defined]
_by_ack_event = itemgetter("vessel_id", "msg_id", "state")
_by_request = itemgetter("vessel_id", "request_id")
_by_vm = itemgetter("v", "m")

# The latest fix and the last sign of life of each vessel of the batch, in one statement per
# row (they used to be two UPDATEs per vessel). Each part moves only forward in time, on its own:
# a NULL `fix_ts` (no live fix of this vessel in the batch) or `heard` leaves that part as it was.
# SET expressions all read the row as it was before the UPDATE, on SQLite and PostgreSQL alike.
_fix_ts = bindparam("fix_ts", type_=UTCDateTime())
_heard = bindparam("heard", type_=UTCDateTime())
# At or after the last position's time: a fix stamped ahead of the hub's clock counts as received
# then (`_latest_rows`), so two such fixes may share a time; the one that came later wins.
_newer_fix = and_(_fix_ts.is_not(None), or_(_vs.c.fix_ts.is_(None), _vs.c.fix_ts <= _fix_ts))
_newer_heard = and_(_heard.is_not(None), or_(_vs.c.last_heard.is_(None), _vs.c.last_heard < _heard))


def _if_fix(name: str, type_: Any) -> Any:
    return case((_newer_fix, bindparam(name, type_=type_)), else_=_vs.c[name])


_UPDATE_LATEST = (
    update(_vs)
    .where(and_(_vs.c.vessel_id == bindparam("vid"), or_(_newer_fix, _newer_heard)))
    .values(
        fix_ts=case((_newer_fix, _fix_ts), else_=_vs.c.fix_ts),
        lat=_if_fix("lat", Float()),
        lon=_if_fix("lon", Float()),
        sog=_if_fix("sog", Float()),
        cog=_if_fix("cog", Float()),
        nav_state=_if_fix("nav_state", String()),
        last_heard=case((_newer_heard, _heard), else_=_vs.c.last_heard),
        last_link=case((_newer_heard, bindparam("link", type_=String())), else_=_vs.c.last_link),
    )
)
_UPDATE_STATUS = (
    update(_vs)
    .where(
        and_(
            _vs.c.vessel_id == bindparam("vid"),
            or_(_vs.c.status_ts.is_(None), _vs.c.status_ts <= bindparam("sts")),
        )
    )
    .values(link_status=bindparam("status"), status_ts=bindparam("sts"))
)
_UPDATE_HELLO = (
    update(_vs).where(_vs.c.vessel_id == bindparam("vid")).values(terminal=bindparam("terminal"))
)


class IngestWriter:
    def __init__(self, db: Database, distress_escalation_s: int = 120) -> None:
        self._db = db
        self._first_escalation = timedelta(seconds=distress_escalation_s)
        # The two statements every batch of positions runs, bound without per-row processing.
        self._insert_positions = RawRows(db, db.insert_ignore(Position.__table__))  # type: ignore[attr-defined]
        self._update_latest = RawRows(db, _UPDATE_LATEST)
        self._insert_journal = db.insert_ignore(Uplink.__table__)  # type: ignore[attr-defined]
        self._insert_dead = DeadLetter.__table__.insert()  # type: ignore[attr-defined]
        # And the two every batch of acknowledgements runs (a fleet-wide broadcast: two a boat).
        self._update_acks = {s: RawRows(db, stmt) for s, stmt in ACK_STATEMENTS.items()}
        self._delivered_and_acked = RawRows(db, DELIVERED_AND_ACKNOWLEDGED)
        self._insert_ack_events = RawRows(db, _insert_ack_events(db))
        self.conflicts = 0  # batches rolled back by a deadlock or serialization failure

    async def commit(self, plan: BatchPlan) -> list[DomainEvent]:
        """Write the batch and return what it changed; a deadlock or serialization failure runs
        it again (up to `CONFLICT_RETRIES` times, then it is raised to the caller)."""
        for attempt in range(1, CONFLICT_RETRIES + 1):
            try:
                return await self._commit_once(plan)
            except DBAPIError as exc:
                if attempt == CONFLICT_RETRIES or not is_write_conflict(exc):
                    raise
                self.conflicts += 1
                log.warning(
                    "ingest: batch of %d fixes rolled back by PostgreSQL (%s); writing it again",
                    len(plan.positions),
                    type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__,
                )
                # The other transaction goes on meanwhile; a little jitter keeps two retrying
                # writers from meeting again in step.
                await asyncio.sleep(random.uniform(0.0, 0.05 * attempt))
        raise AssertionError("unreachable")

    @staticmethod
    async def _journalled(conn: Any, item: Any) -> bool:
        found = await conn.execute(_is_journalled(item.vessel_id, item.journal_key))
        return found.first() is not None

    async def _bulk_steps(self, plan: BatchPlan) -> list[Step]:
        """The statements of every batch of fixes and acks, for one trip (one_trip), bound
        before the transaction begins and a slice a turn: for 5,000 acknowledgements they
        were one step of the loop of tens of milliseconds, with SQLite's write lock held."""
        steps: list[Step] = []

        async def add(statement: RawRows, rows: list[dict[str, Any]]) -> None:
            steps.append(await statement.step_in_slices(rows))
            if len(rows) >= SLICE:
                await bulk_turn()

        if plan.positions:
            await add(self._insert_positions, sorted(plan.positions, key=_by_position))
        if plan.latest_fix or plan.heard:
            await add(self._update_latest, _latest_rows(plan))
        if plan.acks:
            both, rest = _delivered_and_acknowledged(plan.acks)
            by_state: dict[str, list[dict[str, Any]]] = {}
            for a in sorted(rest, key=itemgetter("v", "m", "ts")):
                by_state.setdefault(a["state"], []).append(a)
            for state in sorted(by_state, key=_ACK_ORDER.__getitem__):
                await add(self._update_acks[DeliveryState(state)], by_state[state])
            if both:
                await add(self._delivered_and_acked, sorted(both, key=_by_vm))
        if plan.ack_events:
            await add(self._insert_ack_events, sorted(plan.ack_events, key=_by_ack_event))
        return steps

    async def _commit_once(self, plan: BatchPlan) -> list[DomainEvent]:
        stored: list[DomainEvent] = []
        steps = await self._bulk_steps(plan)
        async with self._db.engine.begin() as conn:
            await executemany_all(conn, self._db, steps)
            if plan.status:
                rows = [
                    {"vid": v, "status": s, "sts": t} for v, (s, t) in sorted(plan.status.items())
                ]
                await conn.execute(_UPDATE_STATUS, rows)
            if plan.hello:
                rows = [
                    {"vid": v, "terminal": term} for v, (term, _t) in sorted(plan.hello.items())
                ]
                await conn.execute(_UPDATE_HELLO, rows)
            # By vessel; a vessel's own distress messages keep their order (a cancel after its
            # alarm). Their events are listed in that order too.
            for item in sorted(plan.distress, key=lambda d: d.vessel_id):
                now = plan.distress_now
                assert now is not None
                if item.journal_key is not None and await self._journalled(conn, item):
                    continue  # the same report again (a redelivery, the other session's copy)
                event = await apply_distress(
                    conn, self._db, item, now, now + self._first_escalation
                )
                if event is not None:
                    stored.append(event)
                if item.link != "ais":  # a beacon cannot receive; a terminal gets its receipt
                    stored.append(DistressReceiptQueued(item.vessel_id))
            if plan.requests:
                due = {(r["vessel_id"], r["request_id"]): r["due_at"] for r in plan.requests}
                new = await insert_requests(conn, self._db, sorted(plan.requests, key=_by_request))
                stored.extend(RequestArrived(pk, grid, due[key]) for pk, (grid, key) in new.items())
            if plan.port_reports:
                reported = await insert_reports(conn, self._db, plan.port_reports)
                if reported:
                    stored.append(PortReported(reported))
            if plan.incident_logs:
                await conn.execute(IncidentLog.__table__.insert(), plan.incident_logs)  # type: ignore[attr-defined]
                for entry in plan.incident_logs:
                    await _tell_the_boat_in_distress(conn, self._db, entry)
            if plan.journal:
                await conn.execute(self._insert_journal, sorted(plan.journal, key=_by_journal))
            if plan.dead_letters:
                await conn.execute(self._insert_dead, plan.dead_letters)
        return _plan_events(plan) + stored


def _delivered_and_acknowledged(
    acks: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The messages whose batch holds exactly a `delivered` and an `acknowledged` (a terminal's
    two answers to a notice, most of a broadcast's), as rows of `DELIVERED_AND_ACKNOWLEDGED`;
    and every other acknowledgement, as it came."""
    of: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for a in acks:
        of.setdefault((a["m"], a["v"]), []).append(a)
    both: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for rows in of.values():
        states = [r["state"] for r in rows]
        if sorted(states) != ["acknowledged", "delivered"]:
            rest.extend(rows)
            continue
        delivered, acked = rows if states[0] == "delivered" else rows[::-1]
        both.append({"m": acked["m"], "v": acked["v"], "ts": acked["ts"], "ln": acked["ln"],
                     "dts": delivered["ts"]})  # fmt: skip
    return both, rest


def _insert_ack_events(db: Database) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING of every column but the id, each bound by its name."""
    table: Any = AckEvent.__table__  # type: ignore[attr-defined]
    names = [c.name for c in table.columns if c.name != "id"]
    insert: Any = db.insert(table).values({n: bindparam(n) for n in names})
    return insert.on_conflict_do_nothing()


def _is_journalled(vessel_id: str, key: str) -> Any:
    return select(_journal.c.id).where(
        _journal.c.vessel_id == vessel_id, _journal.c.kind == "distress", _journal.c.key == key
    )


def _plan_events(plan: BatchPlan) -> list[DomainEvent]:
    """What a committed plan changed, besides distress and requests (decided in the writes)."""
    events: list[DomainEvent] = [
        VesselHeard(vid, h.at, h.link, h.in_port) for vid, h in plan.heard.items()
    ]
    if plan.online or plan.hellos:
        at = plan.received_at
        assert at is not None
        events.extend(LinkStatusChanged(vid, online, at) for vid, online in plan.online.items())
        events.extend(TerminalHello(vid, at) for vid in plan.hellos)
    if plan.positions:
        events.append(
            PositionsStored(
                tuple(_stored_fix(p["vessel_id"], p) for p in plan.positions),
                tuple(_stored_fix(vid, f) for vid, f in plan.latest_fix.items()),
            )
        )
    if plan.acks:
        events.append(AcksApplied(tuple(a["state"] for a in plan.acks)))
    events.extend(
        IncidentLogged(e["incident_id"], e["ts"], e["actor"], e["kind"], e["text"], e.get("phrase"))
        for e in plan.incident_logs
    )
    return events


def _stored_fix(vid: str, f: Any) -> StoredFix:
    if isinstance(f, dict):
        return StoredFix(vid, f["ts"], f["lat"], f["lon"], f["sog"], f["cog"], f["nav_state"], f["backfill"])  # fmt: skip
    return StoredFix(vid, f.ts, f.lat, f.lon, f.sog, f.cog, f.state.value if f.state else None, f.backfill)  # fmt: skip


def _latest_rows(plan: BatchPlan) -> list[dict[str, Any]]:
    """One row per vessel with a newest fix, a sign of life, or both (None: nothing to move),
    in vessel id order."""
    rows = []
    for vid in sorted(plan.latest_fix.keys() | plan.heard.keys()):
        f = plan.latest_fix.get(vid)
        h = plan.heard.get(vid)
        rows.append(
            {
                "vid": vid,
                # Ahead of the hub's clock (within the tolerance): taken as received now.
                "fix_ts": min(f.ts, plan.received_at or f.ts) if f else None,
                "lat": f.lat if f else None,
                "lon": f.lon if f else None,
                "sog": f.sog if f else None,
                "cog": f.cog if f else None,
                "nav_state": f.state.value if f and f.state else None,
                "heard": h.at if h else None,
                "link": h.link if h else None,
            }
        )
    return rows


async def _tell_the_boat_in_distress(conn: Any, db: Database, entry: dict[str, Any]) -> None:
    """A tasked boat accepted: the boat in distress hears who is coming and when."""
    if entry["kind"] != "task_accepted" or not entry.get("phrase"):
        return
    args = json.loads(entry["phrase"])["args"]
    alert_id = (await conn.execute(
        select(_inc.c.alert_id).where(_inc.c.id == entry["incident_id"]))).scalar()  # fmt: skip
    if alert_id is None:
        return
    eta = args.get("eta")
    key = "down.distress_status.organised" + ("" if eta is not None else "_no_eta")
    phrase = Phrase(key, {"vessel": args["vessel"], "eta": eta})
    await queue_status(conn, db, int(alert_id), "organised", phrase,
                       {"helper": args["vessel"], "eta_min": eta}, entry["ts"],
                       extra=entry["actor"])  # fmt: skip
