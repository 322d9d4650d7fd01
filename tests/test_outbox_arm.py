"""Re-arming a vessel's outbox when it comes back: what was never sent is due now, what was
published (confirmed by the broker or not yet) waits the replay grace, so a status and a hello
arriving a moment apart never send a message twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from seaLink.store.db import Database
from seaLink.store.outbox_store import PARKED, OutboxStore

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
GRACE = timedelta(seconds=20)


@pytest.fixture
async def store(clean_store: str) -> AsyncIterator[OutboxStore]:
    db = Database(clean_store)
    s = OutboxStore(db)
    async with db.engine.begin() as conn:
        await s.insert(
            conn,
            [
                {
                    "msg_id": f"m{i}",
                    "vessel_id": "V1",
                    "grid_id": "G01",
                    "kind": "notice",
                    "priority": i,
                    "payload": "{}",
                    "next_attempt_at": NOW + PARKED,
                    "queued_at": NOW,
                }
                for i in range(3)
            ],
        )
    yield s
    await db.dispose()


async def test_published_but_unconfirmed_is_not_due_again_on_a_second_arm(
    store: OutboxStore,
) -> None:
    assert await store.arm(["V1"], NOW, grace=GRACE) == 3
    due = await store.due(NOW, 10)
    assert [m.msg_id for m in due] == ["m0", "m1", "m2"]
    # m0 and m1 are published; the broker has confirmed only m0 when the hello re-arms V1.
    later = NOW + timedelta(seconds=1)
    await store.record_attempts(
        [
            {"did": m.id, "link": "mqtt", "attempts": 1, "next_at": later + timedelta(seconds=60)}
            for m in due[:2]
        ]
    )
    await store.mark_sent([due[0].id], later)
    assert await store.arm(["V1"], later, grace=GRACE) == 1
    assert [m.msg_id for m in await store.due(later, 10)] == ["m2"]
    assert [m.msg_id for m in await store.due(later + GRACE, 10)] == ["m0", "m1", "m2"]


async def test_a_parked_message_that_was_sent_waits_the_grace(store: OutboxStore) -> None:
    due = await store.due(NOW + PARKED, 10)
    await store.record_attempts([{"did": due[0].id, "link": "mqtt", "attempts": 1, "next_at": NOW}])
    await store.park(["V1"], NOW)
    assert await store.due(NOW + timedelta(hours=1), 10) == []
    await store.arm(["V1"], NOW, grace=GRACE)
    assert [m.msg_id for m in await store.due(NOW, 10)] == ["m1", "m2"]
    assert [m.msg_id for m in await store.due(NOW + GRACE, 10)] == ["m0", "m1", "m2"]
