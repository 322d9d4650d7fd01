"""The outbox hands messages out while its bookkeeping waits for the store (on SQLite, for the one
write lock an ingest batch of acknowledgements may hold for a few hundred ms): the next rounds
read onward from the last message handed out, and anything more urgent, never one handed out
and not yet written down (issue 17.2). Each boat still gets its message once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.outbox_store import OutboxStore
from seaLink.store.tables import Delivery
from tests.test_broadcasts import (  # noqa: F401 - fixtures
    NOTICE,
    _reachable,
    clock,
    hub_api,
    nothing_received,
    online,
    post,
    receive,
)
from tests.test_ingest import wait_for

_d: Any = Delivery.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 7, 1, 8, 0, 0, 123456, tzinfo=UTC)


def _row(n: int, priority: int, queued_s: int) -> dict[str, Any]:
    return {
        "msg_id": f"m{n}",
        "vessel_id": f"V{n}",
        "grid_id": "G01",
        "kind": "notice",
        "priority": priority,
        "state": "queued",
        "rank": 0,
        "attempts": 0,
        "payload": "{}",
        "next_attempt_at": NOW,
        "queued_at": NOW - timedelta(seconds=60) + timedelta(seconds=queued_s),
        "expires_at": None,
        "last_error": "",
        "broadcast_id": 1,
    }


async def test_due_after_a_place_reads_what_follows_it_and_what_is_more_urgent(
    clean_store: str,
) -> None:
    # Priority 5 in three queue times, two of them shared (the id decides); priority 1 older and
    # younger than all of them; priority 9 last.
    layout = [(5, 10), (5, 10), (5, 20), (5, 20), (5, 30), (1, 0), (1, 40), (9, 5)]
    db = Database(clean_store)
    store = OutboxStore(db)
    try:
        async with db.engine.begin() as conn:
            await store.insert(conn, [_row(n, p, q) for n, (p, q) in enumerate(layout)])
        async with db.engine.connect() as conn:
            ids = {r.msg_id: r.id for r in await conn.execute(select(_d.c.msg_id, _d.c.id))}

        def place(n: int) -> tuple[int, int, int]:
            p, q = layout[n]
            return (p, q, ids[f"m{n}"])

        everything = sorted(range(len(layout)), key=place)
        full = await store.due(NOW, 100)
        assert [m.msg_id for m in full] == [f"m{n}" for n in everything]

        for cut in range(len(full)):
            after = full[cut].key
            onward = await store.due(NOW, 100, after=after)
            wanted = [
                f"m{n}"
                for n in everything
                if place(n) > place(everything[cut]) or layout[n][0] < layout[everything[cut]][0]
            ]
            assert [m.msg_id for m in onward] == wanted, (cut, after)
    finally:
        await db.dispose()


async def _attempts(hub: Hub, msg_ids: Iterable[str]) -> dict[str, int]:
    async with hub.db.engine.connect() as conn:
        rows = await conn.execute(
            select(_d.c.msg_id, _d.c.attempts).where(_d.c.msg_id.in_(list(msg_ids)))
        )
        return dict(rows.all())  # type: ignore[arg-type]


async def test_a_fan_out_goes_on_while_its_bookkeeping_waits_and_sends_each_message_once(
    hub_api: tuple[Hub, str, dict[str, str]],  # noqa: F811
    clock: FakeClock,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub, base, h = hub_api
    monkeypatch.setattr(hub.settings.messaging, "dispatch_batch", 2)  # five boats: three rounds
    vids = ["V1", "V2", "V3", "V4", "V5"]
    vessels = {vid: online(hub, vid, clock) for vid in vids}
    try:
        await wait_for(lambda: _reachable(hub, vids, clock))
        await hub.outbox.settle()
        # From now on the outbox's bookkeeping waits, as behind an ingest batch holding the lock.
        store = hub.outbox.store
        record_sends = store.record_sends
        lock_free = asyncio.Event()
        writes: list[int] = []

        async def behind_the_ingest(attempts: Any, sent: Any, ts: datetime) -> None:
            writes.append(len(attempts))
            await lock_free.wait()
            await record_sends(attempts, sent, ts)

        monkeypatch.setattr(store, "record_sends", behind_the_ingest)
        bid = (await post(base, h, NOTICE | {"target": {"all": True}}))["broadcast"]["id"]
        msg_ids = [f"b{bid}-{vid}" for vid in vids]
        got = {vid: (await receive(v))["msg_id"] for vid, v in vessels.items()}
        assert got == dict(zip(vids, msg_ids, strict=True))
        assert writes == [2], writes  # every boat reached while the first round's write waits
        assert set((await _attempts(hub, msg_ids)).values()) == {0}

        lock_free.set()

        async def all_written() -> bool:
            return set((await _attempts(hub, msg_ids)).values()) == {1}

        await wait_for(all_written)
        await hub.outbox.settle()
        assert sum(writes) == len(vids)  # each attempt written once
        for v in vessels.values():
            await nothing_received(v)  # and no boat got a second copy
        assert await _attempts(hub, msg_ids) == dict.fromkeys(msg_ids, 1)
    finally:
        for v in vessels.values():
            v.close()


async def test_a_hub_stopped_while_its_bookkeeping_is_written_leaves_no_transaction_open(
    registered: Settings,
    clock: FakeClock,  # noqa: F811
) -> None:
    """The bookkeeping is a task of the outbox's own: stopping the hub must roll its transaction
    back before the store closes. Left to itself, the cut write's connection stayed "idle in
    transaction" on PostgreSQL holding its row locks, and the next writer waited forever."""
    hub = Hub(registered, clock=clock)
    in_flight = asyncio.Event()
    async with hub.running():
        v = online(hub, "V1", clock)
        try:
            await wait_for(lambda: _reachable(hub, ["V1"], clock))
            await hub.outbox.settle()

            async def stuck(attempts: Any, sent: Any, ts: datetime) -> None:
                async with hub.db.engine.begin() as conn:  # the row locked, as the real write does
                    await conn.execute(
                        update(_d).where(_d.c.msg_id == "m-stuck").values(last_error="writing")
                    )
                    in_flight.set()
                    try:
                        await asyncio.Event().wait()  # the lock never comes, the commit never
                    finally:
                        await asyncio.sleep(0.3)  # cut: its rollback takes a while (a busy store)

            hub.outbox.store.record_sends = stuck  # type: ignore[method-assign]
            async with hub.db.engine.begin() as conn:
                await hub.outbox.store.insert(conn, [_row(0, 5, 0) | {
                    "msg_id": "m-stuck", "vessel_id": "V1", "next_attempt_at": clock.now()}])  # fmt: skip
            hub.outbox.kick()
            await receive(v)
            await asyncio.wait_for(in_flight.wait(), 10)
        finally:
            v.close()
    # The hub is stopped: none of its outbox's tasks is left running, and the row is free.
    left = [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("outbox")]
    assert left == [], left
    db = Database(registered.store.url)
    try:
        async with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                await conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            done = await conn.execute(
                update(_d).where(_d.c.msg_id == "m-stuck").values(last_error="")
            )
            assert done.rowcount == 1
    finally:
        await db.dispose()
