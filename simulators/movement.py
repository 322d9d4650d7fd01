"""A fishing boat's day, as a pure deterministic function of (seed, index, simulated time).

A trip: leave the home port, steam 6-9 kn to a fishing ground (mostly S/SE/E of Nan'ao, up to
~40 nmi out), trawl at 3.5-5.6 kn by day and 1.9-3.5 kn by night in legs with realistic turns,
drift or lie at anchor below 1.9 kn now and then, steam home after hours to a couple of days, and
stay in port a while. The speed bands are those seen in Beidou data (see docs/domain.md).

Boats of one fishing group share the ground and rhythm of each trip (they sail in company), each
with its own jitter. Time advances in fixed steps so that the track does not depend on when it is
queried; fixes between steps are interpolated on the segment the boat actually sailed, and every
position returned is checked against the land mask.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from enum import Enum

from seaLink.wire.geo import haversine_nm, initial_bearing_deg
from simulators.geo import NANAO_CENTRE, PORTS, angle_diff, destination, port_named, turn
from simulators.routing import LatLon, Router

IN_PORT, STEAMING, FISHING, DRIFTING = "in_port", "steaming", "fishing", "drifting"
_HOUR = 3600.0
# Share of fishing legs spent drifting (hauling, resting, waiting on the nets), by gear.
_DRIFT_SHARE = {
    "gillnet": 0.35,
    "trap": 0.35,
    "hook_and_line": 0.3,
    "purse_seine": 0.2,
    "trawl": 0.12,
    "pair_trawl": 0.1,
}
_FALLBACK_GROUND = (23.25, 117.05)  # open sea south of the island
_TURNS = (30, -30, 60, -60, 90, -90, 120, -120, 150, -150, 180)


@dataclass(frozen=True, slots=True)
class MovementSettings:
    """Documented defaults; all times in simulated seconds, speeds in knots."""

    step_s: float = 60.0
    steam_kn: tuple[float, float] = (6.0, 9.0)
    trawl_day_kn: tuple[float, float] = (3.5, 5.6)
    trawl_night_kn: tuple[float, float] = (1.9, 3.5)
    drift_kn: tuple[float, float] = (0.1, 1.8)
    day_trip_h: tuple[float, float] = (6.0, 16.0)
    long_trip_h: tuple[float, float] = (16.0, 48.0)
    long_trip_share: float = 0.4
    port_stay_h: tuple[float, float] = (3.0, 20.0)
    ground_near_nm: tuple[float, float] = (5.0, 25.0)
    ground_far_nm: tuple[float, float] = (25.0, 36.0)
    far_ground_share: float = 0.35
    fishing_radius_nm: float = 5.0
    goto_radius_nm: float = 2.0  # a boat sent somewhere by a scenario stays close to it
    trawl_leg_min: tuple[float, float] = (20.0, 90.0)
    drift_leg_min: tuple[float, float] = (20.0, 120.0)
    start_hour_local: float = 5.0  # simulated t=0 is 05:00 Beijing time, whatever the wall clock
    history_steps: int = 8


@dataclass(frozen=True, slots=True)
class MoveFix:
    t: float
    lat: float
    lon: float
    sog: float
    cog: float
    state: str


class _Phase(Enum):
    IN_PORT = "in_port"
    OUTBOUND = "outbound"
    FISHING = "fishing"
    DRIFTING = "drifting"
    INBOUND = "inbound"
    GOTO = "goto"


_STATE_OF = {
    _Phase.IN_PORT: IN_PORT,
    _Phase.OUTBOUND: STEAMING,
    _Phase.INBOUND: STEAMING,
    _Phase.GOTO: STEAMING,
    _Phase.FISHING: FISHING,
    _Phase.DRIFTING: DRIFTING,
}


@dataclass(frozen=True, slots=True)
class GroupTrip:
    """What a fishing group agreed for one trip."""

    bearing: float
    dist_nm: float
    trip_s: float
    stay_s: float


def group_trip(seed: int, group: str, trip_no: int, s: MovementSettings) -> GroupTrip:
    rng = random.Random(f"group:{seed}:{group}:{trip_no}")
    u = rng.random()
    # Mostly south to east of the island (open sea, the Nanpeng islands, towards the Taiwan
    # Bank); some boats work the coast to the south-west or north-east.
    if u < 0.7:
        bearing = rng.uniform(90.0, 200.0)
    elif u < 0.9:
        bearing = rng.uniform(200.0, 250.0)
    else:
        bearing = rng.uniform(50.0, 90.0)
    far = rng.random() < s.far_ground_share
    dist = rng.uniform(*(s.ground_far_nm if far else s.ground_near_nm))
    long_trip = rng.random() < s.long_trip_share
    trip_h = rng.uniform(*(s.long_trip_h if long_trip else s.day_trip_h))
    stay_h = rng.uniform(*s.port_stay_h)
    return GroupTrip(bearing, dist, trip_h * _HOUR, stay_h * _HOUR)


@dataclass(frozen=True, slots=True)
class _Goto:
    at_t: float
    target: LatLon
    hold_s: float


class Track:
    """One boat's movement. Query `fix_at(t)` with (roughly) increasing t."""

    def __init__(
        self,
        index: int,
        seed: int,
        home_port: str,
        router: Router,
        *,
        group: str = "",
        gear: str = "trawl",
        settings: MovementSettings | None = None,
    ) -> None:
        self.s = settings or MovementSettings()
        self.router = router
        self.seed = seed
        self.group = group or f"solo{index}"
        self.home = port_named(home_port).name
        self._home = PORTS[self.home]
        # Separate streams per concern keep the track identical whatever else draws numbers.
        self._rng = random.Random(f"track:{seed}:{index}")
        self._drift_share = _DRIFT_SHARE.get(gear, 0.15)
        self._trip_no = 0
        self._gotos: list[_Goto] = []
        self._waypoints: list[LatLon] = []
        self._ground: LatLon = _FALLBACK_GROUND
        self._trip_end = 0.0
        self._fish_until = 0.0
        self._leg_end = 0.0
        self._depart_at = 0.0
        self._night: bool | None = None
        self._hold_s = 0.0
        self._radius_nm = self.s.fishing_radius_nm
        self._drift_dir = self._rng.uniform(0.0, 360.0)
        self.t = 0.0
        self.lat, self.lon = self._berth()
        self.sog = 0.0
        self.cog = self._rng.uniform(0.0, 360.0)
        self.phase = _Phase.IN_PORT
        self._start()
        self._hist: deque[MoveFix] = deque(maxlen=max(2, self.s.history_steps))
        self._hist.append(self._snapshot())

    # -- public --------------------------------------------------------------------------------

    def fix_at(self, t: float) -> MoveFix:
        """The boat at simulated time t; earlier than the kept history returns its oldest fix."""
        while self._hist[-1].t < t:
            self._step()
            self._hist.append(self._snapshot())
        if t <= self._hist[0].t:
            return self._hist[0]
        prev = self._hist[0]
        for cur in self._hist:
            if cur.t >= t:
                f = (t - prev.t) / (cur.t - prev.t) if cur.t > prev.t else 1.0
                lat = prev.lat + (cur.lat - prev.lat) * f
                lon = prev.lon + (cur.lon - prev.lon) * f
                if not self.router.navigable(lat, lon):
                    # The step's ends were checked, its middle may graze a mask cell corner.
                    lat, lon = cur.lat, cur.lon
                return MoveFix(t, lat, lon, cur.sog, cur.cog, cur.state)
            prev = cur
        return self._hist[-1]  # unreachable: the loop above stepped past t

    def command_goto(self, at_t: float, lat: float, lon: float, hold_s: float) -> None:
        """From `at_t`, steam to (lat, lon) and fish there for `hold_s`, then go home."""
        self._gotos.append(_Goto(at_t, (lat, lon), hold_s))
        self._gotos.sort(key=lambda g: g.at_t)

    # -- trip planning -------------------------------------------------------------------------

    def _start(self) -> None:
        """The whole group is in the same part of its trip at t=0, each boat slightly apart."""
        mode = random.Random(f"group:{self.seed}:{self.group}:init").random()
        if mode < 0.4:
            leave = random.Random(f"g0:{self.seed}:{self.group}").uniform(0, 8) * _HOUR
            self._depart_at = self._jitter(leave)
        elif mode < 0.85:
            plan = group_trip(self.seed, self.group, 0, self.s)
            self._ground = self._pick_ground(plan)
            self.lat, self.lon = self._ground
            self.phase = _Phase.FISHING
            remaining = random.Random(f"g1:{self.seed}:{self.group}").uniform(1, 30) * _HOUR
            self._fish_until = self._trip_end = self._jitter(remaining)
            self._trip_no = 1
            self._new_leg()
        else:
            self._depart_at = self._jitter(0.0)

    def _jitter(self, t: float, spread_s: float = 1200.0) -> float:
        return max(0.0, t + self._rng.uniform(-spread_s, spread_s))

    def _berth(self) -> LatLon:
        return destination(
            self._home.lat, self._home.lon, self._rng.uniform(0, 360), self._rng.uniform(0.05, 0.3)
        )

    def _pick_ground(self, plan: GroupTrip) -> LatLon:
        lat0, lon0 = NANAO_CENTRE
        bearing, dist = plan.bearing, plan.dist_nm
        for attempt in range(12):
            glat, glon = destination(lat0, lon0, bearing, dist)
            # Each boat shoots its nets a little apart from the others of its group.
            glat, glon = destination(
                glat, glon, self._rng.uniform(0, 360), self._rng.uniform(0.0, 1.5)
            )
            if self.router.navigable(glat, glon) and self.router.reachable_from_port(
                self.home, glat, glon
            ):
                return glat, glon
            # Land or an enclosed bay there: swing round towards the open sea and try again.
            bearing = turn(bearing, 15.0 if attempt % 2 else -15.0)
            dist = max(5.0, dist * 0.9)
        return _FALLBACK_GROUND

    def _start_trip(self) -> None:
        plan = group_trip(self.seed, self.group, self._trip_no, self.s)
        self._trip_no += 1
        self._ground = self._pick_ground(plan)
        self._radius_nm = self.s.fishing_radius_nm
        self._trip_end = self.t + plan.trip_s * self._rng.uniform(0.9, 1.1)
        port = (self._home.lat, self._home.lon)
        self._waypoints = [port, *self.router.route_out(self.home, self._ground)]
        self.phase = _Phase.OUTBOUND
        self.sog = self._rng.uniform(*self.s.steam_kn)

    def _go_home(self) -> None:
        # route_home ends at the port itself; the last few cables to a berth are inside the port.
        self._waypoints = [*self.router.route_home((self.lat, self.lon), self.home), self._berth()]
        self.phase = _Phase.INBOUND
        self.sog = self._rng.uniform(*self.s.steam_kn)

    def _apply_goto(self, g: _Goto) -> None:
        if self.phase is _Phase.IN_PORT:
            port = (self._home.lat, self._home.lon)
            self._waypoints = [port, *self.router.route(port, g.target)]
        else:
            self._waypoints = self.router.route((self.lat, self.lon), g.target)
        self._ground = g.target
        self._radius_nm = self.s.goto_radius_nm
        self._trip_end = math.inf
        self._hold_s = g.hold_s
        self.phase = _Phase.GOTO
        self.sog = self._rng.uniform(*self.s.steam_kn)

    # -- stepping ------------------------------------------------------------------------------

    def _snapshot(self) -> MoveFix:
        cog = self.cog % 360.0
        # A tiny negative angle wraps to exactly 360.0 in floating point; the protocol wants < 360.
        return MoveFix(
            self.t,
            self.lat,
            self.lon,
            self.sog,
            0.0 if cog >= 360.0 else cog,
            _STATE_OF[self.phase],
        )

    def _is_night(self) -> bool:
        hour = (self.s.start_hour_local + self.t / _HOUR) % 24.0
        return hour < 6.0 or hour >= 18.0

    def _step(self) -> None:
        if self._gotos and self._gotos[0].at_t <= self.t:
            self._apply_goto(self._gotos.pop(0))
        phase = self.phase
        if phase is _Phase.IN_PORT:
            if self.t >= self._depart_at:
                self._start_trip()
                self._sail()
        elif phase in (_Phase.OUTBOUND, _Phase.INBOUND, _Phase.GOTO):
            self._sail()
        elif phase is _Phase.FISHING:
            self._fish()
        else:
            self._drift()
        self.t += self.s.step_s

    def _sail(self) -> None:
        todo = self.sog * self.s.step_s / _HOUR
        lat, lon = self.lat, self.lon
        while todo > 1e-9 and self._waypoints:
            wlat, wlon = self._waypoints[0]
            dist = haversine_nm(lat, lon, wlat, wlon)
            if dist > 1e-6:
                self.cog = initial_bearing_deg(lat, lon, wlat, wlon)
            if dist <= todo:
                lat, lon = wlat, wlon
                todo -= dist
                self._waypoints.pop(0)
            else:
                lat, lon = destination(lat, lon, self.cog, todo)
                todo = 0.0
        if not self.router.clear_line((self.lat, self.lon), (lat, lon)):
            # Routes are checked when planned; should a step still touch land, stay and replan.
            self._waypoints = self.router.route((self.lat, self.lon), self._destination())
            return
        self.lat, self.lon = lat, lon
        if not self._waypoints:
            self._arrive()

    def _destination(self) -> LatLon:
        if self.phase is _Phase.INBOUND:
            return self._home.lat, self._home.lon
        return self._ground

    def _arrive(self) -> None:
        if self.phase is _Phase.INBOUND:
            self.phase = _Phase.IN_PORT
            self.sog = 0.0
            stay = group_trip(self.seed, self.group, self._trip_no, self.s).stay_s
            self._depart_at = self._jitter(self.t + stay)
            return
        if self.phase is _Phase.GOTO:
            self._fish_until = self.t + self._hold_s
        else:
            home_transit = haversine_nm(self.lat, self.lon, self._home.lat, self._home.lon) / 7.5
            self._fish_until = max(self.t + _HOUR, self._trip_end - home_transit * _HOUR)
        self.phase = _Phase.FISHING
        self._new_leg()

    def _new_leg(self) -> None:
        if self._rng.random() < self._drift_share:
            self.phase = _Phase.DRIFTING
            self._leg_end = self.t + self._rng.uniform(*self.s.drift_leg_min) * 60.0
            self.sog = self._rng.uniform(*self.s.drift_kn)
            self.cog = turn(self._drift_dir, self._rng.uniform(-20.0, 20.0))
            return
        self.phase = _Phase.FISHING
        self._leg_end = self.t + self._rng.uniform(*self.s.trawl_leg_min) * 60.0
        gap = haversine_nm(self.lat, self.lon, *self._ground)
        if gap > self._radius_nm:
            self.cog = turn(
                initial_bearing_deg(self.lat, self.lon, *self._ground), self._rng.uniform(-30, 30)
            )
        else:
            side = 1.0 if self._rng.random() < 0.5 else -1.0
            self.cog = turn(self.cog, side * self._rng.uniform(40.0, 180.0))
        self._night = self._is_night()
        self.sog = self._rng.uniform(
            *(self.s.trawl_night_kn if self._night else self.s.trawl_day_kn)
        )

    def _fish(self) -> None:
        if self.t >= self._fish_until:
            self._go_home()
            self._sail()
            return
        if self.t >= self._leg_end or self._straying():
            self._new_leg()
            if self.phase is _Phase.DRIFTING:
                self._drift()
                return
        night = self._is_night()
        if night != self._night:  # dusk or dawn during a leg: the skipper changes speed
            self._night = night
            self.sog = self._rng.uniform(*(self.s.trawl_night_kn if night else self.s.trawl_day_kn))
        self.cog = turn(self.cog, self._rng.gauss(0.0, 2.0))  # helm and current wander
        self._move_or_turn()

    def _straying(self) -> bool:
        """Outside the ground and heading further out: time to haul and turn back."""
        if haversine_nm(self.lat, self.lon, *self._ground) <= self._radius_nm:
            return False
        back = initial_bearing_deg(self.lat, self.lon, *self._ground)
        return abs(angle_diff(self.cog, back)) > 90.0

    def _drift(self) -> None:
        if self.t >= self._leg_end:
            if self.t >= self._fish_until:
                self._go_home()
                self._sail()
                return
            self.phase = _Phase.FISHING
            self._new_leg()
            if self.phase is _Phase.FISHING:
                self._fish()
                return
        step_nm = self.sog * self.s.step_s / _HOUR
        nxt = destination(self.lat, self.lon, self.cog, step_nm)
        if self.router.clear_line((self.lat, self.lon), nxt):
            self.lat, self.lon = nxt
        else:
            self.sog = 0.0  # the anchor holds rather than drift onto the rocks

    def _move_or_turn(self) -> None:
        step_nm = self.sog * self.s.step_s / _HOUR
        here = (self.lat, self.lon)
        for delta in (0, *_TURNS):
            course = turn(self.cog, delta)
            nxt = destination(self.lat, self.lon, course, step_nm)
            if self.router.clear_line(here, nxt):
                # Prefer turning towards the ground when pushed off course by the coast.
                if delta and abs(angle_diff(course, initial_bearing_deg(*nxt, *self._ground))) > 90:
                    alt = turn(self.cog, -delta)
                    alt_nxt = destination(self.lat, self.lon, alt, step_nm)
                    if self.router.clear_line(here, alt_nxt):
                        course, nxt = alt, alt_nxt
                self.cog = course
                self.lat, self.lon = nxt
                return
        self.phase = _Phase.DRIFTING  # boxed in: lie still and let the next leg sort it out
        self.sog = 0.0
        self._leg_end = self.t + 10 * 60.0
