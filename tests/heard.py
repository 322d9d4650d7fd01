"""Waiting until the hub has heard what a test's vessels published, instead of sleeping a while
and hoping it has (0.3 s was enough on an idle machine, not on a busy one): a test vessel's
publish returns once the broker has the message, and the hub counts every uplink it judges
(`sealink_uplinks_total`, by kind)."""

from __future__ import annotations

import asyncio
from collections import Counter

from seaLink.runtime import Hub
from seaLink.wire.topics import UplinkKind


def uplinks_heard(hub: Hub) -> Counter[str]:
    """How many uplinks of each kind the hub has judged so far."""
    registry = hub.metrics.registry
    return Counter(
        {
            kind.value: int(registry.get_sample_value("sealink_uplinks_total", {"kind": kind}) or 0)
            for kind in UplinkKind
        }
    )


async def until_heard(hub: Hub, since: Counter[str], timeout: float = 30.0, **more: int) -> None:
    """Until the hub has judged `more` uplinks of each kind beyond `since` (`uplinks_heard` before
    they were published), and has committed and acted on them (`Hub.drained`)."""
    unknown = set(more) - {k.value for k in UplinkKind}
    assert not unknown, f"no such uplink kind: {unknown}"

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        now = uplinks_heard(hub)
        short = {kind: n - (now[kind] - since[kind]) for kind, n in more.items()}
        if all(missing <= 0 for missing in short.values()):
            break
        assert loop.time() < deadline, f"not heard within {timeout} s: {short} more wanted"
        await asyncio.sleep(0.02)
    await hub.drained()
