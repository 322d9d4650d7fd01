"""What happened, as typed domain events: the step that commits a change returns them, and the
hub's one table of routes (`seaLink/services/event_routes.py`) hands each to those who act on it.

Events are plain frozen values with UTC times. `encode` / `decode` carry them between hubs (the
same JSON the console's live stream is built from, by `seaLink/services/live_view.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import TypeAdapter

# -- from ingest -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VesselHeard:
    """A sign of life: the newest of the batch for this vessel (a live fix, hello, ack, ...)."""

    vessel_id: str
    at: datetime
    link: str
    in_port: bool | None = None


@dataclass(frozen=True, slots=True)
class LinkStatusChanged:
    """The vessel's retained MQTT status (or its will): online or offline."""

    vessel_id: str
    online: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class TerminalHello:
    """The terminal (re)connected and asks for what is pending."""

    vessel_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StoredFix:
    vessel_id: str
    ts: datetime
    lat: float
    lon: float
    sog: float | None = None
    cog: float | None = None
    nav_state: str | None = None
    backfill: bool = False


@dataclass(frozen=True, slots=True)
class PositionsStored:
    """Fixes committed (history and live), and each vessel's newest among them."""

    fixes: tuple[StoredFix, ...]
    latest: tuple[StoredFix, ...]


@dataclass(frozen=True, slots=True)
class AcksApplied:
    """Acknowledgements of down messages were applied to their deliveries (their states)."""

    states: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DistressRaised:
    """A new distress alert and its incident (stored with the distress_ack for the boat)."""

    alert_id: int
    incident_id: int | None
    vessel_id: str
    grid_id: str
    at: datetime
    exercise: bool = False


@dataclass(frozen=True, slots=True)
class DistressRepeated:
    """The boat repeated (or updated) a distress whose alert is open."""

    alert_id: int
    incident_id: int | None
    vessel_id: str
    grid_id: str
    at: datetime
    exercise: bool = False


@dataclass(frozen=True, slots=True)
class DistressCancelRequested:
    alert_id: int
    incident_id: int | None
    vessel_id: str
    grid_id: str
    at: datetime
    exercise: bool = False


@dataclass(frozen=True, slots=True)
class DistressReceiptQueued:
    """A receipt (`distress_ack`) waits in the outbox for the boat: send it now."""

    vessel_id: str


@dataclass(frozen=True, slots=True)
class RequestArrived:
    request_id: int
    grid_id: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class PortReport:
    """A terminal's port entry or exit report, as stored (`port_event`)."""

    vessel_id: str
    report_id: str
    grid_id: str
    port: str
    kind: str  # in / out
    ts: datetime
    lat: float | None
    lon: float | None


@dataclass(frozen=True, slots=True)
class PortReported:
    """Terminal port reports stored for the first time (not their redeliveries)."""

    reports: tuple[PortReport, ...]


@dataclass(frozen=True, slots=True)
class IncidentLogged:
    incident_id: int
    ts: datetime
    actor: str
    kind: str
    text: str
    phrase: str | None = None  # the text as a catalogue phrase (JSON), worded for each reader


@dataclass(frozen=True, slots=True)
class BeidouResultsArrived:
    """A Beidou gateway reported the outcome of sends: the outbox looks at them."""


# -- alerts (any kind), contact states ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What every alert event says of its alert."""

    alert_id: int
    vessel_id: str | None
    grid_id: str
    type: str  # distress / lost_contact / maintenance / zone / separation / recall / ...
    phase: str | None
    severity: str
    at: datetime
    exercise: bool = False  # a drill (演练)


def alert_facts(alert: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The facts of a stored alert (as the alert store reads it), for any alert event."""
    return {
        "alert_id": int(alert["id"]), "vessel_id": alert["vessel_id"],
        "grid_id": alert["grid_id"], "type": alert["type"], "phase": alert["phase"],
        "severity": alert["severity"], "at": at, "exercise": bool(alert.get("exercise")),
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class AlertRaised(AlertFacts):
    pass


@dataclass(frozen=True, slots=True)
class AlertPhaseChanged(AlertFacts):
    """A lost-contact alert moved through the SAR phases (uncertainty -> alert -> distress)."""


@dataclass(frozen=True, slots=True)
class AlertEscalated(AlertFacts):
    level: int = 0


@dataclass(frozen=True, slots=True)
class AlertAcknowledged(AlertFacts):
    by: str = ""


@dataclass(frozen=True, slots=True)
class AlertResolved(AlertFacts):
    by: str = ""  # a person, or "system" (the vessel was heard again, left the zone, ...)
    outcome: str = ""


@dataclass(frozen=True, slots=True)
class AlertSilenced(AlertFacts):
    by: str = ""
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertAssigned(AlertFacts):
    by: str = ""
    to: str = ""


@dataclass(frozen=True, slots=True)
class AlertCommented(AlertFacts):
    by: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class ContactChanged:
    vessel_id: str
    grid_id: str
    state: str
    phase: str | None
    at: datetime
    last_heard: datetime | None


DomainEvent = (
    VesselHeard
    | LinkStatusChanged
    | TerminalHello
    | PositionsStored
    | AcksApplied
    | DistressRaised
    | DistressRepeated
    | DistressCancelRequested
    | DistressReceiptQueued
    | RequestArrived
    | PortReported
    | IncidentLogged
    | BeidouResultsArrived
    | AlertRaised
    | AlertPhaseChanged
    | AlertEscalated
    | AlertAcknowledged
    | AlertResolved
    | AlertSilenced
    | AlertAssigned
    | AlertCommented
    | ContactChanged
)

# What a service is given to announce the events it committed (the router's `dispatch`).
Emit = Callable[[Sequence[DomainEvent]], None]

ALERT_EVENTS = (
    AlertRaised, AlertPhaseChanged, AlertEscalated, AlertAcknowledged, AlertResolved,
    AlertSilenced, AlertAssigned, AlertCommented,
)  # fmt: skip

_TYPES: dict[str, type[Any]] = {
    t.__name__: t
    for t in (
        VesselHeard,
        LinkStatusChanged,
        TerminalHello,
        PositionsStored,
        AcksApplied,
        DistressRaised,
        DistressRepeated,
        DistressCancelRequested,
        DistressReceiptQueued,
        RequestArrived,
        PortReported,
        IncidentLogged,
        BeidouResultsArrived,
        *ALERT_EVENTS,
        ContactChanged,
    )
}


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    return TypeAdapter(_TYPES[name])


def to_json(event: DomainEvent) -> dict[str, Any]:
    name = type(event).__name__
    return {"t": name, "d": _adapter(name).dump_python(event, mode="json")}


def from_json(doc: dict[str, Any]) -> DomainEvent:
    """Raises KeyError / ValueError on what is not an event."""
    result: DomainEvent = _adapter(doc["t"]).validate_python(doc["d"])
    return result


def encode(events: list[DomainEvent], origin: str) -> bytes:
    doc = {"hub": origin, "events": [to_json(e) for e in events]}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def decode(data: bytes) -> tuple[str, list[DomainEvent]]:
    """The sending hub and its events (raises ValueError / KeyError / TypeError on junk)."""
    doc = json.loads(data)
    return str(doc["hub"]), [from_json(e) for e in doc["events"]]
