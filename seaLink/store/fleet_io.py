"""Fleet CSV import and export (`sealink fleet import/export`).

Three files in one folder: `grids.csv`, `coordinators.csv`, `vessels.csv`, in the format of
`seaLink.wire.fleet_csv` (which the simulators read too).
An import is an upsert by id, in one transaction: it either all lands or none of it does.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from seaLink.domain.fleetgen import CoordinatorSpec, Fleet, GridSpec
from seaLink.errors import RegistryError
from seaLink.store.db import Database
from seaLink.store.tables import Coordinator, Grid, GridCoordinator, Vessel, VesselState
from seaLink.wire.fleet_csv import (
    COORDINATOR_COLUMNS,
    GRID_COLUMNS,
    VESSEL_COLUMNS,
    VESSEL_OPTIONAL_COLUMNS,
    FleetCsvError,
    VesselSpec,
    parse_vessel,
    read_rows,
    vessel_cells,
    write_rows,
)


def write_fleet_csv(fleet: Fleet, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_rows(
        folder / "grids.csv", GRID_COLUMNS, ([g.id, g.name, g.leader_id] for g in fleet.grids)
    )
    write_rows(
        folder / "coordinators.csv",
        COORDINATOR_COLUMNS,
        ([c.id, c.name, c.phone, c.email, ";".join(c.grid_ids)] for c in fleet.coordinators),
    )
    write_rows(
        folder / "vessels.csv",
        VESSEL_COLUMNS + VESSEL_OPTIONAL_COLUMNS,
        (vessel_cells(v) for v in fleet.vessels),
    )


def read_fleet_csv(folder: Path) -> Fleet:
    """Parse and check the three files; every problem names the file and line."""
    try:
        return _read_fleet_csv(folder)
    except FleetCsvError as exc:
        raise RegistryError(str(exc)) from None


def _read_fleet_csv(folder: Path) -> Fleet:
    fleet = Fleet()
    for r in read_rows(folder / "grids.csv", GRID_COLUMNS):
        fleet.grids.append(GridSpec(r["id"].strip(), r["name"].strip(), r["leader_id"].strip()))
    grid_ids = {g.id for g in fleet.grids}
    for n, r in enumerate(read_rows(folder / "coordinators.csv", COORDINATOR_COLUMNS), start=2):
        gids = tuple(x for x in r["grid_ids"].split(";") if x)
        unknown = [g for g in gids if g not in grid_ids]
        if unknown:
            raise RegistryError(f"coordinators.csv line {n}: unknown grid {unknown[0]!r}")
        fleet.coordinators.append(CoordinatorSpec(r["id"], r["name"], r["phone"], r["email"], gids))
    seen_mmsi: set[str] = set()
    for n, r in enumerate(read_rows(folder / "vessels.csv", VESSEL_COLUMNS), start=2):
        v = parse_vessel(r, n)
        if v.grid_id not in grid_ids:
            raise RegistryError(f"vessels.csv line {n}: unknown grid {v.grid_id!r}")
        mmsi = v.mmsi
        if mmsi is not None:
            if not mmsi.isdigit() or len(mmsi) > 9:
                raise RegistryError(f"vessels.csv line {n}: MMSI {mmsi!r} is not 1-9 digits")
            mmsi = mmsi.zfill(9)
            if mmsi in seen_mmsi:
                raise RegistryError(f"vessels.csv line {n}: duplicate MMSI {mmsi}")
            seen_mmsi.add(mmsi)
        fleet.vessels.append(replace(v, mmsi=mmsi))
    return fleet


async def import_fleet(db: Database, fleet: Fleet) -> dict[str, int]:
    """Upsert grids, coordinators and vessels; create a state row for each new vessel."""
    grid_t = Grid.__table__  # type: ignore[attr-defined]
    coord_t = Coordinator.__table__  # type: ignore[attr-defined]
    gc_t = GridCoordinator.__table__  # type: ignore[attr-defined]
    vessel_t = Vessel.__table__  # type: ignore[attr-defined]
    state_t = VesselState.__table__  # type: ignore[attr-defined]

    def upsert(table: Any, rows: list[dict[str, Any]]) -> Any:
        ins = db.insert(table)
        cols = {c: getattr(ins.excluded, c) for c in rows[0] if c != "id"}  # type: ignore[attr-defined]
        return ins.on_conflict_do_update(index_elements=["id"], set_=cols)  # type: ignore[attr-defined]

    grids = [{"id": g.id, "name": g.name, "leader_id": g.leader_id or None} for g in fleet.grids]
    coords = [
        {"id": c.id, "name": c.name, "phone": c.phone, "email": c.email} for c in fleet.coordinators
    ]
    vessels = [
        {
            "id": v.id,
            "hull_name": v.hull_name,
            "mmsi": v.mmsi,
            "beidou_card": v.beidou_card,
            "grid_id": v.grid_id,
            "group_id": v.group_id,
            "home_port": v.home_port,
            "gear": v.gear,
            "persons": v.persons,
            "links": ",".join(v.links),
            "report_interval_s": v.report_interval_s,
            "beacons": ",".join(v.beacons),
        }
        for v in fleet.vessels
    ]
    async with db.engine.begin() as conn:
        if grids:
            await conn.execute(upsert(grid_t, grids), grids)
        if coords:
            await conn.execute(upsert(coord_t, coords), coords)
            ids = [c["id"] for c in coords]
            await conn.execute(delete(gc_t).where(gc_t.c.coordinator_id.in_(ids)))
            links = [
                {"grid_id": g, "coordinator_id": c.id}
                for c in fleet.coordinators
                for g in c.grid_ids
            ]
            if links:
                await conn.execute(gc_t.insert(), links)
        for start in range(0, len(vessels), 5000):
            chunk = vessels[start : start + 5000]
            await conn.execute(upsert(vessel_t, chunk), chunk)
            await conn.execute(
                db.insert_ignore(state_t),
                [{"vessel_id": v["id"], "contact_state": "unknown"} for v in chunk],
            )
    return {"grids": len(grids), "coordinators": len(coords), "vessels": len(vessels)}


async def export_fleet(db: Database) -> Fleet:
    grid_t = Grid.__table__  # type: ignore[attr-defined]
    coord_t = Coordinator.__table__  # type: ignore[attr-defined]
    gc_t = GridCoordinator.__table__  # type: ignore[attr-defined]
    vessel_t = Vessel.__table__  # type: ignore[attr-defined]
    fleet = Fleet()
    async with db.engine.connect() as conn:
        for r in (await conn.execute(select(grid_t).order_by(grid_t.c.id))).mappings():
            fleet.grids.append(GridSpec(r["id"], r["name"], r["leader_id"] or ""))
        memberships: dict[str, list[str]] = {}
        for g, c in (
            await conn.execute(
                select(gc_t.c.grid_id, gc_t.c.coordinator_id).order_by(gc_t.c.grid_id)
            )
        ).all():
            memberships.setdefault(c, []).append(g)
        for r in (await conn.execute(select(coord_t).order_by(coord_t.c.id))).mappings():
            fleet.coordinators.append(
                CoordinatorSpec(
                    r["id"], r["name"], r["phone"], r["email"], tuple(memberships.get(r["id"], []))
                )
            )
        for r in (await conn.execute(select(vessel_t).order_by(vessel_t.c.id))).mappings():
            fleet.vessels.append(
                VesselSpec(
                    r["id"],
                    r["hull_name"],
                    r["mmsi"],
                    r["beidou_card"],
                    r["grid_id"],
                    r["group_id"],
                    r["home_port"],
                    r["gear"],
                    r["persons"],
                    tuple(x for x in r["links"].split(",") if x),
                    r["report_interval_s"],
                    tuple(b for b in (r["beacons"] or "").split(",") if b),
                )
            )
    return fleet
