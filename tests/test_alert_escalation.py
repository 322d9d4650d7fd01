"""Escalation for every kind of alert (issue 13.3): a lost-contact alert's phase changes tell
people again and escalate like a new alert (its distress phase reaches the county desk at once),
even after someone acknowledged an earlier phase; zone alerts climb the chain on their own
timers. Real hub, broker and store (SQLite and PostgreSQL); the clock is the test's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from seaLink.clock import FakeClock
from tests.test_alert_desk import _zone_alerts
from tests.test_distress import Outside, _get, _post, clock, setup  # noqa: F401  (fixtures)
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel


async def _lost_alert(base: str, h: dict[str, str]) -> dict[str, Any] | None:
    alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
    return next((a for a in alerts if a["type"] == "lost_contact" and a["vessel_id"] == "V1"), None)


async def _told(hub: Any, fake: FakeClock) -> None:
    """Let the storm window pass: alerts other than distress go out once it closes."""
    fake.advance(timedelta(seconds=hub.settings.alerting.storm_window_s))
    await hub.alerting.settle()


async def _advance_until(hub: Any, fake: FakeClock, hours: float, check: Any) -> None:
    """Move the clock in 10-minute steps (as time passes) until `check()` holds."""
    for _ in range(int(hours * 6)):
        if await check():
            return
        fake.advance(timedelta(minutes=10))
        await hub.watch.settle()
        await hub.alerting.settle()
    assert await check(), "condition not reached in simulated time"


async def test_a_lost_contact_alert_acknowledged_at_uncertainty_notifies_again_at_each_phase(
    setup: tuple[Any, str, dict[str, str], Outside],  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    hub, base, h, outside = setup
    v = TestVessel(hub.settings.mqtt.url, "V1", prefix=hub.settings.mqtt.prefix)
    try:
        v.publish("position", {"ts": clock.now().isoformat(), "lat": 23.3, "lon": 117.6})

        async def heard() -> bool:
            return hub.watch.book.counts().get("ok", 0) >= 1

        await wait_for(heard)
    finally:
        v.close()
    silent_since = clock.now()

    async def uncertainty() -> bool:
        a = await _lost_alert(base, h)
        return a is not None and a["phase"] == "uncertainty"

    await _advance_until(hub, clock, 2, uncertainty)
    alert = await _lost_alert(base, h)
    assert alert is not None
    aid = alert["id"]
    await _told(hub, clock)
    assert outside.levels(aid) == [(0, "C01W")]  # the duty officer, once
    status, acked = await _post(base, h, f"/api/v1/alerts/{aid}/ack", {"note": "可能在信号盲区"})
    assert status == 200 and acked["state"] == "acknowledged"

    async def alert_phase() -> bool:
        a = await _get(base, h, f"/api/v1/alerts/{aid}")
        return bool(a["phase"] == "alert")

    await _advance_until(hub, clock, 3, alert_phase)
    a = await _get(base, h, f"/api/v1/alerts/{aid}")
    # A new phase is a new situation: unacknowledged again, told again, escalating again.
    assert a["state"] == "raised" and a["acked_by"] is None
    assert a["escalation_level"] == 0 and a["escalate_at"] is not None
    await _told(hub, clock)
    assert outside.levels(aid) == [(0, "C01W"), (0, "C01W")]
    assert (clock.now() - silent_since) >= timedelta(seconds=hub.settings.contact.alert_after_s)

    async def distress_phase() -> bool:
        a = await _get(base, h, f"/api/v1/alerts/{aid}")
        return bool(a["phase"] == "distress")

    await _advance_until(hub, clock, 3, distress_phase)
    await _told(hub, clock)
    a = await _get(base, h, f"/api/v1/alerts/{aid}")
    levels = outside.levels(aid)
    # The alert phase escalated on its own timers meanwhile (leader after 30 min); the distress
    # phase reached everyone up to the county desk at once.
    assert (1, "C01L") in levels and (1, "C01B") in levels
    assert (2, "county-desk") in levels
    assert a["escalation_level"] == 2 and a["state"] == "raised"
    actions = [e["action"] for e in a["events"]]
    assert actions.count("phase") == 2 and "acknowledged" in actions


async def test_a_zone_alert_nobody_acknowledges_climbs_to_the_leader_then_the_county_desk(
    setup: tuple[Any, str, dict[str, str], Outside],  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    hub, base, h, outside = setup
    ids = await _zone_alerts(hub, base, h, ["V1"])
    aid = ids["V1"]
    await _told(hub, clock)
    assert outside.levels(aid) == [(0, "C01W")]
    s = hub.settings.alerting
    clock.advance(timedelta(seconds=s.zone_leader_after_s - s.storm_window_s))
    await hub.alerting.settle()
    await _told(hub, clock)
    assert sorted(outside.levels(aid)) == [(0, "C01W"), (1, "C01B"), (1, "C01L")]
    clock.advance(
        timedelta(seconds=s.zone_county_after_s - s.zone_leader_after_s - s.storm_window_s)
    )
    await hub.alerting.settle()
    await _told(hub, clock)
    assert (2, "county-desk") in outside.levels(aid)
    a = await _get(base, h, f"/api/v1/alerts/{aid}")
    assert a["escalation_level"] == 2
    assert [e["action"] for e in a["events"]].count("escalated") == 2
