"""The console's live stream, built from domain events: the one place that turns what happened
into what an open console is sent (`EventBus`, then `api/events_ws.py`, and the other hubs' consoles
through the cluster relay)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seaLink.domain.events import (
    AlertAcknowledged,
    AlertAssigned,
    AlertCommented,
    AlertEscalated,
    AlertFacts,
    AlertPhaseChanged,
    AlertRaised,
    AlertResolved,
    AlertSilenced,
    ContactChanged,
    DistressCancelRequested,
    DistressRaised,
    DistressRepeated,
    IncidentLogged,
    PositionsStored,
)
from seaLink.services.events import EventBus
from seaLink.services.registry import RegistryCache
from seaLink.texts import Phrase, in_every_language

_ALERT_ACTION: dict[type, str] = {
    AlertRaised: "raised",
    AlertPhaseChanged: "phase",
    AlertEscalated: "escalated",
    AlertAcknowledged: "acknowledged",
    AlertResolved: "resolved",
    AlertSilenced: "silenced",
    AlertAssigned: "assigned",
    AlertCommented: "commented",
}
_DISTRESS_ACTION = {
    DistressRaised: "raised",
    DistressRepeated: "repeat",
    DistressCancelRequested: "cancel_requested",
}


class LiveView:
    def __init__(
        self,
        events: EventBus,
        registry: RegistryCache,
        incident_grid: Callable[[int], str | None],
    ) -> None:
        self._events = events
        self._registry = registry
        self._incident_grid = incident_grid

    def positions(self, ev: PositionsStored) -> None:
        for fix in ev.latest:
            info = self._registry.get(fix.vessel_id)
            self._events.publish(
                "position",
                {
                    "vessel_id": fix.vessel_id,
                    "grid_id": info.grid_id if info else None,
                    "ts": fix.ts.isoformat(),
                    "lat": fix.lat,
                    "lon": fix.lon,
                    "sog": fix.sog,
                    "cog": fix.cog,
                    "backfill": fix.backfill,
                    "state": fix.nav_state,
                },
                volatile=True,
            )

    def distress(self, ev: DistressRaised | DistressRepeated | DistressCancelRequested) -> None:
        action = _DISTRESS_ACTION[type(ev)]
        self._events.publish(
            "alert",
            {
                "alert_id": ev.alert_id,
                "vessel_id": ev.vessel_id,
                "grid_id": ev.grid_id,
                "type": "distress",
                "action": action,
                "phase": "distress",
                "severity": "critical",
                "incident_id": ev.incident_id,
                "sound": action == "raised",
                "exercise": ev.exercise,
                "at": ev.at.isoformat(),
            },
        )

    def alert(self, ev: AlertFacts) -> None:
        """Every alert event of every kind, as the console's `alert` event."""
        data: dict[str, Any] = {
            "alert_id": ev.alert_id,
            "vessel_id": ev.vessel_id,
            "grid_id": ev.grid_id,
            "type": ev.type,
            "action": _ALERT_ACTION[type(ev)],
            "phase": ev.phase,
            "severity": ev.severity,
            "at": ev.at.isoformat(),
            "exercise": ev.exercise,
        }
        if isinstance(ev, AlertEscalated):
            data["level"] = ev.level
        elif isinstance(ev, AlertAcknowledged):
            data["by"] = ev.by
        elif isinstance(ev, AlertResolved):
            data["by"], data["outcome"] = ev.by, ev.outcome
        elif isinstance(ev, AlertSilenced):
            data["by"] = ev.by
            data["until"] = ev.until.isoformat() if ev.until else None
        elif isinstance(ev, AlertAssigned):
            data["by"], data["to"] = ev.by, ev.to
        elif isinstance(ev, AlertCommented):
            data["by"], data["text"] = ev.by, ev.text
        self._events.publish("alert", data)

    def contact(self, ev: ContactChanged) -> None:
        self._events.publish(
            "contact",
            {
                "vessel_id": ev.vessel_id,
                "grid_id": ev.grid_id,
                "state": ev.state,
                "phase": ev.phase,
                "at": ev.at.isoformat(),
                "last_heard": ev.last_heard.isoformat() if ev.last_heard else None,
            },
        )

    def incident_log(self, ev: IncidentLogged) -> None:
        grid = self._incident_grid(ev.incident_id)
        self._events.publish(
            "incident_log",
            {
                "incident_id": ev.incident_id,
                "ts": ev.ts.isoformat(),
                "actor": ev.actor,
                "kind": ev.kind,
                "text": ev.text,
                "texts": in_every_language(Phrase.from_json(ev.phrase) if ev.phrase else ev.text),
                "grid_ids": [grid] if grid else [],
            },
        )
