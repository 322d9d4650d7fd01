"""The tests' wait for the hub to have heard what was published (`tests/heard.py`) waits for
exactly that, and says so when it does not come."""

from __future__ import annotations

import pytest

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store import queries
from tests.heard import until_heard, uplinks_heard
from tests.test_ingest import fix
from tests.vessel_client import TestVessel


async def test_it_returns_once_the_fixes_are_stored_and_fails_for_one_never_sent(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V1", prefix=registered.mqtt.prefix)
        try:
            heard = uplinks_heard(hub)
            for minute in (1, 2, 3):
                v.publish("position", fix(fake_clock, minute))
            await until_heard(hub, heard, position=3)
            assert await queries.count_positions(hub.db, "V1") == 3
            assert uplinks_heard(hub)["position"] - heard["position"] == 3
            with pytest.raises(AssertionError, match="position"):
                await until_heard(hub, heard, timeout=0.5, position=4)
        finally:
            v.close()
