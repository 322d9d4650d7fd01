"""/metrics: what is open now (alerts, undelivered messages) is read from the store at each scrape."""

from __future__ import annotations

import asyncio

import aiohttp

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel


async def _scrape(base: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as s, s.get(f"{base}/metrics") as r:
        assert r.status == 200
        text = await r.text()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


async def test_an_open_distress_and_its_undelivered_ack_show_in_metrics_until_handled(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    base = f"http://127.0.0.1:{registered.api.port}"
    open_distress = 'sealink_alerts_open{state="raised",type="distress"}'
    async with hub.running():
        before = await _scrape(base)
        assert open_distress not in before
        assert before['sealink_outbox_pending{state="queued"}'] == 0
        boat = TestVessel(registered.mqtt.url, "V1", prefix=registered.mqtt.prefix)
        try:
            boat.publish(
                "distress",
                {
                    "distress_id": "m1",
                    "ts": fake_clock.now().isoformat(),
                    "lat": 23.1,
                    "lon": 117.3,
                },
            )
            await asyncio.to_thread(boat.received.get, True, 10)  # the hub's distress_ack
            await hub.drained()
        finally:
            boat.close()
        now = await _scrape(base)
        assert now[open_distress] == 1
        # The distress_ack was sent, but the boat has not reported it delivered.
        assert now['sealink_outbox_pending{state="sent"}'] == 1
        async with hub.db.engine.begin() as conn:
            from sqlalchemy import update

            from seaLink.store.tables import Alert

            await conn.execute(update(Alert).values(state="acknowledged"))  # type: ignore[arg-type]

        async def acknowledged() -> bool:
            m = await _scrape(base)
            return (
                m.get(open_distress, 0) == 0
                and m.get('sealink_alerts_open{state="acknowledged",type="distress"}') == 1
            )

        await wait_for(acknowledged)
