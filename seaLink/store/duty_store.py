"""The duty roster: shifts, and who serves a grid (its workers and its leader)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from seaLink.store.db import Database
from seaLink.store.tables import DutyShift, Grid, GridCoordinator

_duty: Any = DutyShift.__table__  # type: ignore[attr-defined]
_grid: Any = Grid.__table__  # type: ignore[attr-defined]
_gc: Any = GridCoordinator.__table__  # type: ignore[attr-defined]


async def shifts(db: Database) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(_duty).order_by(_duty.c.starts_at))).mappings().all()
    return [dict(r) for r in rows]


async def serving(db: Database, grid_id: str) -> set[str] | None:
    """Who may be put on duty for the grid (None: no such grid)."""
    async with db.engine.connect() as conn:
        grid = (await conn.execute(select(_grid.c.leader_id).where(_grid.c.id == grid_id))).first()
        if grid is None:
            return None
        found = await conn.execute(select(_gc.c.coordinator_id).where(_gc.c.grid_id == grid_id))
        workers = {r[0] for r in found.all()}
    return workers | ({grid[0]} if grid[0] else set())


async def add_shift(db: Database, shift: dict[str, Any]) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(_duty.insert().values(**shift))
