"""Who hears of an alert, and when it climbs to the next level if nobody acknowledges it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum


class Level(IntEnum):
    DUTY = 0  # the grid's on-duty coordinator (or its coordinators when no roster is set)
    LEADER = 1  # the grid leader and the backup on duty
    COUNTY = 2  # the county fisheries emergency desk


@dataclass(frozen=True, slots=True)
class Policy:
    """Seconds after raising at which each higher level is told, while unacknowledged."""

    steps: tuple[int, ...]  # for LEADER, COUNTY, ... in order

    def next_escalation(self, raised_at: datetime, level: int) -> datetime | None:
        if level >= len(self.steps):
            return None
        return raised_at + timedelta(seconds=self.steps[level])


SEVERITY_OF_TYPE = {
    "distress": "critical",
    "lost_contact": "warning",
    "maintenance": "notice",
    "zone": "warning",
    "separation": "warning",
}
