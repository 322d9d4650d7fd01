"""The registry: the Nan'ao demo fleet generator, and CSV import/export on both databases."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from seaLink.domain.fleetgen import generate_fleet
from seaLink.domain.ports import load_zones_document, ports_from_geojson
from seaLink.errors import RegistryError
from seaLink.store.db import Database
from seaLink.store.fleet_io import export_fleet, import_fleet, read_fleet_csv, write_fleet_csv

PORTS = ports_from_geojson(load_zones_document())


def test_the_demo_fleet_looks_like_nanao() -> None:
    fleet = generate_fleet(400, PORTS, seed=3)
    assert len(fleet.vessels) == 400
    assert len({v.id for v in fleet.vessels}) == 400
    assert all(re.fullmatch(r"粤南澳渔\d{5}", v.hull_name) for v in fleet.vessels)
    mmsis = [v.mmsi for v in fleet.vessels if v.mmsi]
    assert mmsis and all(m[:3] in ("412", "413", "414") and len(m) == 9 for m in mmsis)
    assert len(set(mmsis)) == len(mmsis)
    cards = [v.beidou_card for v in generate_fleet(20_000, PORTS, seed=4).vessels if v.beidou_card]
    assert len(set(cards)) == len(cards)  # unique even for a large fleet
    assert {v.home_port for v in fleet.vessels} == {p.name for p in PORTS}
    per_grid = Counter(v.grid_id for v in fleet.vessels)
    assert all(9 <= n <= 27 for n in per_grid.values()), per_grid
    assert 14 <= sum(per_grid.values()) / len(per_grid) <= 22
    per_group = Counter(v.group_id for v in fleet.vessels)
    assert all(5 <= n <= 8 for n in per_group.values()), per_group
    # every boat of a grid sails from the same port; every group sits inside one grid
    for gid in per_grid:
        assert len({v.home_port for v in fleet.vessels if v.grid_id == gid}) == 1
    assert all(v.group_id.startswith(v.grid_id + "-") for v in fleet.vessels)
    leaders = {g.leader_id for g in fleet.grids}
    assert leaders <= {c.id for c in fleet.coordinators}
    assert generate_fleet(400, PORTS, seed=3) == fleet  # deterministic for a seed


def test_beacons_survive_an_export_and_the_simulator_reads_the_same_file(tmp_path: Path) -> None:
    """One CSV schema (`seaLink.wire.fleet_csv`): the export writes the optional `beacons`
    column, the import reads it back, and the simulator reads the very same file."""
    from dataclasses import replace

    from simulators.fleet_csv import read_vessels

    fleet = generate_fleet(20, PORTS, seed=6)
    fleet.vessels[0] = replace(fleet.vessels[0], beacons=("970123456", "972000001"))
    write_fleet_csv(fleet, tmp_path)
    assert read_fleet_csv(tmp_path) == fleet
    sim = read_vessels(tmp_path)
    assert [(v.id, v.mmsi, v.links, v.report_interval_s) for v in sim] == [
        (v.id, v.mmsi, v.links, v.report_interval_s) for v in fleet.vessels
    ]


async def test_csv_round_trip_through_the_store(clean_store: str, tmp_path: Path) -> None:
    fleet = generate_fleet(60, PORTS, seed=5)
    write_fleet_csv(fleet, tmp_path / "in")
    parsed = read_fleet_csv(tmp_path / "in")
    assert parsed == fleet
    db = Database(clean_store)
    try:
        counts = await import_fleet(db, parsed)
        assert counts == {
            "grids": len(fleet.grids),
            "coordinators": len(fleet.coordinators),
            "vessels": 60,
        }
        await import_fleet(db, parsed)  # an import is an upsert: twice is the same as once
        exported = await export_fleet(db)
    finally:
        await db.dispose()
    assert sorted(exported.vessels, key=lambda v: v.id) == sorted(fleet.vessels, key=lambda v: v.id)
    assert sorted(exported.grids, key=lambda g: g.id) == sorted(fleet.grids, key=lambda g: g.id)
    write_fleet_csv(exported, tmp_path / "out")
    assert (tmp_path / "out" / "vessels.csv").read_text(encoding="utf-8").count("\n") == 61


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda t: t.replace("NA", "N A", 1), "must match"),
        (lambda t: t.replace(",G01,", ",G77,", 1), "unknown grid 'G77'"),
        (lambda t: t.replace("mqtt", "mqtt", 1).replace(",5,", ",five,", 1), "integers"),
    ],
)
def test_a_bad_vessels_csv_is_refused_with_the_line(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    fleet = generate_fleet(20, PORTS, seed=1)
    write_fleet_csv(fleet, tmp_path)
    f = tmp_path / "vessels.csv"
    f.write_text(edit(f.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(RegistryError, match=message) as info:
        read_fleet_csv(tmp_path)
    assert "vessels.csv line" in str(info.value)


def test_duplicate_mmsis_are_refused(tmp_path: Path) -> None:
    fleet = generate_fleet(30, PORTS, seed=1)
    write_fleet_csv(fleet, tmp_path)
    f = tmp_path / "vessels.csv"
    mmsis = [v.mmsi for v in fleet.vessels if v.mmsi]
    f.write_text(f.read_text(encoding="utf-8").replace(mmsis[1], mmsis[0]), encoding="utf-8")
    with pytest.raises(RegistryError, match=f"duplicate MMSI {mmsis[0]}"):
        read_fleet_csv(tmp_path)
