"""Contact changes written set-wise keep the alert rules, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from seaLink.domain.contact import ContactState, LostPhase
from seaLink.domain.contact_book import ContactChange
from seaLink.store.contact_writes import ContactWriter
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.tables import Alert, AlertEvent, VesselState
from tests.conftest import small_fleet

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
OK, LOST, MAINT = ContactState.OK, ContactState.LOST, ContactState.MAINTENANCE


def change(
    vid: str,
    old: ContactState,
    new: ContactState,
    phase: LostPhase | None = None,
    minutes: int = 0,
    old_phase: LostPhase | None = None,
) -> ContactChange:
    grid = "G01" if vid in ("V1", "V2", "V3") else "G02"
    at = T0 + timedelta(minutes=minutes)
    return ContactChange(vid, grid, at, old, old_phase, new, phase, T0 - timedelta(hours=1), "mqtt")


async def _alerts(db: Database) -> list[tuple[str, str, str, str, str]]:
    a = Alert.__table__  # type: ignore[attr-defined]
    q = select(a.c.vessel_id, a.c.type, a.c.state, a.c.phase, a.c.severity).order_by(a.c.id)
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(q)).all()]  # type: ignore[misc]


async def _trail(db: Database) -> list[tuple[str, str, str, str]]:
    a, ev = Alert.__table__, AlertEvent.__table__  # type: ignore[attr-defined]
    q = select(a.c.vessel_id, a.c.type, ev.c.action, ev.c.phase).join(ev, ev.c.alert_id == a.c.id)
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(q.order_by(ev.c.id))).all()]  # type: ignore[misc]


async def test_a_group_of_changes_raises_advances_and_resolves_in_order(clean_store: str) -> None:
    db = Database(clean_store)
    await import_fleet(db, small_fleet())
    writer = ContactWriter(db)
    u, a = LostPhase.UNCERTAINTY, LostPhase.ALERT
    try:
        first = await writer.apply(
            [change("V1", OK, LOST, u), change("V2", OK, MAINT), change("V4", OK, LOST, u)]
        )
        assert [(x.vessel_id, x.type, x.action) for x in first] == [
            ("V1", "lost_contact", "raised"),
            ("V2", "maintenance", "raised"),
            ("V4", "lost_contact", "raised"),
        ]
        ids = {x.vessel_id: x.alert_id for x in first}
        assert len(set(ids.values())) == 3

        second = await writer.apply(
            [
                change("V1", LOST, OK, minutes=5, old_phase=u),  # heard again: resolved
                change("V2", MAINT, LOST, a, minutes=5),  # maintenance ends, lost begins
                change("V3", OK, LOST, u, minutes=5),  # a new alert
                change("V4", LOST, LOST, a, minutes=5, old_phase=u),  # the next phase
                change("V5", OK, MAINT, minutes=5),
            ]
        )
        assert [(x.vessel_id, x.type, x.action, x.phase, x.severity) for x in second] == [
            ("V1", "lost_contact", "resolved", "", ""),
            ("V2", "maintenance", "resolved", "", ""),
            ("V2", "lost_contact", "raised", "alert", "major"),
            ("V3", "lost_contact", "raised", "uncertainty", "warning"),
            ("V4", "lost_contact", "phase", "alert", "major"),
            ("V5", "maintenance", "raised", "", "notice"),
        ]
        assert second[0].alert_id == ids["V1"] and second[1].alert_id == ids["V2"]
        assert second[4].alert_id == ids["V4"]
        assert await _alerts(db) == [
            ("V1", "lost_contact", "resolved", "uncertainty", "warning"),
            ("V2", "maintenance", "resolved", "", "notice"),
            ("V4", "lost_contact", "raised", "alert", "major"),
            ("V2", "lost_contact", "raised", "alert", "major"),
            ("V3", "lost_contact", "raised", "uncertainty", "warning"),
            ("V5", "maintenance", "raised", "", "notice"),
        ]
        assert (await _trail(db))[3:] == [
            ("V1", "lost_contact", "resolved", ""),
            ("V2", "maintenance", "resolved", ""),
            ("V2", "lost_contact", "raised", "alert"),
            ("V3", "lost_contact", "raised", "uncertainty"),
            ("V4", "lost_contact", "phase", "alert"),
            ("V5", "maintenance", "raised", ""),
        ]
        vs = VesselState.__table__  # type: ignore[attr-defined]
        async with db.engine.connect() as conn:
            rows = (await conn.execute(select(vs.c.vessel_id, vs.c.contact_state))).all()
        states = {str(r[0]): str(r[1]) for r in rows}
        assert states == {"V1": "ok", "V2": "lost", "V3": "lost", "V4": "lost", "V5": "maintenance"}

        # One vessel twice in a group (heard, then lost again): written change by change.
        third = await writer.apply(
            [change("V3", LOST, OK, minutes=9, old_phase=u), change("V3", OK, LOST, u, minutes=9)]
        )
        assert [(x.vessel_id, x.action) for x in third] == [("V3", "resolved"), ("V3", "raised")]
        assert third[1].alert_id != third[0].alert_id
        v3 = [row for row in await _alerts(db) if row[0] == "V3"]
        assert [row[2] for row in v3] == ["resolved", "raised"]
    finally:
        await db.dispose()
