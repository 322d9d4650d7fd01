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
    """Seconds after raising (or after the alert's last phase change) at which each higher level
    is told, while unacknowledged."""

    steps: tuple[int, ...]  # for LEADER, COUNTY, ... in order

    def next_escalation(self, since: datetime, level: int) -> datetime | None:
        if level >= len(self.steps):
            return None
        return since + timedelta(seconds=self.steps[level])


# A lost-contact alert entering a SAR phase is told at once to everyone up to this level: its
# distress phase (DETRESFA) reaches the county desk without waiting for the chain.
PHASE_FLOOR = {"distress": Level.COUNTY}


# The typhoon recall's track checks climb on the recall's timers.
_POLICY_OF = {"recall_track": "recall", "left_port": "recall"}


def policy_key(alert_type: str) -> str:
    """`zone:7` follows the zone policy; a recall's track alerts the recall policy."""
    kind = alert_type.split(":", 1)[0]
    return _POLICY_OF.get(kind, kind)


SEVERITY_OF_TYPE = {
    "distress": "critical",
    "lost_contact": "warning",
    "maintenance": "notice",
    "zone": "warning",
    "separation": "warning",
}
