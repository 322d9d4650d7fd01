"""The 24-hour contact watch end to end: real broker, real store, fake clock."""

from __future__ import annotations

from datetime import timedelta

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store import queries
from tests.test_ingest import fix, wait_for
from tests.vessel_client import TestVessel


async def _alerts(hub: Hub, vessel_id: str, state: str = "all") -> list[dict[str, object]]:
    rows = await queries.list_alerts(hub.db, open_only=state == "open")
    return [a for a in rows if a["vessel_id"] == vessel_id]


async def _advance(hub: Hub, clock: FakeClock, **delta: float) -> None:
    clock.advance(timedelta(**delta))
    await hub.watch.settle()


async def test_a_vessel_silent_for_four_intervals_at_sea_raises_lost_contact_and_is_resolved_when_heard(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V1", prefix=registered.mqtt.prefix)
        try:
            v.publish("position", fix(fake_clock, lat=23.0, lon=117.5, state="fishing"))
            await wait_for(lambda: _heard(hub, "V1"))
            await hub.drained()

            await _advance(hub, fake_clock, minutes=20)
            assert (await queries.get_vessel(hub.db, "V1"))["contact"]["state"] == "overdue"  # type: ignore[index]
            await _advance(hub, fake_clock, minutes=19, seconds=59)
            assert await _alerts(hub, "V1") == []

            await _advance(hub, fake_clock, seconds=1)
            [alert] = await _alerts(hub, "V1")
            assert alert["type"] == "lost_contact"
            assert alert["phase"] == "uncertainty"
            assert alert["grid_id"] == "G01"
            assert alert["raised_at"] == (fake_clock.now()).isoformat().replace("+00:00", "Z")

            await _advance(hub, fake_clock, minutes=80)  # 2 h of silence
            [alert] = await _alerts(hub, "V1")
            assert alert["phase"] == "alert" and alert["severity"] == "major"
            await _advance(hub, fake_clock, hours=2)  # 4 h of silence
            [alert] = await _alerts(hub, "V1")
            assert alert["phase"] == "distress" and alert["severity"] == "critical"

            v.publish("position", fix(fake_clock, lat=23.01, lon=117.5))
            await wait_for(lambda: _resolved(hub, "V1"))
            [alert] = await _alerts(hub, "V1")
            assert alert["state"] == "resolved" and alert["outcome"] == "contact_restored"
            assert (await queries.get_vessel(hub.db, "V1"))["contact"]["state"] == "ok"  # type: ignore[index]
        finally:
            v.close()


async def test_in_port_silence_is_only_a_maintenance_matter_after_a_day(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V2", prefix=registered.mqtt.prefix)
        try:
            # Inside 云澳渔港's radius, without saying so: the port zone decides.
            v.publish("position", fix(fake_clock, lat=23.4052, lon=117.0785, sog=0.0))
            await wait_for(lambda: _heard(hub, "V2"))
            await hub.drained()
            await _advance(hub, fake_clock, hours=23, minutes=59)
            assert await _alerts(hub, "V2") == []
            await _advance(hub, fake_clock, minutes=1)
            [alert] = await _alerts(hub, "V2")
            assert alert["type"] == "maintenance" and alert["severity"] == "notice"
        finally:
            v.close()


async def test_under_a_typhoon_signal_a_silent_vessel_goes_straight_to_distress(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V3", prefix=registered.mqtt.prefix)
        try:
            v.publish("position", fix(fake_clock, lat=22.9, lon=117.6, state="steaming"))
            await wait_for(lambda: _heard(hub, "V3"))
            await hub.drained()
            hub.watch.set_typhoon(True)
            await _advance(hub, fake_clock, minutes=40)
            [alert] = await _alerts(hub, "V3")
            assert alert["phase"] == "distress"
        finally:
            v.close()


async def test_the_watch_resumes_from_the_store_after_a_restart(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V4", prefix=registered.mqtt.prefix)
        try:
            v.publish("position", fix(fake_clock, lat=22.9, lon=117.6))
            await wait_for(lambda: _heard(hub, "V4"))
            await hub.drained()
            await _advance(hub, fake_clock, minutes=45)
            assert len(await _alerts(hub, "V4", "open")) == 1
        finally:
            v.close()
    fake_clock.advance(timedelta(hours=2))
    hub2 = Hub(registered, clock=fake_clock)
    async with hub2.running():
        await hub2.watch.settle()
        [alert] = await _alerts(hub2, "V4")
        assert alert["phase"] == "alert"  # advanced, not raised twice


async def _heard(hub: Hub, vid: str) -> bool:
    v = await queries.get_vessel(hub.db, vid)
    return v is not None and v["contact"]["last_heard"] is not None


async def _resolved(hub: Hub, vid: str) -> bool:
    return await _alerts(hub, vid, "open") == []
