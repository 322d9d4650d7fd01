"""Scenario files are validated with messages naming the bad event; fleets come from CSV, from
the `sealink fleet generate` command, or from memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.fleet_csv import FleetError, generate_with_cli, read_vessels, synthetic_fleet
from simulators.routing import default_router
from simulators.scenario import (
    ScenarioError,
    load_scenario,
    parse_duration,
    parse_scenario,
    resolve,
    scenario_names,
)

HEADER = "id,hull_name,mmsi,beidou_card,grid_id,group_id,home_port,gear,persons,links,report_interval_s\n"


def test_the_shipped_scenarios_load_and_resolve_against_a_generated_fleet(tmp_path: Path) -> None:
    assert {"normal", "silence", "distress", "zone_entry", "faults"} <= set(scenario_names())
    vessels = read_vessels(generate_with_cli(60, 7, tmp_path))
    assert len(vessels) == 60
    for name in scenario_names():
        scenario = load_scenario(name)
        resolved = resolve(scenario, vessels, 7, default_router().navigable)
        assert len(resolved) == len(scenario.events)
        assert all(r.vessel_ids for r in resolved)
    assert load_scenario("normal").events == ()


def test_random_picks_are_deterministic_and_labels_pick_the_same_boat() -> None:
    vessels = synthetic_fleet(40)
    scenario = load_scenario("distress")
    a = resolve(scenario, vessels, 7)
    b = resolve(scenario, vessels, 7)
    assert [r.vessel_ids for r in a] == [r.vessel_ids for r in b]
    by_action = {(r.event.action, r.event.vessel): r.vessel_ids for r in a}
    # The man-overboard boat is the one that cancels: both events say vessel = "random:mob".
    assert by_action[("distress", "random:mob")] == by_action[("cancel_distress", "random:mob")]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[events]]\nat = "10m"\nvessel = "random"\naction = "sink"\n', "event 1"),
        ('[[events]]\nat = "10x"\nvessel = "random"\naction = "silence"\nduration = "1h"\n', "10x"),
        ('[[events]]\nat = "1m"\nvessel = "random"\naction = "silence"\n', "missing duration"),
        (
            '[[events]]\nat = "1m"\nvessel = "random"\naction = "distress"\nnature = "bored"\n',
            "nature 'bored'",
        ),
        (
            '[[events]]\nat = "1m"\nvessel = "random"\naction = "goto"\nlat = 23.3\nlon = 117.2\nspeed = 3\n',
            "unknown keys speed",
        ),
        ('[[events]]\nat = "1m"\nvessel = "no such boat!"\naction = "request"\n', "vessel"),
        ('[[events]]\nat = "1m"\nvessel = "random"\naction = "fault"\nfault = "x"\n', "fault 'x'"),
    ],
)
def test_a_bad_event_is_rejected_with_a_message_naming_it(toml: str, message: str) -> None:
    with pytest.raises(ScenarioError, match="event 1") as err:
        parse_scenario(toml, "bad.toml")
    assert message in str(err.value)
    assert "bad.toml" in str(err.value)


def test_the_second_bad_event_is_named_by_its_number_and_time() -> None:
    text = (
        '[[events]]\nat = "1m"\nvessel = "random"\naction = "request"\n'
        '[[events]]\nat = "2h"\nvessel = "random"\naction = "silence"\nduration = "-5m"\n'
    )
    with pytest.raises(ScenarioError, match=r"event 2 \(at='2h', action='silence'\)"):
        parse_scenario(text, "two.toml")


def test_targets_that_do_not_exist_or_lie_on_land_are_rejected() -> None:
    vessels = synthetic_fleet(10)
    unknown = parse_scenario('[[events]]\nat = "1m"\nvessel = "NA99999"\naction = "request"\n')
    with pytest.raises(ScenarioError, match="'NA99999' is not in the fleet"):
        resolve(unknown, vessels, 7)
    no_group = parse_scenario(
        '[[events]]\nat = "1m"\nvessel = "group:G09-F9"\naction = "request"\n'
    )
    with pytest.raises(ScenarioError, match="matches no vessel"):
        resolve(no_group, vessels, 7)
    on_land = parse_scenario(
        '[[events]]\nat = "1m"\nvessel = "random"\naction = "goto"\nlat = 23.44\nlon = 117.05\n'
    )
    with pytest.raises(ScenarioError, match="on land"):
        resolve(on_land, vessels, 7, default_router().navigable)


def test_unknown_scenario_names_list_the_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="normal"):
        load_scenario("no_such_scenario")
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n[[events]]\nat = 90\nvessel = "all"\naction = "request"\n')
    assert load_scenario(str(path)).events[0].at_s == 90.0


def test_durations() -> None:
    assert parse_duration("1h30m") == 5400.0
    assert parse_duration("1d") == 86400.0
    assert parse_duration(45) == 45.0
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_vessels_csv_is_read_and_bad_rows_name_their_line(tmp_path: Path) -> None:
    (tmp_path / "vessels.csv").write_text(
        HEADER
        + 'NA10001,粤南澳渔10001,412000001,,G01,G01-F1,云澳渔港,trawl,6,"mqtt,beidou",\n'
        + "NA10002,粤南澳渔10002,,1234567,G01,G01-F1,深澳港,gillnet,4,mqtt,300\n",
        encoding="utf-8",
    )
    v1, v2 = read_vessels(tmp_path)
    assert (v1.id, v1.hull_name, v1.links, v1.report_interval_s) == (
        "NA10001",
        "粤南澳渔10001",
        ("mqtt", "beidou"),
        None,
    )
    assert (v2.home_port, v2.gear, v2.persons, v2.report_interval_s) == (
        "深澳港",
        "gillnet",
        4,
        300,
    )

    (tmp_path / "vessels.csv").write_text(
        HEADER + "bad id!,x,,,G01,G01-F1,云澳渔港,trawl,6,mqtt,\n", encoding="utf-8"
    )
    with pytest.raises(FleetError, match="line 2"):
        read_vessels(tmp_path)


def test_a_synthetic_fleet_is_shaped_like_the_generated_one() -> None:
    vessels = synthetic_fleet(40, id_prefix="T")
    assert len({v.id for v in vessels}) == 40
    assert vessels[0].group_id == "G01-F1"
    assert len({v.grid_id for v in vessels}) == 3
