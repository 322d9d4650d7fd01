"""The movement model: deterministic, never on land, speeds in the bands of each state, trips
that leave port and come back."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

import pytest

from seaLink.wire.geo import haversine_nm, initial_bearing_deg
from simulators.coverage import CoverageModel, CoverageSettings
from simulators.geo import NANAO_CENTRE, PORTS, nearest_port_nm
from simulators.landmask import default_mask
from simulators.movement import MoveFix, MovementSettings, Track
from simulators.routing import Router, default_router

HOUR = 3600.0
GEARS = ("trawl", "pair_trawl", "gillnet", "hook_and_line", "purse_seine", "trap")
PORT_NAMES = list(PORTS)


def make_track(i: int, seed: int, router: Router) -> Track:
    # Grids of 18 from one port, groups of 6: the shape of the generated fleet.
    return Track(
        i,
        seed,
        PORT_NAMES[(i // 18) % len(PORT_NAMES)],
        router,
        group=f"G{i // 18:02d}-F{(i % 18) // 6}",
        gear=GEARS[i % len(GEARS)],
    )


@dataclass
class Run:
    tracks: list[Track]
    fixes: dict[int, list[MoveFix]]


@pytest.fixture(scope="module")
def long_run() -> Run:
    """120 boats sampled every 5 minutes for 2 simulated days."""
    router = default_router()
    tracks = [make_track(i, 11, router) for i in range(120)]
    fixes: dict[int, list[MoveFix]] = defaultdict(list)
    for t in range(0, int(48 * HOUR) + 1, 300):
        for i, tr in enumerate(tracks):
            fixes[i].append(tr.fix_at(float(t)))
    return Run(tracks, fixes)


def test_same_seed_gives_the_same_tracks_and_another_seed_does_not() -> None:
    router = default_router()
    times = [float(t) for t in range(0, int(12 * HOUR), 600)]
    a = [[make_track(i, 5, router).fix_at(t) for t in times] for i in range(6)]
    b = [[make_track(i, 5, router).fix_at(t) for t in times] for i in range(6)]
    c = [[make_track(i, 6, router).fix_at(t) for t in times] for i in range(6)]
    assert a == b
    assert a != c


def test_the_track_does_not_depend_on_how_often_it_is_queried() -> None:
    router = default_router()
    dense, sparse = make_track(3, 9, router), make_track(3, 9, router)
    dense_fixes = {t: dense.fix_at(float(t)) for t in range(0, int(10 * HOUR), 30)}
    for t in range(0, int(10 * HOUR), 600):
        assert sparse.fix_at(float(t)) == dense_fixes[t]


def test_no_fix_is_ever_on_land_except_inside_a_port(long_run: Run) -> None:
    mask = default_mask()
    on_land = [
        (i, f)
        for i, fixes in long_run.fixes.items()
        for f in fixes
        if mask.is_land(f.lat, f.lon) and nearest_port_nm(f.lat, f.lon) > 1.5
    ]
    assert on_land == []


def test_speeds_stay_within_the_band_of_each_state(long_run: Run) -> None:
    s = MovementSettings()
    by_state: dict[str, list[MoveFix]] = defaultdict(list)
    for fixes in long_run.fixes.values():
        for f in fixes:
            by_state[f.state].append(f)
    assert set(by_state) == {"in_port", "steaming", "fishing", "drifting"}
    assert all(f.sog == 0.0 for f in by_state["in_port"])
    assert all(6.0 <= f.sog <= 9.0 for f in by_state["steaming"])
    assert all(f.sog < 1.9 for f in by_state["drifting"])
    assert all(1.9 <= f.sog <= 5.6 for f in by_state["fishing"])
    # The speed of a step is chosen at its start: night trawling is slower than day trawling.
    for f in by_state["fishing"]:
        hour = (s.start_hour_local + (f.t - s.step_s) / HOUR) % 24
        if hour < 6 or hour >= 18:
            assert f.sog <= 3.5, f
        else:
            assert f.sog >= 3.5, f
    assert all(0.0 <= f.cog < 360.0 for fixes in long_run.fixes.values() for f in fixes)


def test_boats_leave_port_fish_offshore_and_come_home(long_run: Run) -> None:
    round_trips = 0
    boats_home_again = set()
    for i, fixes in long_run.fixes.items():
        left_at = None
        for prev, cur in itertools.pairwise(fixes):
            if prev.state == "in_port" and cur.state != "in_port":
                left_at = cur.t
            elif prev.state != "in_port" and cur.state == "in_port" and left_at is not None:
                trip_h = (cur.t - left_at) / HOUR
                assert 1.0 <= trip_h <= 54.0
                round_trips += 1
                boats_home_again.add(i)
                # Home means the boat's own port.
                home = PORTS[long_run.tracks[i].home]
                assert haversine_nm(cur.lat, cur.lon, home.lat, home.lon) <= 0.5
    assert len(boats_home_again) >= 0.7 * len(long_run.tracks)
    assert round_trips >= len(long_run.tracks)

    fishing = [f for fixes in long_run.fixes.values() for f in fixes if f.state == "fishing"]
    offshore = [nearest_port_nm(f.lat, f.lon) for f in fishing]
    assert max(offshore) > 25.0  # some grounds beyond the 4G coverage radius
    assert max(offshore) < 45.0
    lat0, lon0 = NANAO_CENTRE
    southeast = [
        f for f in fishing if 50.0 <= initial_bearing_deg(lat0, lon0, f.lat, f.lon) <= 250.0
    ]
    assert len(southeast) >= 0.8 * len(fishing)  # mostly S/SE/E of the island


def test_goto_reaches_a_target_round_the_island_without_touching_land() -> None:
    """A 深澳 boat (north coast) is sent into the Nanpeng reserve, south-east of the island."""
    router = default_router()
    mask = default_mask()
    track = Track(1, 3, "深澳港", router, group="solo")
    target = (23.31, 117.22)
    track.command_goto(600.0, *target, hold_s=3 * HOUR)
    fixes = [track.fix_at(float(t)) for t in range(0, int(12 * HOUR), 60)]
    assert not any(
        mask.is_land(f.lat, f.lon) and nearest_port_nm(f.lat, f.lon) > 1.5 for f in fixes
    )
    at_work = [
        f
        for f in fixes
        if f.state != "steaming" and haversine_nm(f.lat, f.lon, *target) < 1.0 and f.t > 600
    ]
    assert at_work, "never reached the target"
    first = at_work[0].t
    held = [f for f in fixes if first <= f.t <= first + 2.9 * HOUR]
    # It works the spot (the scenario's hold is 3 h) and stays within a few miles of it.
    assert {f.state for f in held} <= {"fishing", "drifting"}
    assert all(haversine_nm(f.lat, f.lon, *target) < 4.0 for f in held)
    assert fixes[-1].state == "in_port"  # and goes home afterwards


def test_the_land_mask_knows_nanao_from_the_sea() -> None:
    mask = default_mask()
    assert mask.is_land(23.44, 117.05)  # the middle of Nan'ao island
    assert mask.is_land(23.60, 120.90)  # Taiwan, central range
    assert not mask.is_land(23.20, 117.20)  # open sea south of the island
    assert not mask.is_land(22.90, 119.50)  # Taiwan Bank
    with pytest.raises(ValueError, match="outside"):
        mask.is_land(10.0, 110.0)


def test_coverage_is_always_up_near_shore_and_patchy_beyond() -> None:
    settings = CoverageSettings(radius_nm=25.0, drop_probability=0.3, regain_probability=0.15)
    near = CoverageModel(settings, 1, 1)
    assert all(near.link_up(False, 10.0) for _ in range(200))
    far_a, far_b = CoverageModel(settings, 1, 2), CoverageModel(settings, 1, 2)
    seq_a, up = [], True
    for _ in range(200):
        up = far_a.link_up(up, 30.0)
        seq_a.append(up)
    seq_b, up = [], True
    for _ in range(200):
        up = far_b.link_up(up, 30.0)
        seq_b.append(up)
    assert seq_a == seq_b  # deterministic per vessel
    assert 0.1 < sum(seq_a) / len(seq_a) < 0.9  # drops and comes back
