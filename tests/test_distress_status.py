"""The terminal tells the truth (issue 13.7): a boat in distress hears, as down messages, that the
shore system stored its call (automatic), that a named duty officer saw it and when, who is on
the way and how soon, and that it was closed. Receipt ids never collide (issue 15.3). Real hub,
broker and store (both databases), the boats are MQTT clients."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta
from typing import Any

from seaLink.clock import FakeClock
from tests.test_broadcasts import online
from tests.test_distress import Outside, _get, _post, clock, distress, setup  # noqa: F401
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel


async def _next(v: TestVessel, kind: str, timeout: float = 20.0) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = deadline - loop.time()
        assert left > 0, f"no {kind} in time"
        msg: dict[str, Any] = await asyncio.to_thread(v.received.get, True, left)
        if msg["kind"] == kind:
            return msg


async def test_the_boat_hears_each_stage_of_its_rescue_in_words(
    setup: tuple[Any, str, dict[str, str], Outside],  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    hub, base, h, _outside = setup
    boats = {vid: online(hub, vid, clock) for vid in ("V1", "V2")}
    try:
        boats["V2"].publish("position", {"ts": clock.now().isoformat(), "lat": 23.12, "lon": 117.56,
                                         "sog": 4.0, "cog": 10.0})  # fmt: skip

        async def reachable() -> bool:
            return all(hub.outbox.reachable(v, clock.now()) for v in boats)

        await wait_for(reachable)
        boats["V1"].publish("distress", distress(clock))
        receipt = await _next(boats["V1"], "distress_ack")
        # Automatic, and says so: nobody has seen it yet, nothing is organised yet.
        assert "自动" in receipt["title"] and "组织救援" not in receipt["body"]
        await hub.drained()
        alert = next(
            a for a in (await _get(base, h, "/api/v1/alerts"))["alerts"] if a["type"] == "distress"
        )

        status, _ = await _post(base, h, f"/api/v1/alerts/{alert['id']}/ack", {"note": "收到"})
        assert status == 200
        seen = await _next(boats["V1"], "distress_status")
        assert seen["stage"] == "seen" and seen["distress_id"] == "NA1-d1" and seen["priority"] == 0
        assert seen["by"] == "管理员"  # the admin's display name
        hhmm = (clock.now().astimezone(UTC) + timedelta(hours=8)).strftime("%H:%M")  # Beijing
        assert f"值班员 管理员 已于 {hhmm} 确认" in seen["body"], seen

        status, _ = await _post(base, h, f"/api/v1/incidents/{alert['incident_id']}/task",
                                     {"vessels": ["V2"]})  # fmt: skip
        assert status == 201
        task = await _next(boats["V2"], "rescue_task")
        boats["V2"].publish("ack", {"msg_id": task["msg_id"], "state": "accepted", "eta_min": 53,
                                    "ts": clock.now().isoformat()})  # fmt: skip
        organised = await _next(boats["V1"], "distress_status")
        assert organised["stage"] == "organised" and organised["eta_min"] == 53
        assert organised["body"] == "粤南澳渔00002 正在前往，预计 53 分钟到达。"

        status, _ = await _post(
            base, h, f"/api/v1/alerts/{alert['id']}/resolve", {"outcome": "rescued"}
        )
        closed = await _next(boats["V1"], "distress_status")
        assert closed["stage"] == "closed" and closed["outcome"] == "rescued"
        assert "人员已获救" in closed["body"]
        ids = {receipt["msg_id"], seen["msg_id"], organised["msg_id"], closed["msg_id"]}
        assert len(ids) == 4
    finally:
        for v in boats.values():
            v.close()


async def test_receipts_of_a_long_distress_id_and_of_its_cancel_never_share_an_id(
    setup: tuple[Any, str, dict[str, str], Outside],  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    hub, _base, _h, _outside = setup
    v = online(hub, "V1", clock)
    try:
        await wait_for(lambda: _reachable(hub, clock))
        long_id = "NA1-" + "x" * 60  # 64 characters, the most the protocol allows
        v.publish("distress", distress(clock, distress_id=long_id))
        ack = await _next(v, "distress_ack")
        v.publish("distress", distress(clock, distress_id=long_id, cancel=True, reason="误触"))
        cancel_ack = await _next(v, "distress_ack")
        assert cancel_ack.get("cancel") is True and ack.get("cancel") is None
        assert ack["msg_id"] != cancel_ack["msg_id"]
        assert len(ack["msg_id"]) <= 64 and len(cancel_ack["msg_id"]) <= 64
        assert ack["distress_id"] == cancel_ack["distress_id"] == long_id
    finally:
        v.close()


async def _reachable(hub: Any, clk: FakeClock) -> bool:
    return bool(hub.outbox.reachable("V1", clk.now()))
