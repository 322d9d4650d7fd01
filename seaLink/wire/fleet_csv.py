"""The fleet CSV files, as `sealink fleet import/export` and the simulators read and write them.

A fleet folder holds `grids.csv`, `coordinators.csv` and `vessels.csv`: UTF-8 (a byte order mark
is accepted), a header first, columns found by name (extra columns are ignored). A vessel's
`links` and `beacons` are comma-separated in one cell, a coordinator's `grid_ids` are separated by
semicolons. `beacons` (the MMSIs of the AIS SART/MOB/EPIRB beacons carried aboard) may be left out.

One schema for the hub's registry import and the simulator's fleet, so the two cannot drift apart.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from seaLink.wire.topics import VESSEL_ID_PATTERN

GRID_COLUMNS = ("id", "name", "leader_id")
COORDINATOR_COLUMNS = ("id", "name", "phone", "email", "grid_ids")
VESSEL_COLUMNS = (
    "id",
    "hull_name",
    "mmsi",
    "beidou_card",
    "grid_id",
    "group_id",
    "home_port",
    "gear",
    "persons",
    "links",
    "report_interval_s",
)
VESSEL_OPTIONAL_COLUMNS = ("beacons",)
_VID = re.compile(VESSEL_ID_PATTERN)


class FleetCsvError(ValueError):
    """A fleet file that cannot be read; the message names the file (and line)."""


def read_rows(path: Path, columns: Sequence[str], where: str | None = None) -> list[dict[str, str]]:
    """The rows of one file (cells as text), after checking that it has `columns`; errors name
    the file as `where` (default: its name)."""
    if not path.is_file():
        raise FleetCsvError(f"missing {path.name} in {path.parent}")
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise FleetCsvError(f"{where or path.name}: missing columns {', '.join(missing)}")
        return list(reader)


def write_rows(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(rows)


def _list(cell: str | None, sep: str = ",") -> tuple[str, ...]:
    return tuple(x for x in (p.strip() for p in (cell or "").split(sep)) if x)


@dataclass(frozen=True, slots=True)
class VesselSpec:
    """One vessel of a fleet, as `vessels.csv` has it (text stripped, empty cells None)."""

    id: str
    hull_name: str
    mmsi: str | None
    beidou_card: str | None
    grid_id: str
    group_id: str
    home_port: str
    gear: str
    persons: int
    links: tuple[str, ...]
    report_interval_s: int | None = None
    beacons: tuple[str, ...] = ()  # MMSIs, nine digits


def parse_vessel(row: dict[str, str], line: int, where: str = "vessels.csv") -> VesselSpec:
    """Check and type one row; `FleetCsvError` names `where` and the line of the problem."""
    vid = row["id"].strip()
    if not _VID.match(vid):
        raise FleetCsvError(f"{where} line {line}: id {vid!r} must match {VESSEL_ID_PATTERN}")
    try:
        persons = int(row["persons"] or 0)
        interval_cell = (row["report_interval_s"] or "").strip()
        interval = int(interval_cell) if interval_cell else None
    except ValueError:
        raise FleetCsvError(
            f"{where} line {line}: persons and report_interval_s must be integers"
        ) from None
    if interval is not None and interval <= 0:
        raise FleetCsvError(f"{where} line {line}: report_interval_s must be positive")
    return VesselSpec(
        id=vid,
        hull_name=row["hull_name"].strip(),
        mmsi=row["mmsi"].strip() or None,
        beidou_card=row["beidou_card"].strip() or None,
        grid_id=row["grid_id"].strip(),
        group_id=row["group_id"].strip(),
        home_port=row["home_port"].strip(),
        gear=row["gear"].strip(),
        persons=persons,
        links=_list(row["links"]),
        report_interval_s=interval,
        beacons=tuple(b.zfill(9) for b in _list(row.get("beacons"))),
    )


def vessel_cells(v: VesselSpec) -> list[object]:
    """The cells of `VESSEL_COLUMNS + VESSEL_OPTIONAL_COLUMNS` for one vessel."""
    return [
        v.id,
        v.hull_name,
        v.mmsi or "",
        v.beidou_card or "",
        v.grid_id,
        v.group_id,
        v.home_port,
        v.gear,
        v.persons,
        ",".join(v.links),
        "" if v.report_interval_s is None else v.report_interval_s,
        ",".join(v.beacons),
    ]
