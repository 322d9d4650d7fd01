"""The Nan'ao home ports the simulator knows, and the cheap plane geometry of its small steps.

The simulator may not import the hub's port zones, so the four ports live here as a small table
(WGS-84, approximate positions from map apps; the hub's zone file agrees). Great-circle distance and
bearing are the protocol package's (`seaLink.wire.geo`), shared with the hub.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from seaLink.wire.geo import haversine_nm


@dataclass(frozen=True, slots=True)
class PortPoint:
    name: str
    lat: float
    lon: float


PORTS: dict[str, PortPoint] = {
    p.name: p
    for p in (
        PortPoint("云澳渔港", 23.405, 117.078),
        PortPoint("后宅港", 23.424, 117.019),
        PortPoint("深澳港", 23.458, 117.090),
        PortPoint("青澳湾", 23.440, 117.133),
    )
}
DEFAULT_PORT = "云澳渔港"
# Fishing grounds are spread around the island rather than around each port, so boats of one
# group from different ports still meet at sea.
NANAO_CENTRE = (23.43, 117.05)


def port_named(name: str) -> PortPoint:
    """The port of a `home_port` cell; unknown names fall back to Yun'ao (the biggest port)."""
    return PORTS.get(name.strip(), PORTS[DEFAULT_PORT])


def destination(lat: float, lon: float, course_deg: float, dist_nm: float) -> tuple[float, float]:
    """The point `dist_nm` away on `course_deg`. Flat-earth is exact enough for the short steps
    the model takes (well under a mile) and much cheaper than the great-circle formula."""
    c = math.radians(course_deg)
    dlat = dist_nm * math.cos(c) / 60.0
    dlon = dist_nm * math.sin(c) / (60.0 * math.cos(math.radians(lat + dlat / 2)))
    return lat + dlat, lon + dlon


def nearest_port_nm(lat: float, lon: float) -> float:
    return min(haversine_nm(lat, lon, p.lat, p.lon) for p in PORTS.values())


def nearest_port(lat: float, lon: float) -> PortPoint:
    return min(PORTS.values(), key=lambda p: haversine_nm(lat, lon, p.lat, p.lon))


def turn(course_deg: float, delta_deg: float) -> float:
    return (course_deg + delta_deg) % 360.0


def angle_diff(a: float, b: float) -> float:
    """Signed smallest difference b - a, in (-180, 180]."""
    d = (b - a + 180.0) % 360.0 - 180.0
    return 180.0 if d == -180.0 else d
