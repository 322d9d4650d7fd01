"""Rescue coordination: nearest boats (checked against hand-computed great circles), tasking and
replies in the incident log, the SITREP short form, and the CAP 1.2 export."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from seaLink.domain.cap import CAP_NS
from seaLink.domain.rescue import Candidate, rank
from tests.test_broadcasts import online
from tests.test_distress import _get, _post, clock, distress, setup  # noqa: F401  (fixtures)
from tests.test_ingest import wait_for

NOW = datetime(2026, 7, 12, 16, 40, tzinfo=UTC)
SCENE = (23.0, 117.5)


def c(id_: str, lat: float, lon: float, *, group: str = "G9-F1", sog: float | None = None,
      cog: float | None = None, age_min: float = 1.0) -> Candidate:  # fmt: skip
    return Candidate(
        id_, f"粤南澳渔{id_}", group, lat, lon, sog, cog, NOW - timedelta(minutes=age_min)
    )


def test_nearest_boats_by_time_to_the_scene_own_group_first_stale_flagged() -> None:
    # Distances to 23.0N 117.5E worked out by the spherical law of cosines (R = 3440.065 nmi):
    #   A 23.0N 117.0E: 27.634   B 23.5N 117.5E: 30.020   D 23.3N 117.9E: 28.497
    #   C 22.8N 117.6E steaming north at 6 kn, fix 20 min old: now at 22.8333N -> 11.433
    #   E 23.02N 117.48E, but its fix is 3 h old: 1.632, stale
    boats = [
        c("A", 23.0, 117.0), c("B", 23.5, 117.5), c("C", 22.8, 117.6, sog=6.0, cog=0.0, age_min=20),
        c("D", 23.3, 117.9, group="G1-F2"), c("E", 23.02, 117.48, age_min=180), c("X", 23.0, 117.5),
    ]  # fmt: skip
    ranked = rank(*SCENE, boats, NOW, own_group="G1-F2", exclude="X")
    assert [r.id for r in ranked] == ["D", "C", "A", "B", "E"]
    by_id = {r.id: r for r in ranked}
    for vid, nm in {"A": 27.634, "B": 30.020, "C": 11.433, "D": 28.497, "E": 1.632}.items():
        assert by_id[vid].distance_nm == pytest.approx(nm, abs=0.01), vid
    assert by_id["A"].eta_min == pytest.approx(27.634 / 7 * 60, abs=0.1)
    assert by_id["A"].bearing_deg == pytest.approx(89.9, abs=0.2)  # due east to the scene
    assert by_id["E"].stale and not by_id["A"].stale
    assert by_id["D"].same_group and not by_id["A"].same_group
    # Dead reckoning is capped at 30 min of travel, however old the fix.
    old = rank(*SCENE, [c("C", 22.8, 117.6, sog=6.0, cog=0.0, age_min=120)], NOW)[0]
    assert old.lat == pytest.approx(22.8 + 3 / 60, abs=1e-4)


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
        # V2 and V3 sail in V1's own fishing group (G01-F1): they come first, nearest first.
        assert [v["id"] for v in nearest][:3] == ["V2", "V3", "V4"]
        started = asyncio.get_running_loop().time()
        status, tasked = await _post(base, h, f"/api/v1/incidents/{iid}/task", {"top": 2})
        assert status == 201 and tasked["tasked"] == ["V2", "V3"]
        tasks = {
            vid: await asyncio.to_thread(boats[vid].received.get, True, 10) for vid in ("V2", "V3")
        }
        elapsed = asyncio.get_running_loop().time() - started
        assert elapsed < 5, f"tasked boats got the order {elapsed:.1f}s after the action"
        assert tasks["V2"]["kind"] == "rescue_task" and tasks["V2"]["scene"] == {
            "lat": 23.0,
            "lon": 117.5,
        }
        boats["V2"].publish(
            "ack",
            {
                "msg_id": tasks["V2"]["msg_id"],
                "state": "accepted",
                "eta_min": 25,
                "ts": now().isoformat(),
            },
        )
        boats["V3"].publish(
            "ack",
            {
                "msg_id": tasks["V3"]["msg_id"],
                "state": "declined",
                "text": "网具缠车",
                "ts": now().isoformat(),
            },
        )
        await asyncio.sleep(0.5)
        await hub.drained()
        log = (await _get(base, h, f"/api/v1/incidents/{iid}"))["log"]
        kinds = [e["kind"] for e in log]
        assert (
            kinds[:2] == ["alarm", "tasked"]
            and "task_accepted" in kinds
            and "task_declined" in kinds
        )
        assert any("预计 25 分钟" in e["text"] for e in log)

        status, rep = await _post(base, h, f"/api/v1/incidents/{iid}/sitrep", {})
        text = rep["text"]
        assert status == 201 and text.startswith("SITREP 001")
        for line in (
            "A 识别 IDENTITY",
            "B 位置 POSITION: 23°00.00'N 117°30.00'E",
            "C 情况 SITUATION: 进水",
            "D 遇险人员 PERSONS AT RISK: 6",
            "E 所需援助",
            "F 协调中心",
        ):
            assert line in text, line
        assert "粤南澳渔00002（已接受）" in text and "粤南澳渔00003（已拒绝）" in text
        assert (await _post(base, h, f"/api/v1/incidents/{iid}/sitrep", {}))[1]["text"].startswith(
            "SITREP 002"
        )

        import aiohttp

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
