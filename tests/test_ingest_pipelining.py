"""The ingest judges and plans the next batch while the one before commits (issue 17: the loop
sat idle while SQLite's thread wrote 5,000 acknowledgements); commits, acknowledgements to the
broker and events keep the order the batches came in."""

from __future__ import annotations

import asyncio
from typing import Any

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store import queries
from tests.test_ingest import _count, fix, wait_for
from tests.vessel_client import TestVessel


async def test_the_next_batch_is_planned_while_one_commits_and_commits_keep_their_order(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    async with hub.running():
        ingest: Any = hub.ingest
        writer_commit = ingest._writer.commit
        prepare = ingest._prepare
        held = asyncio.Event()
        release = asyncio.Event()
        committed: list[set[str]] = []  # the vessels of each batch, in commit order
        prepared: list[set[str]] = []

        def vessels(uplinks: Any) -> set[str]:
            return {u.topic.split("/vessels/")[1].split("/")[0] for u in uplinks}

        async def slow_commit(plan: Any) -> Any:
            if not committed:
                held.set()
                await release.wait()  # the first batch's commit takes its time
            committed.append(set(plan.heard))
            return await writer_commit(plan)

        async def spied_prepare(batch: Any, **kw: Any) -> Any:
            ready = await prepare(batch, **kw)
            prepared.append(vessels(batch))
            return ready

        ingest._writer.commit = slow_commit
        ingest._prepare = spied_prepare
        v1 = TestVessel(registered.mqtt.url, "V1", prefix=registered.mqtt.prefix)
        v2 = TestVessel(registered.mqtt.url, "V2", prefix=registered.mqtt.prefix)
        try:
            v1.publish("position", fix(fake_clock, 2, lat=23.31))
            await asyncio.wait_for(held.wait(), 10)
            v2.publish("position", fix(fake_clock, 1, lat=23.32))

            async def second_batch_planned() -> bool:
                return len(prepared) >= 2

            await wait_for(second_batch_planned)  # while the first still commits
            assert prepared == [{"V1"}, {"V2"}]
            assert committed == []  # and it waits its turn to commit
            assert await queries.count_positions(hub.db, "V2") == 0
            release.set()
            v1.publish("position", fix(fake_clock, 0, lat=23.33))
            await wait_for(lambda: _count(hub, "V2", 1))
            await wait_for(lambda: _count(hub, "V1", 2))
            await hub.drained()
        finally:
            v1.close()
            v2.close()
        assert committed == [{"V1"}, {"V2"}, {"V1"}]
        latest = await queries.get_vessel(hub.db, "V1")
        assert latest is not None and latest["last_position"]["lat"] == 23.33
