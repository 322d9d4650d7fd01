"""Zone rules as pure functions: geometry, crossings between sparse fixes, hysteresis, calendars,
exemptions, permits, backfill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from seaLink.domain.ports import load_zones_document
from seaLink.domain.zones import FixInfo, Zone, ZoneKind, ZoneTracker, parse_calendar

DOC = load_zones_document()
NANPENG = next(f for f in DOC["features"] if f["properties"]["kind"] == "protected")
BAND = next(f for f in DOC["features"] if f["properties"]["kind"] == "moratorium")
RESERVE = Zone(1, "南澎列岛", ZoneKind.PROTECTED, NANPENG["geometry"])
MORATORIUM = Zone(2, "伏季休渔", ZoneKind.MORATORIUM, BAND["geometry"],
                  calendar=parse_calendar(BAND["properties"]["calendar"]),
                  exempt_gear=frozenset(BAND["properties"]["exempt_gear"]))  # fmt: skip
LANE = Zone(3, "航道", ZoneKind.SHIPPING_LANE,
            {"type": "LineString", "coordinates": [[116.5, 22.8], [118.5, 22.8]]}, buffer_nmi=5.0)  # fmt: skip
T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def fx(lat: float, lon: float, minutes: float = 0, in_port: bool = False) -> FixInfo:
    return FixInfo(lat, lon, T0 + timedelta(minutes=minutes), in_port)


def test_the_nanpeng_reserve_polygon() -> None:
    assert RESERVE.contains(23.28, 117.25)
    assert not RESERVE.contains(23.10, 117.00)
    assert RESERVE.signed_distance(23.28, 117.25) < 0 < RESERVE.signed_distance(23.10, 117.00)


def test_a_crossing_between_two_sparse_fixes_is_an_entry_and_an_exit() -> None:
    t = ZoneTracker([RESERVE])
    assert t.observe("V1", fx(23.28, 117.02), gear="trawl", permits=set(), backfill=False) == []
    events = t.observe("V1", fx(23.28, 117.45, 60), gear="trawl", permits=set(), backfill=False)
    assert [(e.kind, e.alert) for e in events] == [("enter", True), ("exit", True)]


def test_hysteresis_keeps_a_boundary_rider_inside() -> None:
    ring = NANPENG["geometry"]["coordinates"][0]
    (lon0, lat0), (lon1, lat1) = ring[0], ring[1]
    mid_lon, mid_lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    c_lon = sum(p[0] for p in ring[:-1]) / 4
    c_lat = sum(p[1] for p in ring[:-1]) / 4

    def along(f: float) -> tuple[float, float]:  # f < 0 towards the centre, f > 0 away from it
        return mid_lat + (mid_lat - c_lat) * f, mid_lon + (mid_lon - c_lon) * f

    t = ZoneTracker([RESERVE])
    lat, lon = along(-0.05)
    assert [
        e.kind for e in t.observe("V1", fx(lat, lon), gear="trawl", permits=set(), backfill=False)
    ] == ["enter"]
    lat, lon = along(0.004)
    assert 0 < RESERVE.signed_distance(lat, lon) < 0.1
    assert t.observe("V1", fx(lat, lon, 10), gear="trawl", permits=set(), backfill=False) == []
    lat, lon = along(0.05)
    assert RESERVE.signed_distance(lat, lon) > 0.1
    out = t.observe("V1", fx(lat, lon, 20), gear="trawl", permits=set(), backfill=False)
    assert [e.kind for e in out] == ["exit"]


def test_the_summer_moratorium_calendar_with_exemptions_and_permits() -> None:
    cal = MORATORIUM.calendar
    assert cal is not None
    bj = lambda *a: datetime(*a).replace(tzinfo=UTC) - timedelta(hours=8)  # noqa: E731  Beijing time
    assert not cal.active(bj(2026, 5, 1, 11, 59))
    assert cal.active(bj(2026, 5, 1, 12, 0))
    assert cal.active(bj(2026, 8, 16, 11, 59))
    assert not cal.active(bj(2026, 8, 16, 12, 0))
    season = bj(2026, 6, 10, 3, 0)

    def first(gear: str, permits: set[int], in_port: bool = False) -> list[tuple[str, bool]]:
        t = ZoneTracker([MORATORIUM])
        f = FixInfo(23.1, 117.4, season, in_port)
        return [
            (e.kind, e.alert) for e in t.observe("V", f, gear=gear, permits=permits, backfill=False)
        ]

    assert first("trawl", set()) == [("enter", True)]
    assert first("hook_and_line", set()) == [("enter", False)]  # exempt gear: recorded, no alert
    assert first("trawl", {2}) == [("enter", False)]  # a permit for this zone
    assert first("trawl", set(), in_port=True) == []  # in port is where boats belong in the season
    t = ZoneTracker([MORATORIUM])
    off_season = FixInfo(23.1, 117.4, bj(2026, 9, 1, 3, 0), False)
    assert t.observe("V", off_season, gear="trawl", permits=set(), backfill=False) == []


def test_backfilled_fixes_are_recorded_never_alerted_and_never_rewind_the_present() -> None:
    t = ZoneTracker([RESERVE, LANE])
    events = t.observe("V1", fx(22.85, 117.3), gear="trawl", permits=set(), backfill=True)
    assert [(e.zone_id, e.kind, e.alert) for e in events] == [
        (3, "enter", False)
    ]  # 3 nmi from the lane
    t.observe("V1", fx(23.0, 117.3, 30), gear="trawl", permits=set(), backfill=False)
    late = t.observe("V1", fx(23.28, 117.25, 10), gear="trawl", permits=set(), backfill=True)
    assert late == []  # older than what we know: history only


def test_a_shipping_lane_with_its_buffer() -> None:
    assert LANE.contains(22.8 + 4.9 / 60, 117.5)
    assert not LANE.contains(22.8 + 5.2 / 60, 117.5)
