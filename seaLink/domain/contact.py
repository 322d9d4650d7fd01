"""The 24-hour contact rules: how long a vessel may stay silent before the shore must act.

One pure function, `judge`, says where a vessel stands given when it was last heard on any link,
whether it is in port and whether a typhoon signal is in force, and when to look again. The contact
watch service calls it only at those deadlines, never by scanning the fleet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ContactState(StrEnum):
    UNKNOWN = "unknown"  # never heard since registration
    OK = "ok"
    OVERDUE = "overdue"  # missed a few reports; shown, no alert yet
    LOST = "lost"  # lost-contact alert open, see `LostPhase`
    MAINTENANCE = "maintenance"  # silent in port for a day: a maintenance matter


class LostPhase(StrEnum):
    """Search-and-rescue phases of a lost-contact alert (INCERFA, ALERFA, DETRESFA)."""

    UNCERTAINTY = "uncertainty"
    ALERT = "alert"
    DISTRESS = "distress"


PHASE_SEVERITY = {
    LostPhase.UNCERTAINTY: "warning",
    LostPhase.ALERT: "major",
    LostPhase.DISTRESS: "critical",
}


@dataclass(frozen=True, slots=True)
class ContactRules:
    interval_at_sea_s: int = 600
    overdue_missed: int = 2
    lost_missed: int = 4
    alert_after_s: int = 7200
    distress_after_s: int = 14400
    in_port_maintenance_after_s: int = 86400


@dataclass(frozen=True, slots=True)
class Judgement:
    state: ContactState
    phase: LostPhase | None = None
    next_check: datetime | None = None  # when the judgement can next change without news

    @property
    def alerting(self) -> bool:
        return self.state in (ContactState.LOST, ContactState.MAINTENANCE)


def judge(
    *,
    last_heard: datetime,
    now: datetime,
    in_port: bool,
    typhoon: bool,
    rules: ContactRules,
    interval_s: int | None = None,
) -> Judgement:
    """Where a vessel stands `now`, having last been heard at `last_heard`."""
    silence = now - last_heard
    if in_port:
        maintenance = timedelta(seconds=rules.in_port_maintenance_after_s)
        if silence >= maintenance:
            return Judgement(ContactState.MAINTENANCE)
        return Judgement(ContactState.OK, next_check=last_heard + maintenance)

    interval = timedelta(seconds=interval_s or rules.interval_at_sea_s)
    overdue = interval * rules.overdue_missed
    lost = interval * rules.lost_missed
    alert = max(timedelta(seconds=rules.alert_after_s), lost)
    distress = max(timedelta(seconds=rules.distress_after_s), alert)
    if silence < overdue:
        return Judgement(ContactState.OK, next_check=last_heard + overdue)
    if silence < lost:
        return Judgement(ContactState.OVERDUE, next_check=last_heard + lost)
    if typhoon or silence >= distress:
        # While a typhoon signal is in force, a lost boat is a distress case at once.
        return Judgement(ContactState.LOST, LostPhase.DISTRESS)
    if silence < alert:
        return Judgement(ContactState.LOST, LostPhase.UNCERTAINTY, last_heard + alert)
    return Judgement(ContactState.LOST, LostPhase.ALERT, last_heard + distress)
