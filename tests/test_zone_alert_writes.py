"""The zone watch's set-wise writes keep the alert rules, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from seaLink.store import zone_alert_writes
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.tables import Alert, AlertEvent, ZoneEventRecord
from seaLink.store.zone_alert_writes import open_alert_ids, record_batch
from tests.conftest import small_fleet

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _raise(vid: str, type_: str, at: datetime) -> dict[str, Any]:
    grid = "G01" if vid in ("V1", "V2", "V3") else "G02"
    return {"vessel_id": vid, "grid_id": grid, "type": type_, "severity": "warning",
            "phase": "protected", "state": "raised", "raised_at": at, "updated_at": at,
            "detail": f"进入保护区 {vid}", "event_ts": at, "escalation_level": 0}  # fmt: skip


async def _alerts(db: Database) -> list[tuple[str, str, str]]:
    a = Alert.__table__  # type: ignore[attr-defined]
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(a.c.vessel_id, a.c.type, a.c.state))).all()
    return sorted((r[0], r[1], r[2]) for r in rows)


async def _trail(db: Database) -> list[tuple[str, str, str]]:
    a, ev = Alert.__table__, AlertEvent.__table__  # type: ignore[attr-defined]
    q = select(a.c.vessel_id, a.c.type, ev.c.action).join(ev, ev.c.alert_id == a.c.id)
    async with db.engine.connect() as conn:
        return [(r[0], r[1], r[2]) for r in (await conn.execute(q.order_by(ev.c.id))).all()]


async def test_one_open_alert_per_vessel_and_type_raises_before_resolves(clean_store: str) -> None:
    db = Database(clean_store)
    await import_fleet(db, small_fleet())
    try:
        first = await record_batch(
            db,
            [{"vessel_id": "V1", "zone_id": 1, "kind": "enter", "ts": T0, "alerted": True}],
            [_raise("V1", "zone:1", T0), _raise("V2", "zone:1", T0), _raise("V1", "zone:1", T0)],
            [("V3", "zone:1", T0, "离开")],  # nothing open: nothing to resolve
        )
        assert sorted((e.vessel_id, e.grid_id, e.type) for e in first) == [
            ("V1", "G01", "zone:1"), ("V2", "G01", "zone:1"),
        ]  # fmt: skip
        assert len({e.alert_id for e in first}) == 2

        later = T0 + timedelta(minutes=5)
        second = await record_batch(
            db,
            [],
            [_raise("V1", "zone:1", later), _raise("V4", "separation", later)],  # V1: still open
            [
                ("V2", "zone:1", later, "离开"),
                ("V4", "separation", later, "回到编队附近"),  # raised in this very batch
                ("V2", "zone:1", later, "离开"),  # a second resolve finds nothing open
            ],
        )
        assert [(e.vessel_id, e.grid_id, e.type) for e in second] == [("V4", "G02", "separation")]
        assert await _alerts(db) == [
            ("V1", "zone:1", "raised"),
            ("V2", "zone:1", "resolved"),
            ("V4", "separation", "resolved"),
        ]
        assert await _trail(db) == [
            ("V1", "zone:1", "raised"),
            ("V2", "zone:1", "raised"),
            ("V4", "separation", "raised"),
            ("V2", "zone:1", "resolved"),
            ("V4", "separation", "resolved"),
        ]
        async with db.engine.connect() as conn:
            events = (await conn.execute(select(ZoneEventRecord.vessel_id))).all()  # type: ignore[call-overload]
        assert [e[0] for e in events] == ["V1"]
    finally:
        await db.dispose()


async def test_an_alert_opened_by_another_loop_meanwhile_is_neither_doubled_nor_resolved(
    clean_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The port log and a recall's judge both raise 离港. One batch reads no open alert for V1;
    before it writes, the other loop opens one. The batch's raise is skipped (not a second open
    alert, not a failed batch), and its resolve, judged on what was read before, leaves alone
    an alert that was not open then."""
    db = Database(clean_store)
    await import_fleet(db, small_fleet())
    try:
        [theirs] = await record_batch(db, [], [_raise("V1", "left_port", T0)], [])
        before_it = await open_alert_ids(db, ["left_port"])
        assert before_it == {theirs.alert_id}
        monkeypatch.setattr(zone_alert_writes, "_open_ids", _read_before_they_wrote)
        later = T0 + timedelta(minutes=1)
        raised = await record_batch(db, [], [_raise("V1", "left_port", later)], [])
        assert raised == []
        kept = await record_batch(
            db, [], [], [("V1", "left_port", later, "在港")], resolvable=set()
        )
        assert kept == []
        assert await _alerts(db) == [("V1", "left_port", "raised")]
        assert await _trail(db) == [("V1", "left_port", "raised")]
    finally:
        await db.dispose()


async def _read_before_they_wrote(_conn: Any, _pairs: Any) -> dict[tuple[str, str], int]:
    return {}
