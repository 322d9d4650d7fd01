"""The duty roster: who is on duty for a grid, and when (a distress goes to them first)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from seaLink.clock import Clock
from seaLink.domain.roles import Principal
from seaLink.errors import Refused
from seaLink.store import duty_store
from seaLink.store.db import Database
from seaLink.store.users import audit


@dataclass(frozen=True, slots=True)
class Shift:
    grid_id: str
    coordinator_id: str
    backup_id: str | None
    starts_at: datetime
    ends_at: datetime


class DutyRoster:
    def __init__(self, *, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def shifts(self, who: Principal) -> list[dict[str, Any]]:
        return [s for s in await duty_store.shifts(self._db) if who.can_read_grid(s["grid_id"])]

    async def add(self, shift: Shift, who: Principal) -> None:
        """A shift of the reader's own grids, served by the grid's own people: a shift never
        sends a grid's distress to someone of another grid."""
        if not who.can_write_grid(shift.grid_id):
            raise Refused("forbidden", f"grid {shift.grid_id} is outside your grids")
        if shift.ends_at <= shift.starts_at:
            raise Refused("invalid_body", "ends_at must be after starts_at")
        serving = await duty_store.serving(self._db, shift.grid_id)
        if serving is None:
            raise Refused("unknown_grid", f"no grid {shift.grid_id}")
        for cid in (shift.coordinator_id, shift.backup_id):
            if cid is not None and cid not in serving:
                raise Refused(
                    "not_in_grid",
                    f"{cid} is neither a coordinator nor the leader of {shift.grid_id}",
                )
        await duty_store.add_shift(self._db, asdict(shift))
        when = f"{shift.starts_at.isoformat()} - {shift.ends_at.isoformat()}"
        await audit(self._db, ts=self._clock.now(), username=who.username, action="duty.add",
                    target=f"grid/{shift.grid_id}", detail=f"{shift.coordinator_id} {when}")  # fmt: skip
