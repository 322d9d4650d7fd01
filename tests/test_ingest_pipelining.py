"""While a batch commits, the ingest judges what arrives into the next batch (issue 17: the loop
sat idle while SQLite's thread wrote 5,000 acknowledgements), up to a full batch; commits,
acknowledgements to the broker and events keep the order the uplinks came in."""

from __future__ import annotations

import asyncio
from typing import Any

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store import queries
from tests.test_ingest import _count, fix, wait_for
from tests.vessel_client import TestVessel


async def test_what_arrives_while_a_batch_commits_is_judged_into_the_next_in_order(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    async with hub.running():
        ingest: Any = hub.ingest
        writer_commit = ingest._writer.commit
        judge_all = ingest._judge_all
        held = asyncio.Event()
        release = asyncio.Event()
        committed: list[set[str]] = []  # the vessels of each batch, in commit order
        judged: list[set[str]] = []  # the vessels of each lot judged

        def vessels(uplinks: Any) -> set[str]:
            return {u.topic.split("/vessels/")[1].split("/")[0] for u in uplinks}

        async def slow_commit(plan: Any) -> Any:
            if not committed:
                held.set()
                await release.wait()  # the first batch's commit takes its time
            committed.append(set(plan.heard))
            return await writer_commit(plan)

        async def spied_judge_all(uplinks: Any, **kw: Any) -> Any:
            verdicts = await judge_all(uplinks, **kw)
            if uplinks:
                judged.append(vessels(uplinks))
            return verdicts

        ingest._writer.commit = slow_commit
        ingest._judge_all = spied_judge_all
        v1 = TestVessel(registered.mqtt.url, "V1", prefix=registered.mqtt.prefix)
        v2 = TestVessel(registered.mqtt.url, "V2", prefix=registered.mqtt.prefix)
        try:
            v1.publish("position", fix(fake_clock, 2, lat=23.31))
            await asyncio.wait_for(held.wait(), 10)
            v2.publish("position", fix(fake_clock, 1, lat=23.32))

            async def judged_meanwhile(n: int) -> bool:
                return len(judged) >= n

            await wait_for(lambda: judged_meanwhile(2))  # while the first still commits
            v1.publish("position", fix(fake_clock, 0, lat=23.33))
            await wait_for(lambda: judged_meanwhile(3))
            assert judged == [{"V1"}, {"V2"}, {"V1"}]
            assert committed == []  # the next batch waits its turn to commit
            assert await queries.count_positions(hub.db, "V2") == 0
            release.set()
            await wait_for(lambda: _count(hub, "V2", 1))
            await wait_for(lambda: _count(hub, "V1", 2))
            await hub.drained()
        finally:
            v1.close()
            v2.close()
        assert committed == [{"V1"}, {"V1", "V2"}]  # what came meanwhile: one batch
        latest = await queries.get_vessel(hub.db, "V1")
        assert latest is not None and latest["last_position"]["lat"] == 23.33
