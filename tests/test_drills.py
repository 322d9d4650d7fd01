"""Drill mode (issue 13.8): a coordinator orders a distress drill; the boat's crew raise the alarm
on their terminal, marked as an exercise; the whole chain runs and says 演练 / EXERCISE everywhere
(receipt, alert, notifications, SITREP, CAP status Exercise), the statistics never count it, and a
real distress from the same boat during the drill is its own alert. Real hub, broker, both
databases."""

from __future__ import annotations

from typing import Any

import aiohttp

from seaLink.clock import FakeClock
from tests.test_broadcasts import online
from tests.test_distress import Outside, _get, _post, clock, distress, setup  # noqa: F401
from tests.test_distress_status import _next

Setup = tuple[Any, str, dict[str, str], Outside]


async def test_a_distress_drill_runs_end_to_end_marked_as_an_exercise_and_never_counted(
    setup: Setup,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    hub, base, h, outside = setup
    v = online(hub, "V1", clock)
    try:
        status, order = await _post(
            base, h, "/api/v1/drills", {"vessel_id": "V1", "kind": "distress"}
        )
        assert status == 201
        drill = await _next(v, "drill")
        assert drill["exercise"] is True and drill["msg_id"] == order["msg_id"]
        assert drill["title"].startswith("【演练】")
        # The crew raise the alarm as they would for real; the terminal marks it an exercise.
        v.publish("distress", distress(clock, distress_id="NA1-drill", exercise=True))
        receipt = await _next(v, "distress_ack")
        assert receipt["exercise"] is True and receipt["title"].startswith("【演练】")
        await hub.drained()
        await hub.alerting.settle()
        [alert] = [
            a for a in (await _get(base, h, "/api/v1/alerts"))["alerts"] if a["type"] == "distress"
        ]
        assert alert["exercise"] is True and alert["detail"].startswith("【演练】")
        told = [n for n in outside.webhook if n["alert_id"] == alert["id"]]
        assert told and all(n["text"].startswith("【演练】") for n in told)

        # A real distress from the same boat during the drill: its own alert, at once.
        v.publish("distress", distress(clock, distress_id="NA1-real"))
        real_receipt = await _next(v, "distress_ack")
        while real_receipt["distress_id"] != "NA1-real":
            real_receipt = await _next(v, "distress_ack")
        assert real_receipt.get("exercise") is None and "演练" not in real_receipt["title"]
        await hub.drained()
        distress_alerts = [
            a for a in (await _get(base, h, "/api/v1/alerts"))["alerts"] if a["type"] == "distress"
        ]
        assert sorted(a["exercise"] for a in distress_alerts) == [False, True]

        iid = alert["incident_id"]
        status, sitrep = await _post(base, h, f"/api/v1/incidents/{iid}/sitrep", {})
        assert status == 201 and sitrep["text"].startswith("EXERCISE 演练 SITREP 001")
        async with aiohttp.ClientSession(headers=h) as s:
            cap = await (await s.get(f"{base}/api/v1/incidents/{iid}/cap")).text()
        assert "<status>Exercise</status>" in cap

        stats = await _get(base, h, "/api/v1/stats/response")
        counted = {a["id"] for a in stats["alerts"]}
        real = next(a for a in distress_alerts if not a["exercise"])
        assert real["id"] in counted and alert["id"] not in counted
        audit = (await _get(base, h, "/api/v1/audit"))["audit"]
        assert any(e["action"] == "drill.start" and e["target"] == "vessel/V1" for e in audit)
    finally:
        v.close()


async def test_a_drill_names_a_boat_in_your_grids_and_a_known_kind(setup: Setup) -> None:  # noqa: F811
    _hub, base, h, _outside = setup
    status, refused = await _post(base, h, "/api/v1/drills", {"vessel_id": "NOPE"})
    assert (status, refused["error"]) == (404, "not_found")
    status, refused = await _post(base, h, "/api/v1/drills", {"vessel_id": "V1", "kind": "fire"})
    assert status == 400
