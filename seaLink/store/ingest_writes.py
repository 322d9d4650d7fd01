"""Writes one `BatchPlan` in one transaction. Every statement is idempotent, so a batch that is
redelivered after a crash, or retried after a failed commit, changes nothing twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, update

from seaLink.domain.messaging import DeliveryState
from seaLink.store.batch import BatchPlan
from seaLink.store.db import Database
from seaLink.store.distress_writes import apply_distress
from seaLink.store.outbox_store import ACK_STATEMENTS
from seaLink.store.request_store import insert_requests
from seaLink.store.tables import AckEvent, DeadLetter, IncidentLog, Position, Uplink, VesselState

_vs = VesselState.__table__  # type: ignore[attr-defined]

_UPDATE_FIX = (
    update(_vs)
    .where(
        and_(
            _vs.c.vessel_id == bindparam("vid"),
            or_(_vs.c.fix_ts.is_(None), _vs.c.fix_ts < bindparam("fix_ts")),
        )
    )
    .values(
        fix_ts=bindparam("fix_ts"),
        lat=bindparam("lat"),
        lon=bindparam("lon"),
        sog=bindparam("sog"),
        cog=bindparam("cog"),
        nav_state=bindparam("nav_state"),
    )
)
_UPDATE_HEARD = (
    update(_vs)
    .where(
        and_(
            _vs.c.vessel_id == bindparam("vid"),
            or_(_vs.c.last_heard.is_(None), _vs.c.last_heard < bindparam("heard")),
        )
    )
    .values(last_heard=bindparam("heard"), last_link=bindparam("link"))
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
        self._insert_positions = db.insert_ignore(Position.__table__)  # type: ignore[attr-defined]
        self._insert_journal = db.insert_ignore(Uplink.__table__)  # type: ignore[attr-defined]
        self._insert_dead = DeadLetter.__table__.insert()  # type: ignore[attr-defined]
        self._insert_ack_events = db.insert_ignore(AckEvent.__table__)  # type: ignore[attr-defined]

    async def commit(self, plan: BatchPlan) -> None:
        async with self._db.engine.begin() as conn:
            if plan.positions:
                await conn.execute(self._insert_positions, plan.positions)
            if plan.latest_fix:
                await conn.execute(_UPDATE_FIX, _fix_rows(plan))
            if plan.heard:
                rows = [{"vid": v, "heard": h.at, "link": h.link} for v, h in plan.heard.items()]
                await conn.execute(_UPDATE_HEARD, rows)
            if plan.status:
                rows = [{"vid": v, "status": s, "sts": t} for v, (s, t) in plan.status.items()]
                await conn.execute(_UPDATE_STATUS, rows)
            if plan.hello:
                rows = [{"vid": v, "terminal": term} for v, (term, _t) in plan.hello.items()]
                await conn.execute(_UPDATE_HELLO, rows)
            if plan.acks:
                by_state: dict[str, list[dict[str, Any]]] = {}
                for a in plan.acks:
                    by_state.setdefault(a["state"], []).append(a)
                for state, rows in by_state.items():
                    await conn.execute(ACK_STATEMENTS[DeliveryState(state)], rows)
            if plan.ack_events:
                await conn.execute(self._insert_ack_events, plan.ack_events)
            plan.distress_outcomes = []
            for item in plan.distress:
                now = plan.distress_now
                assert now is not None
                plan.distress_outcomes.append(
                    await apply_distress(conn, self._db, item, now, now + self._first_escalation)
                )
            if plan.requests:
                plan.new_requests = await insert_requests(conn, self._db, plan.requests)
            if plan.incident_logs:
                await conn.execute(IncidentLog.__table__.insert(), plan.incident_logs)  # type: ignore[attr-defined]
            if plan.journal:
                await conn.execute(self._insert_journal, plan.journal)
            if plan.dead_letters:
                await conn.execute(self._insert_dead, plan.dead_letters)


def _fix_rows(plan: BatchPlan) -> list[dict[str, Any]]:
    return [
        {
            "vid": vid,
            "fix_ts": f.ts,
            "lat": f.lat,
            "lon": f.lon,
            "sog": f.sog,
            "cog": f.cog,
            "nav_state": f.state.value if f.state else None,
        }
        for vid, f in plan.latest_fix.items()
    ]
