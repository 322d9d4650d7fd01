"""Rules of tracked messaging: delivery states, priorities, re-send backoff, target selection."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from seaLink.wire.geo import haversine_nm


class DeliveryState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"  # rescue task taken on
    DECLINED = "declined"  # rescue task refused
    EXPIRED = "expired"
    FAILED = "failed"


# Acknowledgements only ever move a delivery up this ladder, whatever order they arrive in.
RANK = {
    DeliveryState.QUEUED: 0,
    DeliveryState.SENT: 1,
    DeliveryState.EXPIRED: 1,
    DeliveryState.FAILED: 1,
    DeliveryState.DELIVERED: 2,
    DeliveryState.READ: 3,
    DeliveryState.ACKNOWLEDGED: 4,
    DeliveryState.ACCEPTED: 4,
    DeliveryState.DECLINED: 4,
}

# What counts as "done" for each reply expected.
DONE_RANK = {"none": 2, "read": 3, "confirm": 4}


class BroadcastKind(StrEnum):
    NOTICE = "notice"
    POLICY = "policy"
    WARNING = "warning"
    TRAINING = "training"


# Lower is more urgent; distress-related traffic (0) outranks every broadcast.
DEFAULT_PRIORITY = {
    BroadcastKind.WARNING: 1,
    BroadcastKind.NOTICE: 4,
    BroadcastKind.POLICY: 5,
    BroadcastKind.TRAINING: 7,
}
DISTRESS_PRIORITY = 0

TYPHOON_SIGNALS = ("white", "blue", "yellow", "orange", "red")

RESEND_BACKOFF_S = (60, 120, 300, 600, 1200, 1800)


def next_resend(attempts: int, now: datetime) -> datetime:
    """When to send again a message that was sent `attempts` times and is still not delivered."""
    step = RESEND_BACKOFF_S[min(max(attempts, 1), len(RESEND_BACKOFF_S)) - 1]
    return now + timedelta(seconds=step)


@dataclass(frozen=True, slots=True)
class VesselView:
    """What target selection needs to know of a vessel."""

    id: str
    grid_id: str
    group_id: str
    lat: float | None
    lon: float | None
    in_port: bool


@dataclass(frozen=True, slots=True)
class Target:
    """Who a broadcast is for. Fields combine as a union; `at_sea` then filters."""

    all: bool = False
    grids: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    vessels: tuple[str, ...] = ()
    polygon: tuple[tuple[float, float], ...] = ()  # (lon, lat) ring, WGS-84
    circle: tuple[float, float, float] | None = None  # lon, lat, radius in nmi
    at_sea: bool = False


def point_in_polygon(lon: float, lat: float, ring: Iterable[tuple[float, float]]) -> bool:
    """Ray casting on (lon, lat); fine for the small areas a coordinator draws."""
    pts = list(ring)
    inside = False
    j = len(pts) - 1
    for i in range(len(pts)):
        xi, yi = pts[i]
        xj, yj = pts[j]
        if (yi > lat) != (yj > lat):
            x_cross = (xj - xi) * (lat - yi) / ((yj - yi) or math.ulp(1.0)) + xi
            if lon < x_cross:
                inside = not inside
        j = i
    return inside


def select_targets(target: Target, vessels: Iterable[VesselView]) -> list[str]:
    chosen = []
    grids, groups, ids = set(target.grids), set(target.groups), set(target.vessels)
    for v in vessels:
        hit = (
            target.all
            or v.grid_id in grids
            or (v.group_id in groups)
            or v.id in ids
            or (
                bool(target.polygon)
                and v.lat is not None
                and v.lon is not None
                and point_in_polygon(v.lon, v.lat, target.polygon)
            )
            or (
                target.circle is not None
                and v.lat is not None
                and v.lon is not None
                and haversine_nm(v.lat, v.lon, target.circle[1], target.circle[0])
                <= target.circle[2]
            )
        )
        if (
            not hit
            and target.at_sea
            and not (grids or groups or ids or target.polygon or target.circle)
        ):
            hit = True  # "vessels at sea" alone means every vessel at sea
        if hit and target.at_sea and v.in_port:
            hit = False
        if hit:
            chosen.append(v.id)
    return chosen
