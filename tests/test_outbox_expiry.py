"""While the outbox is busy handing out a fan-out, it closes what expired undelivered at most once
a second, not every round (each look was a transaction of its own, every few ms of a 10,000-boat
broadcast); a look skipped while busy is made before it rests, so nothing expired stays open
while the outbox sleeps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.services import outbox as outbox_module
from tests.test_broadcasts import (  # noqa: F401 - fixtures
    NOTICE,
    _reachable,
    clock,
    hub_api,
    online,
    post,
    receive,
    rollup,
)
from tests.test_ingest import wait_for


def _count_looks(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    looks: list[Any] = []
    expire = hub.outbox.store.expire

    async def counted(now: Any) -> Any:
        looks.append(now)
        return await expire(now)

    monkeypatch.setattr(hub.outbox.store, "expire", counted)
    return looks


async def test_looks_for_expired_messages_are_paced_while_busy_and_owed_ones_made_at_rest(
    hub_api: tuple[Hub, str, dict[str, str]],  # noqa: F811
    clock: FakeClock,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub, _, _ = hub_api
    await hub.outbox.settle()
    looks = _count_looks(hub, monkeypatch)
    t = clock.now()
    close = hub.outbox._close_expired
    await close(t, at_rest=True)
    await close(t + timedelta(milliseconds=500))  # busy, within the second: skipped, owed
    assert looks == [t]
    assert hub.outbox._expiry_owed
    await close(t + timedelta(milliseconds=500), at_rest=True)  # before resting: the owed look
    await close(t + timedelta(milliseconds=600), at_rest=True)  # nothing owed: still looks
    await close(t + timedelta(milliseconds=1600))  # a second after the last: looks
    await close(t - timedelta(seconds=5))  # a clock set back: looks
    assert looks == [t + timedelta(milliseconds=x) for x in (0, 500, 600, 1600, -5000)], looks


async def test_a_fan_out_at_one_instant_looks_once_busy_and_once_at_rest_and_still_expires(
    hub_api: tuple[Hub, str, dict[str, str]],  # noqa: F811
    clock: FakeClock,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbox_module, "PUBLISH_WINDOW", 2)  # many rounds for a few boats
    hub, base, h = hub_api
    vids = ["V1", "V2", "V3", "V4"]
    vessels = {vid: online(hub, vid, clock) for vid in vids}
    try:
        await wait_for(lambda: _reachable(hub, vids, clock))
        await hub.outbox.settle()
        expires = (clock.now() + timedelta(minutes=30)).isoformat()
        late = await post(base, h, NOTICE | {"target": {"vessels": ["V5"]}, "expires_at": expires})
        await hub.outbox.settle()
        rounds = 0
        round_ = hub.outbox._round

        async def counted(now: Any) -> bool:
            nonlocal rounds
            rounds += 1
            return await round_(now)

        monkeypatch.setattr(hub.outbox, "_round", counted)
        looks = _count_looks(hub, monkeypatch)
        ids = [(await post(base, h, NOTICE | {"title": f"通知{i}", "target": {"vessels": vids}}))
               ["broadcast"]["id"] for i in range(3)]  # fmt: skip
        for v in vessels.values():
            for _ in ids:
                await receive(v)
        await hub.outbox.settle()
        # The clock never moved: one look while busy, at most one more owed before resting.
        assert rounds > 6 and 1 <= len(looks) <= 2 * len(ids), (rounds, looks)
        assert len(looks) < rounds / 2, (rounds, looks)

        clock.advance(timedelta(hours=1))  # V5 never came: its notice expires
        await hub.outbox.settle()
        r = await rollup(base, h, late["broadcast"]["id"])
        assert r["rollup"]["states"]["expired"] == 1
    finally:
        for v in vessels.values():
            v.close()
