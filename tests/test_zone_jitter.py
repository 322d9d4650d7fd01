"""Zone alerts that ignore GNSS jitter: the real tracker's entries and exits through the
confirmation rule, on scripted tracks whose truth this test states: a single bad fix inside (or
outside) neither raises nor clears an alert; a boat that stays raises at its second 10-minute
report or its third 1-minute one; a crossing between two reports still raises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from seaLink.domain.zone_confirm import ZoneConfirm
from seaLink.domain.zones import FixInfo, Zone, ZoneKind, ZoneTracker
from seaLink.settings import ContactSettings

T0 = datetime(2026, 9, 1, tzinfo=UTC)
# A 0.2 x 0.2 degree reserve; IN is well inside, OUT well outside, ACROSS on the far side.
BOX = [[117.0, 23.0], [117.2, 23.0], [117.2, 23.2], [117.0, 23.2], [117.0, 23.0]]
IN, OUT, ACROSS = (23.1, 117.1), (23.1, 116.8), (23.1, 117.4)


def run(
    track: list[tuple[float, float]], every_s: int, confirm: ZoneConfirm
) -> list[tuple[str, int]]:
    """(action, index of the fix that decided it) for a track of fixes `every_s` apart."""
    zone = Zone(
        id=7,
        name="保护区",
        kind=ZoneKind.PROTECTED,
        geometry={"type": "Polygon", "coordinates": [BOX]},
    )
    tracker = ZoneTracker([zone])
    out = []
    for i, (lat, lon) in enumerate(track):
        ts = T0 + timedelta(seconds=i * every_s)
        evs = tracker.observe(
            "V1", FixInfo(lat, lon, ts, False), gear="trawl", permits=set(), backfill=False
        )
        for d in confirm.after_fix("V1", ts, evs, lambda zid: ("V1", zid) in tracker.inside):
            out.append((d.action, i))
    return out


def defaults() -> ZoneConfirm:
    s = ContactSettings()
    return ZoneConfirm(s.zone_confirm_fixes, s.zone_confirm_s)


def test_one_bad_fix_inside_raises_nothing() -> None:
    assert run([OUT, OUT, IN, OUT, OUT, OUT], 600, defaults()) == []
    assert run([OUT, IN, OUT, IN, OUT], 60, defaults()) == []


def test_a_boat_that_stays_inside_raises_at_its_second_10_minute_report() -> None:
    assert run([OUT, IN, IN, IN], 600, defaults()) == [("raise", 2)]


def test_with_1_minute_reports_it_takes_three_fixes() -> None:
    assert run([OUT, IN, IN, IN, IN], 60, defaults()) == [("raise", 3)]


def test_one_bad_fix_outside_does_not_clear_the_alert_a_real_exit_does() -> None:
    track = [IN, IN, OUT, IN, IN, OUT, OUT, OUT]
    assert run(track, 600, defaults()) == [("raise", 1), ("resolve", 6)]


def test_a_crossing_between_two_reports_raises_at_once() -> None:
    assert run([OUT, ACROSS], 600, defaults()) == [("raise", 1), ("resolve", 1)]


def test_one_fix_confirmation_is_the_old_behaviour() -> None:
    assert run([OUT, IN, OUT], 600, ZoneConfirm(1, 600)) == [("raise", 1), ("resolve", 2)]
