"""What people do with alerts, of every kind: look, acknowledge, resolve. Each action is checked
against the person's grids, stored with its audit entry, and announced as a domain event (the
console shows it at once; the alerting service stops escalating an acknowledged alert)."""

from __future__ import annotations

from typing import Any

from seaLink.clock import Clock
from seaLink.domain.events import AlertAcknowledged, AlertResolved, Emit, alert_facts
from seaLink.domain.roles import Principal
from seaLink.errors import Refused
from seaLink.store import alert_store
from seaLink.store.db import Database
from seaLink.store.users import audit


class AlertDesk:
    def __init__(self, *, db: Database, clock: Clock, emit: Emit) -> None:
        self._db = db
        self._clock = clock
        self._emit = emit

    async def visible(
        self, alert_id: int, who: Principal, *, write: bool = False
    ) -> dict[str, Any]:
        """The alert, if `who` may see it (or act on it); another grid's alert is not found."""
        alert = await alert_store.get_alert(self._db, alert_id)
        if alert is None or not (
            who.can_write_grid(alert["grid_id"]) if write else who.can_read_grid(alert["grid_id"])
        ):
            raise Refused("not_found", f"no alert {alert_id} in your grids")
        return alert

    async def acknowledge(self, alert_id: int, who: Principal, note: str) -> None:
        alert = await self.visible(alert_id, who, write=True)
        now = self._clock.now()
        if not await alert_store.acknowledge(self._db, alert_id, who.username, now, note):
            raise Refused(
                "not_open", f"alert {alert_id} is {alert['state']}, not waiting for acknowledgement"
            )
        await audit(self._db, ts=now, username=who.username, action="alert.ack",
                    target=f"alert/{alert_id}", detail=note)  # fmt: skip
        self._emit([AlertAcknowledged(**alert_facts(alert, now), by=who.username)])

    async def resolve(self, alert_id: int, who: Principal, outcome: str, note: str) -> None:
        alert = await self.visible(alert_id, who, write=True)
        now = self._clock.now()
        if not await alert_store.resolve(self._db, alert_id, who.username, now, outcome, note):
            raise Refused("not_open", f"alert {alert_id} is already resolved")
        await audit(self._db, ts=now, username=who.username, action="alert.resolve",
                    target=f"alert/{alert_id}", detail=f"{outcome} {note}")  # fmt: skip
        self._emit([AlertResolved(**alert_facts(alert, now), by=who.username, outcome=outcome)])
