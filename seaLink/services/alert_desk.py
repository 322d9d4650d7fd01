"""What people do with alerts, of every kind: look, acknowledge (one or many), silence, assign,
comment, resolve. Each action is checked against the person's grids, stored with its audit entry,
and announced as a domain event (every open console shows it at once; the alerting service stops
escalating an acknowledged alert). Silencing is never acknowledging: it stops the sound only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from seaLink.clock import Clock
from seaLink.domain.events import (
    AlertAcknowledged,
    AlertAssigned,
    AlertCommented,
    AlertResolved,
    AlertSilenced,
    Emit,
    alert_facts,
)
from seaLink.domain.roles import Principal
from seaLink.errors import Refused
from seaLink.services import delivery
from seaLink.store import alert_store
from seaLink.store.db import Database
from seaLink.store.users import audit, list_users

MAX_SILENCE_MIN = 60  # a silenced alarm sounds again after an hour at the most


class AlertDesk:
    def __init__(
        self, *, db: Database, clock: Clock, emit: Emit, county_desk_name: str = ""
    ) -> None:
        self._db = db
        self._clock = clock
        self._emit = emit
        self._county_desk_name = county_desk_name

    async def alert(self, alert_id: int) -> dict[str, Any]:
        """An alert with its trail (alerts are never deleted)."""
        found = await alert_store.get_alert(self._db, alert_id)
        if found is None:
            raise Refused("not_found", f"no alert {alert_id}")
        return found

    async def with_delivery(self, alert: dict[str, Any]) -> None:
        """Name who was told and where each person's notification stands (`delivery`)."""
        await delivery.describe(self._db, alert, self._county_desk_name)

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

    async def acknowledge_many(
        self, alert_ids: list[int], who: Principal, note: str
    ) -> dict[int, str]:
        """Acknowledge each alert of a filtered list: `{id: "acknowledged" | refusal code}`.
        Every id must be one of the caller's alerts (else nothing is done: not_found)."""
        ids = list(dict.fromkeys(alert_ids))
        for alert_id in ids:
            await self.visible(alert_id, who, write=True)
        results: dict[int, str] = {}
        for alert_id in ids:
            try:
                await self.acknowledge(alert_id, who, note)
                results[alert_id] = "acknowledged"
            except Refused as exc:
                results[alert_id] = exc.code
        return results

    async def silence(self, alert_id: int, who: Principal, minutes: int) -> None:
        alert = await self.visible(alert_id, who, write=True)
        now = self._clock.now()
        until = now + timedelta(minutes=max(1, min(minutes, MAX_SILENCE_MIN)))
        if not await alert_store.silence(self._db, alert_id, who.username, now, until):
            raise Refused("not_open", f"alert {alert_id} is already resolved")
        await audit(self._db, ts=now, username=who.username, action="alert.silence",
                    target=f"alert/{alert_id}", detail=until.isoformat())  # fmt: skip
        self._emit([AlertSilenced(**alert_facts(alert, now), by=who.username, until=until)])

    async def assignees(self, alert_id: int, who: Principal) -> list[dict[str, Any]]:
        """The people the alert may be given to: the enabled coordinators of its grid, then the
        enabled admins (names only: what a coordinator needs to choose, nothing of the account)."""
        alert = await self.visible(alert_id, who)
        people = [u for u in await list_users(self._db) if _may_act(u, alert["grid_id"])]
        people.sort(key=lambda u: (u["role"] != "coordinator", u["username"]))
        return [{"username": u["username"], "display_name": u["display_name"] or u["username"],
                 "role": u["role"]} for u in people]  # fmt: skip

    async def assign(self, alert_id: int, who: Principal, username: str) -> None:
        """Give the alert to a person who may act on its grid (an enabled coordinator or admin)."""
        alert = await self.visible(alert_id, who, write=True)
        grid = alert["grid_id"]
        people = {u["username"]: u for u in await list_users(self._db)}
        person = people.get(username)
        if person is None or not _may_act(person, grid):
            raise Refused("bad_assignee", f"{username!r} cannot act on grid {grid}'s alerts")
        now = self._clock.now()
        if not await alert_store.assign(self._db, alert_id, who.username, now, username):
            raise Refused("not_open", f"alert {alert_id} is already resolved")
        await audit(self._db, ts=now, username=who.username, action="alert.assign",
                    target=f"alert/{alert_id}", detail=username)  # fmt: skip
        self._emit([AlertAssigned(**alert_facts(alert, now), by=who.username, to=username)])

    async def comment(self, alert_id: int, who: Principal, text: str) -> None:
        alert = await self.visible(alert_id, who, write=True)
        now = self._clock.now()
        await alert_store.comment(self._db, alert_id, who.username, now, text)
        await audit(self._db, ts=now, username=who.username, action="alert.comment",
                    target=f"alert/{alert_id}", detail=text[:200])  # fmt: skip
        self._emit([AlertCommented(**alert_facts(alert, now), by=who.username, text=text)])


def _may_act(person: dict[str, Any], grid: str) -> bool:
    """An enabled admin, or an enabled coordinator of the grid."""
    if person["disabled"]:
        return False
    return person["role"] == "admin" or (
        person["role"] == "coordinator" and grid in person["grids"]
    )
