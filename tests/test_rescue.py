"""Rescue coordination: nearest boats (checked against hand-computed great circles), tasking and
replies in the incident log, the SITREP short form, and the CAP 1.2 export."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update

from seaLink.domain.cap import CAP_NS
from seaLink.domain.fleetgen import Fleet
from seaLink.domain.rescue import Candidate, SurpicRules, nearest_ready, rank
from seaLink.domain.roles import Role
from seaLink.services.auth import hash_password
from seaLink.services.rescue import RescueService
from seaLink.settings import AlertingSettings
from seaLink.store import users
from seaLink.store.fleet_io import import_fleet
from seaLink.store.queries import count_positions
from seaLink.store.tables import Vessel
from seaLink.wire.fleet_csv import VesselSpec
from tests.test_broadcasts import nothing_received, online, receive
from tests.test_distress import _get, _post, clock, distress, setup  # noqa: F401  (fixtures)
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel, announce_gateway

NOW = datetime(2026, 7, 12, 16, 40, tzinfo=UTC)
SCENE = (23.0, 117.5)

# The rule, as docs/operations.md section 9 states it: the truth below is
# computed here from these numbers, never by the code under test.
R_NM = 3440.065  # mean Earth radius, nautical miles
TRANSIT_KN = 7.0  # a small fishing boat heading to help
STALE_MIN = 60.0  # alerting.nearest_stale_fix_s / 60
TIE_MIN = 1.0  # ETAs closer than this are a tie, won by the distress boat's group mate


def gc_nm(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the haversine formula, written out here."""
    p1, p2, dp, dl = (math.radians(x) for x in (lat1, lat2, lat2 - lat1, lon2 - lon1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R_NM * math.asin(math.sqrt(h))


def eta_min(nm: float) -> float:
    return nm / TRANSIT_KN * 60


def c(id_: str, lat: float, lon: float, *, group: str = "G9-F1", sog: float | None = None,
      cog: float | None = None, age_min: float = 1.0, reachable: bool = True,
      source: str = "sealink") -> Candidate:  # fmt: skip
    return Candidate(
        id_, f"粤南澳渔{id_}", group, lat, lon, sog, cog, NOW - timedelta(minutes=age_min), source,
        reachable,
    )  # fmt: skip


def test_distances_bearings_and_dead_reckoning_match_hand_computed_values() -> None:
    # Distances to 23.0N 117.5E worked out by the spherical law of cosines (R = 3440.065 nmi):
    #   A 23.0N 117.0E: 27.634   B 23.5N 117.5E: 30.020   D 23.3N 117.9E: 28.497
    #   C 22.8N 117.6E steaming north at 6 kn, fix 20 min old: now at 22.8333N -> 11.433
    #   E 23.02N 117.48E, but its fix is 3 h old: 1.632, stale
    boats = [
        c("A", 23.0, 117.0), c("B", 23.5, 117.5), c("C", 22.8, 117.6, sog=6.0, cog=0.0, age_min=20),
        c("D", 23.3, 117.9, group="G1-F2"), c("E", 23.02, 117.48, age_min=180), c("X", 23.0, 117.5),
    ]  # fmt: skip
    ranked = rank(*SCENE, boats, NOW, own_group="G1-F2", exclude={"X"})
    # By ETA; D, a group mate, arrives 7.4 min after A: no tie, so A first. E (stale) apart, last.
    assert [r.id for r in ranked] == ["C", "A", "D", "B", "E"]
    by_id = {r.id: r for r in ranked}
    for vid, nm in {"A": 27.634, "B": 30.020, "C": 11.433, "D": 28.497, "E": 1.632}.items():
        assert by_id[vid].distance_nm == pytest.approx(nm, abs=0.01), vid
    assert by_id["A"].eta_min == pytest.approx(27.634 / 7 * 60, abs=0.1)
    assert by_id["A"].bearing_deg == pytest.approx(89.9, abs=0.2)  # due east to the scene
    assert by_id["E"].stale and not by_id["A"].stale
    assert by_id["E"].apart == ("stale_fix",) and not by_id["E"].ready
    assert by_id["D"].same_group and not by_id["A"].same_group
    # Dead reckoning is capped at 30 min of travel, however old the fix.
    old = rank(*SCENE, [c("C", 22.8, 117.6, sog=6.0, cog=0.0, age_min=120)], NOW)[0]
    assert old.lat == pytest.approx(22.8 + 3 / 60, abs=1e-4)


def test_nearest_two_are_the_boats_arriving_first_not_the_distress_boats_far_group() -> None:
    """Issue 13: a distress at 23.30N 117.60E; the boat's group mates 27 nmi away, two strangers
    3 nmi away, and closer still, boats that must not be tasked: a fix 61 min old, a boat no link
    reaches, an AIS ship without a SeaLink terminal."""
    scene = (23.30, 117.60)
    mates = "G01-F1"
    boats = [
        c("M1", 23.30, 117.11, group=mates), c("M2", 23.25, 117.12, group=mates),
        c("S1", 23.35, 117.60, group="G02-F1"), c("S2", 23.30, 117.663, group="G03-F2"),
        # A mate 6 nmi south steaming north at 6 kn; its fix is 20 min old: 2 nmi closer by now.
        c("D", 23.20, 117.60, group=mates, sog=6.0, cog=0.0, age_min=20),
        c("Y", 23.30, 117.70, group="G02-F2", age_min=59),  # 59 min: still fresh
        c("T", 23.32, 117.60, group=mates, age_min=61),  # stale
        c("U", 23.31, 117.60, group=mates, reachable=False),  # no link now
        c("W", 23.30, 117.61, group="", reachable=False, source="ais"),  # AIS only
        c("X", 23.30, 117.60, group=mates),  # the boat in distress
    ]  # fmt: skip
    # The truth, from the scenario: where each boat is now, and its ETA at 7 kn.
    now_at = {b.id: (b.lat, b.lon) for b in boats}
    now_at["D"] = (23.20 + 6.0 * (20 / 60) / 60, 117.60)  # due north: 2 nmi = 2/60 degree
    eta = {k: eta_min(gc_nm(*v, *scene)) for k, v in now_at.items()}
    ready = ["M1", "M2", "S1", "S2", "D", "Y"]
    expected = sorted(ready, key=eta.__getitem__)
    gaps = [eta[b] - eta[a] for a, b in itertools.pairwise(expected)]
    assert min(gaps) > TIE_MIN  # no tie here: the order is by ETA alone
    assert expected[:2] == ["S1", "S2"] and eta["M2"] > 200  # the layout

    ranked = rank(*scene, boats, NOW, own_group=mates, exclude={"X"})
    assert [r.id for r in nearest_ready(ranked, 2)] == ["S1", "S2"]
    assert [r.id for r in ranked if r.ready] == expected
    by_id = {r.id: r for r in ranked}
    for vid, minutes in eta.items():
        if vid != "X":
            assert by_id[vid].eta_min == pytest.approx(minutes, abs=0.05), vid
    # Listed apart, after every ready boat, by ETA, each with its reason and fix age.
    assert [r.id for r in ranked[len(ready) :]] == sorted(["T", "U", "W"], key=eta.__getitem__)
    assert by_id["T"].apart == ("stale_fix",) and by_id["T"].fix_age_min == pytest.approx(61)
    assert by_id["U"].apart == ("no_link",) and by_id["W"].apart == ("ais_only",)
    assert "X" not in by_id
    # A shorter stale limit (the setting) moves Y apart too.
    strict = rank(*scene, boats, NOW, own_group=mates, exclude={"X"},
                  rules=SurpicRules(stale_after_min=45))  # fmt: skip
    assert {r.id for r in strict if not r.ready} == {"T", "U", "W", "Y"}


def test_a_group_mate_wins_only_a_tie() -> None:
    scene = (23.30, 117.60)
    north = lambda nm: scene[0] + nm / 60  # noqa: E731  (due north of the scene)
    # Mate 0.5 min behind a stranger: a tie, the mate first. Mate 1.5 min behind: the stranger.
    for behind, first in ((0.5, "MATE"), (1.5, "STRANGER")):
        boats = [
            c("STRANGER", north(2.0), scene[1], group="G02-F1"),
            c("MATE", north(2.0 + behind * TRANSIT_KN / 60), scene[1], group="G01-F1"),
        ]
        gap = eta_min(gc_nm(boats[1].lat, boats[1].lon, *scene)) - eta_min(
            gc_nm(boats[0].lat, boats[0].lon, *scene)
        )
        assert gap == pytest.approx(behind, abs=0.01)
        ranked = rank(*scene, boats, NOW, own_group="G01-F1")
        assert [r.id for r in nearest_ready(ranked, 1)] == [first], behind
    # A stale or unreachable mate wins nothing, however close.
    boats = [
        c("STRANGER", north(2.0), scene[1], group="G02-F1"),
        c("OLD", north(0.5), scene[1], group="G01-F1", age_min=STALE_MIN + 1),
        c("DEAF", north(0.4), scene[1], group="G01-F1", reachable=False),
    ]
    ranked = rank(*scene, boats, NOW, own_group="G01-F1")
    assert [r.id for r in nearest_ready(ranked, 2)] == ["STRANGER"]


def test_the_stale_limit_is_the_setting() -> None:
    settings = AlertingSettings(nearest_stale_fix_s=1800)
    service = RescueService(db=None, clock=None, outbox=None, settings=settings)  # type: ignore[arg-type]
    assert service.rules.stale_after_min == 30
    assert AlertingSettings().nearest_stale_fix_s == STALE_MIN * 60


def test_no_boat_is_passed_over_by_one_arriving_later_than_a_tie_random_layouts() -> None:
    rnd = random.Random(13)
    scene = (23.30, 117.60)
    for _ in range(300):
        boats = [
            c(f"B{i}", scene[0] + rnd.uniform(-0.3, 0.3), scene[1] + rnd.uniform(-0.3, 0.3),
              group=rnd.choice(["G01-F1", "G02-F1", "G03-F1"]),
              sog=rnd.choice([None, 0.0, 3.0, 8.0]), cog=rnd.uniform(0, 359.9),
              age_min=rnd.uniform(0, 90), reachable=rnd.random() > 0.2)
            for i in range(rnd.randint(1, 12))
        ]  # fmt: skip
        ranked = rank(*scene, boats, NOW, own_group="G01-F1", limit=50)
        ages = {b.id: 60 * (NOW - b.fix_ts).total_seconds() / 3600 for b in boats}
        fit = {b.id for b in boats if b.reachable and ages[b.id] <= STALE_MIN}
        assert [r.id for r in ranked if r.ready] == [r.id for r in ranked[: len(fit)]]
        assert {r.id for r in ranked if r.ready} == fit
        ready = [r for r in ranked if r.ready]
        for i, a in enumerate(ready):
            for b in ready[i + 1 :]:
                assert a.eta_min < b.eta_min + TIE_MIN + 1e-9
                if a.eta_min > b.eta_min:  # passed over: only by a group mate, within a tie
                    assert a.same_group and not b.same_group
        apart = [r.eta_min for r in ranked if not r.ready]
        assert apart == sorted(apart)
        assert nearest_ready(ranked, 2) == ready[:2]


async def test_tasking_the_nearest_boats_and_their_replies_in_the_log_sitrep_and_cap(
    setup: tuple[Any, str, dict[str, str], Any],  # noqa: F811
) -> None:
    hub, base, h, _outside = setup
    now = hub.clock.now
    boats = {vid: online(hub, vid, hub.clock) for vid in ("V1", "V2", "V3", "V4")}
    spots = {"V2": (23.05, 117.55), "V3": (23.20, 117.70), "V4": (23.02, 117.52)}
    try:
        for vid, (lat, lon) in spots.items():
            boats[vid].publish(
                "position",
                {"ts": now().isoformat(), "lat": lat, "lon": lon, "sog": 0.5, "cog": 10},
            )
        await wait_for(lambda: _all_reachable(hub, list(boats)))
        boats["V1"].publish("distress", distress(hub.clock, lat=23.0, lon=117.5))
        await asyncio.to_thread(boats["V1"].received.get, True, 10)
        await hub.drained()
        alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
        iid = next(a for a in alerts if a["type"] == "distress")["incident_id"]

        nearest = (await _get(base, h, f"/api/v1/incidents/{iid}/nearest"))["vessels"]
        # By time to the scene: V4 (another grid, 1.6 nmi) before V2 and V3 of V1's own group.
        order = sorted(spots, key=lambda v: gc_nm(*spots[v], 23.0, 117.5))
        assert order == ["V4", "V2", "V3"]
        assert [v["id"] for v in nearest] == order
        started = asyncio.get_running_loop().time()
        status, tasked = await _post(base, h, f"/api/v1/incidents/{iid}/task", {"top": 2})
        assert status == 201 and tasked["tasked"] == ["V4", "V2"]
        tasks = {
            vid: await asyncio.to_thread(boats[vid].received.get, True, 10) for vid in ("V4", "V2")
        }
        elapsed = asyncio.get_running_loop().time() - started
        assert elapsed < 5, f"tasked boats got the order {elapsed:.1f}s after the action"
        assert tasks["V4"]["kind"] == "rescue_task" and tasks["V4"]["scene"] == {
            "lat": 23.0,
            "lon": 117.5,
        }
        boats["V4"].publish(
            "ack",
            {
                "msg_id": tasks["V4"]["msg_id"],
                "state": "accepted",
                "eta_min": 25,
                "ts": now().isoformat(),
            },
        )
        boats["V2"].publish(
            "ack",
            {
                "msg_id": tasks["V2"]["msg_id"],
                "state": "declined",
                "text": "网具缠车",
                "ts": now().isoformat(),
            },
        )

        async def both_answers_logged() -> bool:
            log = (await _get(base, h, f"/api/v1/incidents/{iid}"))["log"]
            return {"task_accepted", "task_declined"} <= {e["kind"] for e in log}

        await wait_for(both_answers_logged)
        log = (await _get(base, h, f"/api/v1/incidents/{iid}"))["log"]
        kinds = [e["kind"] for e in log]
        assert (
            kinds[:2] == ["alarm", "tasked"]
            and "task_accepted" in kinds
            and "task_declined" in kinds
        )
        assert any("预计 25 分钟" in e["text"] for e in log)
        # Who was tasked and what each answered, as the incident page shows it.
        tasked_boats = (await _get(base, h, f"/api/v1/incidents/{iid}"))["tasks"]
        assert [(t["vessel_id"], t["answer"], t["eta_min"]) for t in tasked_boats] == [
            ("V4", "accepted", 25), ("V2", "declined", None),
        ]  # fmt: skip
        assert tasked_boats[0]["hull_name"] == "粤南澳渔00004"

        status, rep = await _post(base, h, f"/api/v1/incidents/{iid}/sitrep", {})
        text = rep["text"]
        assert status == 201 and text.startswith("SITREP 001")
        for line in (
            "A 识别 IDENTITY",
            "B 位置 POSITION: 23°00.00′N 117°30.00′E",
            "C 情况 SITUATION: 进水",
            "D 遇险人员 PERSONS AT RISK: 6",
            "E 所需援助",
            "F 协调中心",
        ):
            assert line in text, line
        assert "粤南澳渔00004（已接受）" in text and "粤南澳渔00002（已拒绝）" in text
        assert (await _post(base, h, f"/api/v1/incidents/{iid}/sitrep", {}))[1]["text"].startswith(
            "SITREP 002"
        )

        async with aiohttp.ClientSession(headers=h) as s:
            r = await s.get(f"{base}/api/v1/incidents/{iid}/cap")
            assert r.content_type == "application/cap+xml"
            check_cap_1_2(await r.text())
    finally:
        for b in boats.values():
            b.close()


def check_cap_1_2(xml: str) -> None:
    """The CAP 1.2 structure (OASIS CAP v1.2, section 3): required elements, order, values."""
    root = ET.fromstring(xml.encode())
    ns = {"c": CAP_NS}
    assert root.tag == f"{{{CAP_NS}}}alert"
    order = [el.tag.split("}")[1] for el in root]
    required = ["identifier", "sender", "sent", "status", "msgType", "scope"]
    assert [t for t in order if t in required] == required
    assert order.index("info") > order.index("scope")
    sent = root.findtext("c:sent", namespaces=ns) or ""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", sent), sent
    assert root.findtext("c:status", namespaces=ns) in {
        "Actual",
        "Exercise",
        "System",
        "Test",
        "Draft",
    }
    assert root.findtext("c:msgType", namespaces=ns) in {
        "Alert",
        "Update",
        "Cancel",
        "Ack",
        "Error",
    }
    scope = root.findtext("c:scope", namespaces=ns)
    assert scope in {"Public", "Restricted", "Private"}
    if scope == "Restricted":
        assert root.findtext("c:restriction", namespaces=ns)
    info = root.find("c:info", ns)
    assert info is not None
    info_order = [el.tag.split("}")[1] for el in info]
    for tag in ("category", "event", "urgency", "severity", "certainty"):
        assert tag in info_order, tag
    assert info_order.index("event") > info_order.index("category")
    assert (
        info_order.index("certainty") > info_order.index("severity") > info_order.index("urgency")
    )
    assert {e.text for e in info.findall("c:category", ns)} <= {
        "Geo",
        "Met",
        "Safety",
        "Security",
        "Rescue",
        "Fire",
        "Health",
        "Env",
        "Transport",
        "Infra",
        "CBRNE",
        "Other",
    }
    assert info.findtext("c:urgency", namespaces=ns) in {
        "Immediate",
        "Expected",
        "Future",
        "Past",
        "Unknown",
    }
    assert info.findtext("c:severity", namespaces=ns) in {
        "Extreme",
        "Severe",
        "Moderate",
        "Minor",
        "Unknown",
    }
    assert info.findtext("c:certainty", namespaces=ns) in {
        "Observed",
        "Likely",
        "Possible",
        "Unlikely",
        "Unknown",
    }
    area = info.find("c:area", ns)
    assert area is not None and area.findtext("c:areaDesc", namespaces=ns)
    circle = area.findtext("c:circle", namespaces=ns) or ""
    assert re.fullmatch(r"-?\d+(\.\d+)?,-?\d+(\.\d+)? \d+(\.\d+)?", circle), circle


async def _all_reachable(hub: Any, vids: list[str]) -> bool:
    return all(hub.outbox.reachable(v, hub.clock.now()) for v in vids)


# -- On the hub, SQLite and PostgreSQL -------------------------------------------------------------

_vessel: Any = Vessel.__table__  # type: ignore[attr-defined]


async def register(hub: Any, *boats: tuple[str, str, str]) -> None:
    """More boats for the test fleet: (id, grid, fishing group)."""
    specs = [
        VesselSpec(vid, f"粤南澳渔0000{vid[1:]}", None, None, grid, group, "云澳渔港", "trawl", 5,
                   ("mqtt",))
        for vid, grid, group in boats
    ]  # fmt: skip
    await import_fleet(hub.db, Fleet([], [], specs))
    await hub.registry.load()


async def at_sea(hub: Any, spots: dict[str, tuple[float, float, float]]) -> dict[str, TestVessel]:
    """Each boat online with one fix: (lat, lon, minutes old); once its fix is stored."""
    boats = {vid: online(hub, vid, hub.clock) for vid in spots}
    for vid, (lat, lon, age) in spots.items():
        ts = hub.clock.now() - timedelta(minutes=age)
        boats[vid].publish("position", {"ts": ts.isoformat(), "lat": lat, "lon": lon, "sog": 0.0})

    async def stored() -> bool:
        return all([await count_positions(hub.db, vid) >= 1 for vid in spots])

    await wait_for(stored)
    await wait_for(lambda: _all_reachable(hub, list(spots)))
    return boats


async def gone_offline(hub: Any, boat: TestVessel) -> None:
    """The boat's terminal says it is offline (as its will would): no link reaches it now."""
    topic = boat.topics.status(boat.vessel_id)
    boat.client.publish(topic, b"offline", qos=1, retain=True).wait_for_publish(10)

    async def unreachable() -> bool:
        return hub.outbox.link_now(boat.vessel_id, hub.clock.now()) is None

    await wait_for(unreachable)


async def raise_distress(hub: Any, base: str, h: dict[str, str], boat: TestVessel,
                         lat: float, lon: float) -> int:  # fmt: skip
    boat.publish("distress", distress(hub.clock, lat=lat, lon=lon))

    async def opened() -> bool:
        alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
        return any(a["type"] == "distress" and a["incident_id"] for a in alerts)

    await wait_for(opened)
    alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
    return int(next(a for a in alerts if a["type"] == "distress")["incident_id"])


async def test_nearest_two_on_the_hub_are_the_strangers_close_by_not_the_group_27_nmi_away(
    setup: tuple[Any, str, dict[str, str], Any],  # noqa: F811
) -> None:
    """Issue 13 on the hub: V1 (group G01-F1) calls a distress at 23.30N 117.60E. Its group mates
    V2 and V3 are 27 nmi away; V6 and V7 (other groups) 3 nmi; V8 is 1.2 nmi away by a fix 61 min
    old; V9, a group mate 0.6 nmi away, is offline."""
    hub, base, h, _outside = setup
    await register(hub, ("V6", "G01", "G01-F2"), ("V7", "G01", "G01-F3"),
                   ("V8", "G01", "G01-F2"), ("V9", "G01", "G01-F1"))  # fmt: skip
    scene = (23.30, 117.60)
    spots = {
        "V1": (23.30, 117.60, 1), "V2": (23.30, 117.11, 1), "V3": (23.25, 117.12, 1),
        "V6": (23.35, 117.60, 1), "V7": (23.30, 117.663, 1), "V8": (23.32, 117.60, 61),
        "V9": (23.31, 117.60, 1),
    }  # fmt: skip
    boats = await at_sea(hub, spots)
    try:
        await gone_offline(hub, boats["V9"])
        iid = await raise_distress(hub, base, h, boats["V1"], *scene)
        await asyncio.to_thread(boats["V1"].received.get, True, 10)  # its distress_ack

        eta = {v: eta_min(gc_nm(lat, lon, *scene)) for v, (lat, lon, _age) in spots.items()}
        ready = sorted(["V2", "V3", "V6", "V7"], key=eta.__getitem__)
        assert ready[:2] == ["V6", "V7"] and eta["V2"] > 200 and eta["V8"] < eta["V6"]
        body = await _get(base, h, f"/api/v1/incidents/{iid}/nearest")
        listed = body["vessels"]
        # The ready boats by ETA, then apart the stale V8 and the offline V9, by ETA.
        assert [v["id"] for v in listed] == ready + sorted(["V8", "V9"], key=eta.__getitem__)
        assert [v["id"] for v in listed if v["ready"]] == ready
        assert body["rule"] == {"transit_kn": TRANSIT_KN, "stale_after_min": STALE_MIN,
                                "tie_min": TIE_MIN, "max_dead_reckoning_min": 30.0}  # fmt: skip
        by_id = {v["id"]: v for v in listed}
        for vid, minutes in eta.items():
            if vid != "V1":
                assert by_id[vid]["eta_min"] == pytest.approx(minutes, abs=0.1), vid
                assert by_id[vid]["distance_nm"] == pytest.approx(minutes * 7 / 60, abs=0.01)
        assert by_id["V8"]["apart"] == ["stale_fix"] and by_id["V8"]["stale"]
        assert by_id["V8"]["fix_age_min"] == pytest.approx(61, abs=0.2)
        assert by_id["V9"]["apart"] == ["no_link"] and not by_id["V9"]["reachable"]
        assert by_id["V9"]["same_group"] and by_id["V2"]["same_group"]
        assert by_id["V6"]["link"] == "mqtt" and by_id["V9"]["link"] is None

        status, tasked = await _post(base, h, f"/api/v1/incidents/{iid}/task", {"top": 2})
        assert status == 201, tasked
        assert tasked["tasked"] == ["V6", "V7"]
        for vid in ("V6", "V7"):
            task = await receive(boats[vid])
            assert task["kind"] == "rescue_task" and task["scene"] == {"lat": 23.3, "lon": 117.6}
        await nothing_received(boats["V2"], 0.5)
        await nothing_received(boats["V8"], 0.5)
        log = (await _get(base, h, f"/api/v1/incidents/{iid}"))["log"]
        [entry] = [e for e in log if e["kind"] == "tasked"]
        assert entry["text"] == "指派救援：粤南澳渔00006、粤南澳渔00007"
    finally:
        for b in boats.values():
            b.close()


async def test_a_coordinator_sees_other_grids_boats_near_his_distress_and_may_task_them(
    setup: tuple[Any, str, dict[str, str], Any],  # noqa: F811
) -> None:
    """Issue 12, the rule of docs/operations.md: for an open incident of his grid, a coordinator
    sees every boat near the scene (distance, bearing, ETA) and may task any boat the list shows;
    another grid's boat's position is withheld. After the incident is closed, his list keeps to his
    grids."""
    hub, base, h, _outside = setup
    now = hub.clock.now()
    for name, grids in (("ca", ["G01"]), ("cb", ["G02"])):
        await users.create_user(hub.db, username=name, password_hash=hash_password("coord-pass-1"),
                                role=Role.COORDINATOR, grid_ids=grids, now=now)  # fmt: skip
    async with aiohttp.ClientSession() as s:
        tok = {}
        for name in ("ca", "cb"):
            r = await s.post(f"{base}/api/v1/auth/login",
                             json={"username": name, "password": "coord-pass-1"})  # fmt: skip
            tok[name] = {"Authorization": f"Bearer {(await r.json())['token']}"}
    ca, cb = tok["ca"], tok["cb"]
    boats = await at_sea(hub, {"V1": (23.30, 117.60, 1), "V2": (23.40, 117.60, 1),
                               "V4": (23.32, 117.60, 1)})  # fmt: skip
    v5 = online(hub, "V5", hub.clock)  # G02, no fix: not in any list
    try:
        iid = await raise_distress(hub, base, h, boats["V1"], 23.30, 117.60)
        listed = {
            v["id"]: v
            for v in (await _get(base, ca, f"/api/v1/incidents/{iid}/nearest"))["vessels"]
        }
        assert set(listed) == {"V2", "V4"}
        v4 = listed["V4"]
        assert v4["lat"] is None and v4["lon"] is None  # another grid's position: withheld
        assert v4["other_grid"] and v4["grid_id"] == "G02" and v4["ready"]
        assert v4["eta_min"] == pytest.approx(eta_min(gc_nm(23.32, 117.60, 23.30, 117.60)), abs=0.1)
        assert listed["V2"]["lat"] == pytest.approx(23.40) and not listed["V2"]["other_grid"]
        admin_view = (await _get(base, h, f"/api/v1/incidents/{iid}/nearest"))["vessels"]
        assert next(v for v in admin_view if v["id"] == "V4")["lat"] == pytest.approx(23.32)
        # The other grid's coordinator does not see the incident at all.
        async with aiohttp.ClientSession(headers=cb) as s:
            r = await s.get(f"{base}/api/v1/incidents/{iid}/nearest")
            assert r.status == 404
            r = await s.post(f"{base}/api/v1/incidents/{iid}/task", json={"vessels": ["V4"]})
            assert r.status == 404

        status, refused = await _post(
            base, ca, f"/api/v1/incidents/{iid}/task", {"vessels": ["V5"]}
        )
        assert status == 403 and refused["error"] == "forbidden", refused
        status, tasked = await _post(base, ca, f"/api/v1/incidents/{iid}/task", {"top": 1})
        assert status == 201 and tasked["tasked"] == ["V4"], tasked
        assert (await receive(boats["V4"]))["kind"] == "rescue_task"
        await nothing_received(v5, 0.5)
        log = (await _get(base, ca, f"/api/v1/incidents/{iid}"))["log"]
        assert any(e["text"] == "指派救援：粤南澳渔00004（G02）" for e in log)

        alert = (await _distress_alerts(base, h))["V1"]
        status, _ = await _post(
            base, ca, f"/api/v1/alerts/{alert['id']}/resolve", {"outcome": "rescued"}
        )
        assert status == 200
        closed = (await _get(base, ca, f"/api/v1/incidents/{iid}/nearest"))["vessels"]
        assert [v["id"] for v in closed] == ["V2"]
        assert {
            v["id"] for v in (await _get(base, h, f"/api/v1/incidents/{iid}/nearest"))["vessels"]
        } == {"V2", "V4"}
    finally:
        v5.close()
        for b in boats.values():
            b.close()


def _ais(hub: Any, gw: TestVessel, events: list[dict[str, Any]]) -> None:
    announce_gateway(gw, hub.settings.mqtt.prefix, "ais-1", "ais")
    gw.publish_raw(f"{hub.settings.mqtt.prefix}/gateways/ais-1/ais", json.dumps(events))


async def _distress_alerts(base: str, h: dict[str, str]) -> dict[str, dict[str, Any]]:
    alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
    return {a["vessel_id"]: a for a in alerts if a["type"] == "distress" and a["incident_id"]}


async def test_an_ais_epirb_or_sart_distress_opens_a_working_incident_registered_or_not(
    setup: tuple[Any, str, dict[str, str], Any],  # noqa: F811
) -> None:
    """V3's own EPIRB (its MMSI registered as V3's beacon) and a SART nobody registered: each
    opens an incident whose page, nearest boats, tasking, SITREP and CAP all answer. A ship heard
    on AIS is listed apart (AIS only: hail it); a net buoy, a SAR aircraft and an idle SART near
    the scene are no boats to send."""
    hub, base, h, _outside = setup
    async with hub.db.engine.begin() as conn:
        await conn.execute(update(_vessel).where(_vessel.c.id == "V3").values(beacons="974000003"))
    await hub.registry.load()
    spots = {"V1": (23.32, 117.60, 1), "V2": (23.42, 117.72, 1)}
    boats = await at_sea(hub, spots)
    gw = TestVessel(hub.settings.mqtt.url, "gw-ais-1", prefix=hub.settings.mqtt.prefix)
    ts = hub.clock.now().isoformat()
    scenes = {"AIS-970123456": (23.40, 117.70), "V3": (23.30, 117.60)}
    try:
        _ais(hub, gw, [
            {"mmsi": "416123456", "class": "vessel", "msg_type": 18, "ts": ts, "lat": 23.31, "lon": 117.61, "name": "TAI YANG"},
            {"mmsi": "441999999", "class": "net_buoy", "msg_type": 18, "ts": ts, "lat": 23.305, "lon": 117.605},
            {"mmsi": "111412345", "class": "sar_aircraft", "msg_type": 9, "ts": ts, "lat": 23.35, "lon": 117.65, "sog": 120},
            {"mmsi": "970555555", "class": "sart", "msg_type": 1, "ts": ts, "lat": 23.33, "lon": 117.62, "nav_status": 0},
            {"mmsi": "974000003", "class": "epirb", "msg_type": 1, "ts": ts, "lat": 23.30, "lon": 117.60, "nav_status": 14},
            {"mmsi": "970123456", "class": "sart", "msg_type": 1, "ts": ts, "lat": 23.40, "lon": 117.70, "nav_status": 14},
        ])  # fmt: skip

        async def both() -> bool:
            return set(await _distress_alerts(base, h)) == set(scenes)

        await wait_for(both)
        alerts = await _distress_alerts(base, h)
        for vessel_id, scene in scenes.items():
            iid = alerts[vessel_id]["incident_id"]
            incident = await _get(base, h, f"/api/v1/incidents/{iid}")
            assert incident["id"] == iid and incident["vessel_id"] == vessel_id
            body = await _get(base, h, f"/api/v1/incidents/{iid}/nearest")
            assert "vessels" in body, body
            order = sorted(spots, key=lambda v: gc_nm(*spots[v][:2], *scene))
            assert [v["id"] for v in body["vessels"]] == [*order, "416123456"], vessel_id
            assert [v["ready"] for v in body["vessels"]] == [True, True, False], body
            ship = body["vessels"][-1]
            assert ship["apart"] == ["ais_only"] and ship["source"] == "ais", ship
            assert (ship["lat"], ship["lon"], ship["name"]) == (23.31, 117.61, "TAI YANG")
            status, tasked = await _post(base, h, f"/api/v1/incidents/{iid}/task", {"top": 2})
            assert status == 201 and tasked["tasked"] == order, tasked
            for vid in order:
                task = await receive(boats[vid])
                assert task["kind"] == "rescue_task" and task["incident_id"] == iid
                assert task["scene"] == {"lat": scene[0], "lon": scene[1]}
            status, rep = await _post(base, h, f"/api/v1/incidents/{iid}/sitrep", {})
            assert status == 201 and rep["text"].startswith("SITREP 001"), rep
            if vessel_id.startswith("AIS-"):  # named by what the beacon said
                assert "AIS sart 970123456，MMSI 970123456" in rep["text"], rep
            async with aiohttp.ClientSession(headers=h) as s:
                r = await s.get(f"{base}/api/v1/incidents/{iid}/cap")
                assert r.status == 200
                check_cap_1_2(await r.text())
    finally:
        gw.close()
        for b in boats.values():
            b.close()


async def test_an_ais_mayday_without_a_position_takes_the_boats_last_fix_never_0n_0e(
    setup: tuple[Any, str, dict[str, str], Any],  # noqa: F811
) -> None:
    """A type-14 MAYDAY text carries no position. V2 (MMSI 412000002) has a last fix: that is the
    scene. V3 (MMSI 412000003) never reported one: the incident has no scene, and says so."""
    hub, base, h, _outside = setup
    spots = {"V1": (23.32, 117.60, 1), "V2": (23.05, 117.55, 5)}
    boats = await at_sea(hub, spots)
    gw = TestVessel(hub.settings.mqtt.url, "gw-ais-1", prefix=hub.settings.mqtt.prefix)
    ts = hub.clock.now().isoformat()
    try:
        _ais(hub, gw, [
            {"mmsi": "412000002", "class": "vessel", "msg_type": 14, "ts": ts, "text": "MAYDAY ENGINE FIRE"},
            {"mmsi": "412000003", "class": "vessel", "msg_type": 14, "ts": ts, "text": "SOS SOS"},
        ])  # fmt: skip

        async def both() -> bool:
            return set(await _distress_alerts(base, h)) == {"V2", "V3"}

        await wait_for(both)
        alerts = await _distress_alerts(base, h)
        assert (alerts["V2"]["lat"], alerts["V2"]["lon"]) == (23.05, 117.55)
        near = await _get(base, h, f"/api/v1/incidents/{alerts['V2']['incident_id']}/nearest")
        [v1] = near["vessels"]
        assert v1["id"] == "V1"
        assert v1["distance_nm"] == pytest.approx(gc_nm(23.32, 117.60, 23.05, 117.55), abs=0.01)
        assert alerts["V3"]["lat"] is None
        iid = alerts["V3"]["incident_id"]
        async with aiohttp.ClientSession(headers=h) as s:
            r = await s.get(f"{base}/api/v1/incidents/{iid}/nearest")
            assert r.status == 409 and (await r.json())["error"] == "no_position"
            r = await s.post(f"{base}/api/v1/incidents/{iid}/task", json={"top": 2})
            assert r.status == 409 and (await r.json())["error"] == "no_position"
    finally:
        gw.close()
        for b in boats.values():
            b.close()


async def test_a_boat_off_mqtt_is_ready_again_once_beidou_would_carry_its_task(
    setup: tuple[Any, str, dict[str, str], Any],  # noqa: F811
) -> None:
    """V2 (Beidou card 166166) and V3 (no card) drop off MQTT. Until V2 has been off for
    `messaging.beidou_after_s` the outbox would hold its task: listed apart, no link now. After,
    the task would leave by Beidou: V2 is ready (link beidou), and "nearest" sends it that way.
    V3 stays apart."""
    hub, base, h, _outside = setup
    async with hub.db.engine.begin() as conn:
        await conn.execute(update(_vessel).where(_vessel.c.id == "V2").values(beidou_card="166166"))
    await hub.registry.load()
    prefix = hub.settings.mqtt.prefix
    gw = TestVessel(hub.settings.mqtt.url, "gw-bd-1", prefix=prefix)
    gw.client.subscribe(f"{prefix}/gateways/bd-1/beidou/tx", qos=1)
    status = {"gateway_id": "bd-1", "kind": "beidou", "state": "online", "card": "4207733"}
    gw.publish_raw(f"{prefix}/gateways/bd-1/status", json.dumps(status))
    spots = {"V1": (23.30, 117.60, 1), "V2": (23.33, 117.60, 1), "V3": (23.32, 117.60, 1)}
    boats = await at_sea(hub, spots)
    try:
        await wait_for(lambda: _is(hub.ingest.gateways.beidou_gateway() == "bd-1"))
        for vid in ("V2", "V3"):
            await gone_offline(hub, boats[vid])
        iid = await raise_distress(hub, base, h, boats["V1"], 23.30, 117.60)

        async def listed() -> dict[str, dict[str, Any]]:
            body = await _get(base, h, f"/api/v1/incidents/{iid}/nearest")
            return {v["id"]: v for v in body["vessels"]}

        now = await listed()
        assert (now["V2"]["ready"], now["V2"]["apart"], now["V2"]["link"]) == (
            False,
            ["no_link"],
            None,
        )
        status_, refused = await _post(base, h, f"/api/v1/incidents/{iid}/task", {"top": 2})
        assert (status_, refused["error"]) == (409, "none_ready"), refused

        hub.clock.advance(timedelta(seconds=hub.settings.messaging.beidou_after_s + 1))
        later = await listed()
        assert (later["V2"]["ready"], later["V2"]["link"]) == (True, "beidou")
        assert later["V3"]["apart"] == ["no_link"]
        status_, tasked = await _post(base, h, f"/api/v1/incidents/{iid}/task", {"top": 2})
        assert status_ == 201 and tasked["tasked"] == ["V2"], tasked
        sent = await asyncio.to_thread(gw.received.get, True, 10)
        assert sent["card"] == "166166" and sent["down"]["kind"] == "rescue_task", sent
    finally:
        gw.close()
        for b in boats.values():
            b.close()


async def _is(value: bool) -> bool:
    return value
