"""A county desk may see 200 grids, and a fleet-wide warning names every grid its boats are in
(600 here): such lists are stored whole on both databases (on PostgreSQL a fleet-wide POST to a generated
10,000-boat fleet once failed with `value too long for type character varying(2048)`)."""

from __future__ import annotations

from datetime import UTC, datetime

from seaLink.domain.fleetgen import CoordinatorSpec, Fleet, GridSpec
from seaLink.domain.roles import Role
from seaLink.services.auth import hash_password
from seaLink.store import broadcast_store, users
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.outbox_store import OutboxStore
from seaLink.wire.fleet_csv import VesselSpec

GRIDS = [f"G{i:03d}" for i in range(1, 601)]  # 600 x 5 characters: 3,599 with the commas
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def _fleet() -> Fleet:
    grids = [GridSpec(g, f"第{g}网格", "C1") for g in GRIDS]
    coords = [CoordinatorSpec("C1", "陈海生", "13800000001", "a@example.cn", (GRIDS[0],))]
    spec = ("云澳渔港", "trawl", 6, ("mqtt",))
    vessels = [
        VesselSpec(f"V{g}", f"渔{g}", f"4120{g[1:]}00", None, g, f"{g}-F1", *spec) for g in GRIDS
    ]
    return Fleet(grids, coords, vessels)


async def test_a_desk_scope_and_a_broadcast_over_600_grids_are_stored_whole(
    clean_store: str,
) -> None:
    db = Database(clean_store)
    try:
        await db.create_all()
        await import_fleet(db, _fleet())
        await users.create_user(db, username="desk", password_hash=hash_password("x" * 12),
                                role=Role.VIEWER, grid_ids=GRIDS[:200], now=NOW)  # fmt: skip
        [desk] = [u for u in await users.list_users(db) if u["username"] == "desk"]
        assert desk["grids"] == GRIDS[:200]  # an account's scope: up to about 200 grids

        row = {"kind": "warning", "title": "台风蓝色预警", "body": "请回港避风", "priority": 1,
               "reply": "confirm", "per_crew": False, "signal": "blue", "recall_deadline": None,
               "target": '{"all": true}', "created_by": "admin", "created_at": NOW,
               "expires_at": None, "grid_ids": ",".join(GRIDS), "extra": "{}",
               "_payload": lambda bid, vid, msg_id: f'{{"msg_id":"{msg_id}"}}'}  # fmt: skip
        queued = {"kind": "warning", "priority": 1, "state": "queued", "rank": 0, "attempts": 0,
                  "next_attempt_at": NOW, "queued_at": NOW, "expires_at": None, "last_error": ""}  # fmt: skip
        deliveries = [{"vessel_id": f"V{g}", "grid_id": g, **queued} for g in GRIDS]
        audited = {"ts": NOW, "username": "admin", "action": "broadcast.create", "detail": ""}
        bid, _ = await broadcast_store.create_broadcast(
            db, OutboxStore(db), row, deliveries, audited
        )
        stored = await broadcast_store.get_broadcast(db, bid)
        assert stored is not None and stored["grids"] == GRIDS
        rollup = await broadcast_store.rollup(db, bid, "confirm")
        assert rollup["total"] == len(GRIDS)
    finally:
        await db.dispose()
