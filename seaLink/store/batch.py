"""What one batch of uplinks changes, gathered before a single commit.

The pipeline fills a `BatchPlan` message by message (pure work, no I/O); the store writes it in one
transaction; only then are the uplinks acknowledged to the broker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from seaLink.wire.payloads import Fix


@dataclass(slots=True)
class Heard:
    """A sign of life from a vessel: when, over which link, and (if a live fix said) in port.

    A live fix may leave `in_port` to be looked up from where it was (`spot`): that is done once
    per vessel and batch (`BatchPlan.settle_ports`), not once per message.
    """

    at: datetime
    link: str
    in_port: bool | None = None
    spot: tuple[float, float] | None = None


@dataclass(slots=True)
class BatchPlan:
    positions: list[dict[str, Any]] = field(default_factory=list)
    latest_fix: dict[str, Fix] = field(default_factory=dict)
    heard: dict[str, Heard] = field(default_factory=dict)
    status: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    hello: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    journal: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)  # m, v, ts, state
    ack_events: list[dict[str, Any]] = field(default_factory=list)
    online: dict[str, bool] = field(default_factory=dict)  # status changes, for the outbox
    hellos: set[str] = field(default_factory=set)
    distress: list[Any] = field(default_factory=list)  # DistressItem, applied in the transaction
    distress_now: datetime | None = None
    received_at: datetime | None = None  # when the hub took the batch
    incident_logs: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    port_reports: list[dict[str, Any]] = field(default_factory=list)  # PortEvent rows
    position_keys: set[tuple[str, datetime]] = field(default_factory=set)
    in_batch_duplicates: int = 0

    def add_fix(self, vessel_id: str, fix: Fix, link: str, received_at: datetime) -> None:
        key = (vessel_id, fix.ts)
        if key in self.position_keys:
            self.in_batch_duplicates += 1
            return
        self.position_keys.add(key)
        self.positions.append(
            {
                "vessel_id": vessel_id,
                "ts": fix.ts,
                "lat": fix.lat,
                "lon": fix.lon,
                "sog": fix.sog,
                "cog": fix.cog,
                "nav_state": fix.state.value if fix.state else None,
                "backfill": fix.backfill,
                "link": link,
                "received_at": received_at,
            }
        )
        current = self.latest_fix.get(vessel_id)
        # A fix stamped ahead of the hub's clock (within the tolerance) counts as received now:
        # it must not stay the last position until the clock catches up (issue 15.8).
        if current is None or _newness(fix, received_at) > _newness(current, received_at):
            self.latest_fix[vessel_id] = fix

    def hear(self, vessel_id: str, heard: Heard) -> None:
        current = self.heard.get(vessel_id)
        if current is None or heard.at >= current.at:
            if heard.in_port is None and heard.spot is None and current is not None:
                heard.in_port, heard.spot = current.in_port, current.spot
            self.heard[vessel_id] = heard

    def settle_ports(self, in_port_at: Callable[[float, float], bool]) -> None:
        """Look up, for each vessel heard, whether its newest live fix lies in a port."""
        for heard in self.heard.values():
            if heard.in_port is None and heard.spot is not None:
                heard.in_port = in_port_at(*heard.spot)


def _newness(fix: Fix, received_at: datetime) -> tuple[datetime, datetime]:
    return (min(fix.ts, received_at), fix.ts)
