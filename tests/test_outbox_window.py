"""The outbox keeps its own window of publishes awaiting the broker's PUBACK (paho's window
scanned every message in flight at each PUBACK: seconds of a 10,000-boat broadcast, issue 17.2).
With the window made small, a burst of broadcasts never has more in flight than it allows, and
every boat still gets every message, once."""

from __future__ import annotations

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
)
from tests.test_ingest import wait_for

WINDOW = 2


async def test_a_burst_of_broadcasts_keeps_within_the_window_and_reaches_every_boat(
    hub_api: tuple[Hub, str, dict[str, str]],  # noqa: F811
    clock: FakeClock,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbox_module, "PUBLISH_WINDOW", WINDOW)
    hub, base, h = hub_api
    in_flight: list[int] = []
    publish = hub.link.publish

    def watched(topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> int | None:
        if "/down" in topic:
            in_flight.append(hub.link.awaiting_puback)  # before this one goes
        return publish(topic, payload, qos, retain)

    monkeypatch.setattr(hub.link, "publish", watched)
    vids = ["V1", "V2", "V3", "V4", "V5"]
    vessels = {vid: online(hub, vid, clock) for vid in vids}
    try:
        await wait_for(lambda: _reachable(hub, vids, clock))
        ids = [(await post(base, h, NOTICE | {"title": f"通知{i}", "target": {"all": True}}))
               ["broadcast"]["id"] for i in range(4)]  # fmt: skip
        for vid, v in vessels.items():
            got = sorted([(await receive(v))["msg_id"] for _ in range(len(ids))])
            assert got == sorted(f"b{bid}-{vid}" for bid in ids)
        assert len(in_flight) >= len(ids) * len(vids)
        assert max(in_flight) < WINDOW, in_flight
    finally:
        for v in vessels.values():
            v.close()
