"""Statistics for the console's charts: contact over time per grid, derived from the fixes and the
lost-contact alerts the hub stored, and alert response times; both scoped to the caller's grids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from seaLink.clock import FakeClock
from seaLink.domain.contact import ContactRules
from seaLink.domain.ports import PortIndex
from seaLink.domain.stats import contact_series, response_times, sample_times
from seaLink.runtime import Hub
from tests.test_api import ADMIN_PW, _login, api  # noqa: F401  (fixture)
from tests.test_ingest import fix, wait_for
from tests.vessel_client import TestVessel

T0 = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)


def test_contact_states_are_replayed_from_fixes_and_lost_contact_alerts() -> None:
    times = [T0 + timedelta(minutes=m) for m in (0, 15, 25, 45, 60)]
    vessels = [
        # id, grid, report interval, latest state's last_heard, lat, lon, nav_state
        ("A", "G01", None, T0 + timedelta(minutes=50), 23.3, 117.6, None),
        ("B", "G01", None, T0 - timedelta(hours=3), 23.3, 117.6, "in_port"),
        ("C", "G02", None, None, None, None, None),
    ]
    fixes = [
        ("A", T0 - timedelta(minutes=5), 23.3, 117.6, None),
        ("A", T0 + timedelta(minutes=50), 23.3, 117.6, None),
    ]
    # A was lost from 35 min (40 min after its fix at -5) until heard again at 50 min.
    alerts = [("A", "lost_contact", T0 + timedelta(minutes=35), T0 + timedelta(minutes=50))]
    out = contact_series(times, vessels, fixes, alerts, ContactRules(), PortIndex([]))
    assert out["G01"]["ok"] == [2, 1, 1, 1, 2]  # B: silent in port for 3 h is still fine
    assert out["G01"]["overdue"] == [0, 1, 1, 0, 0]  # A: 20 and 30 min silent
    assert out["G01"]["lost"] == [0, 0, 0, 1, 0]
    assert out["G02"]["unknown"] == [1] * 5
    assert sum(out["G02"][s][0] for s in ("ok", "overdue", "lost", "maintenance")) == 0
    assert len(sample_times(T0, 24, timedelta(minutes=30))) == 49


def test_response_times_per_alert_and_per_beijing_day() -> None:
    def row(i: int, raised: datetime, ack_s: float | None, res_s: float | None, by: str | None):  # type: ignore[no-untyped-def]
        return {
            "id": i, "grid_id": "G01", "type": "lost_contact", "severity": "warning",
            "raised_at": raised, "acked_at": raised + timedelta(seconds=ack_s) if ack_s else None,
            "resolved_at": raised + timedelta(seconds=res_s) if res_s else None, "resolved_by": by,
        }  # fmt: skip

    day1 = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)  # 23:00 in Beijing on the 1st
    day2 = datetime(2026, 9, 1, 16, 30, tzinfo=UTC)  # 00:30 in Beijing on the 2nd
    rows = [row(i, day1, 60.0 * i, 600.0, "coord1") for i in range(1, 11)]
    rows.append(row(11, day2, None, 900.0, None))  # resolved by the hub: not a response time
    out = response_times(rows)
    d1, d2 = out["days"]
    assert (d1["day"], d1["alerts"], d1["acked"], d1["resolved"]) == ("2026-09-01", 10, 10, 10)
    assert d1["ack_median_s"] == 330.0 and d1["ack_p90_s"] == 546.0
    assert d1["resolve_median_s"] == d1["resolve_p90_s"] == 600.0
    assert (d2["day"], d2["alerts"], d2["acked"], d2["resolved"]) == ("2026-09-02", 1, 0, 0)
    assert out["alerts"][-1]["resolve_s"] is None and out["alerts"][0]["ack_s"] == 60.0


async def _get(base: str, h: dict[str, str], path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession(headers=h) as s:
        r = await s.get(base + path)
        return r.status, await r.json()


async def _post(base: str, h: dict[str, str], path: str, body: Any) -> int:
    async with aiohttp.ClientSession(headers=h) as s:
        return (await s.post(base + path, json=body)).status


async def _advance(hub: Hub, clock: FakeClock, minutes: float) -> None:
    clock.advance(timedelta(minutes=minutes))
    await hub.watch.settle()


async def _lost_alert(base: str, h: dict[str, str], vid: str) -> int:
    _, body = await _get(base, h, f"/api/v1/alerts?vessel={vid}")
    [a] = [a for a in body["alerts"] if a["type"] == "lost_contact"]
    return int(a["id"])


async def test_contact_history_and_response_times_come_from_what_the_hub_stored(
    api: tuple[Hub, str],  # noqa: F811
) -> None:
    hub, base = api
    clock = hub.clock
    assert isinstance(clock, FakeClock)
    admin = await _login(base, "admin", ADMIN_PW)
    coord = await _login(base, "coord1", "coord-pass-1")
    boats = {v: TestVessel(hub.settings.mqtt.url, v, prefix=hub.settings.mqtt.prefix) for v in ("V1", "V2", "V5")}  # fmt: skip
    try:
        for v in boats.values():
            v.publish("position", fix(clock))

        async def heard() -> bool:
            _, body = await _get(base, admin, "/api/v1/vessels")
            known = {x["id"]: x["contact"]["last_heard"] for x in body["vessels"]}
            return all(known.get(v) for v in boats)

        await wait_for(heard)
        await hub.drained()
        await _advance(hub, clock, 40)  # V1, V2 (G01) and V5 (G02) lost at 40 min
        await _advance(hub, clock, 5)
        assert await _post(base, coord, f"/api/v1/alerts/{await _lost_alert(base, coord, 'V1')}/ack", {}) == 200  # fmt: skip
        await _advance(hub, clock, 5)
        v2_alert = await _lost_alert(base, admin, "V2")
        assert await _post(base, admin, f"/api/v1/alerts/{v2_alert}/resolve", {"outcome": "other"}) == 200  # fmt: skip
        await _advance(hub, clock, 20)
        boats["V1"].publish("position", fix(clock))  # heard again at 70 min: resolved by the hub

        async def restored() -> bool:
            _, body = await _get(base, admin, "/api/v1/vessels/V1")
            return bool(body["contact"]["state"] == "ok")

        await wait_for(restored)
        await _advance(hub, clock, 5)
    finally:
        for v in boats.values():
            v.close()

    status, body = await _get(base, coord, "/api/v1/stats/contact?hours=1&step_min=5")
    assert status == 200, body
    assert body["until"] == clock.now().isoformat().replace("+00:00", "Z")
    assert len(body["times"]) == 13  # 15 .. 75 min
    [g01] = body["grids"]  # a coordinator of G01 sees G01 only
    assert g01["grid_id"] == "G01"
    # V1: ok, overdue from 20 min, lost 40..65, heard again at 70. V2: lost 40..45, then its alert
    # was closed by a person while it stayed silent: overdue. V3: never heard.
    assert g01["ok"] == [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    assert g01["overdue"] == [0, 2, 2, 2, 2, 0, 0, 1, 1, 1, 1, 1, 1]
    assert g01["lost"] == [0, 0, 0, 0, 0, 2, 2, 1, 1, 1, 1, 0, 0]
    assert g01["unknown"] == [1] * 13 and g01["maintenance"] == [0] * 13
    _, everything = await _get(base, admin, "/api/v1/stats/contact?hours=1&step_min=5")
    g02 = next(g for g in everything["grids"] if g["grid_id"] == "G02")
    assert g02["lost"] == [0] * 5 + [1] * 8 and g02["ok"][0] == 1
    assert (await _get(base, coord, "/api/v1/stats/contact?grid=G02"))[0] == 403
    assert (await _get(base, admin, "/api/v1/stats/contact?grid=G02"))[1]["grids"][0]["grid_id"] == "G02"  # fmt: skip
    assert (await _get(base, admin, "/api/v1/stats/contact?step_min=1"))[0] == 400
    assert (await _get(base, admin, "/api/v1/stats/contact?hours=72&step_min=5"))[0] == 400

    status, mine = await _get(base, coord, "/api/v1/stats/response?days=7")
    assert status == 200
    timings = sorted((a["id"], a["grid_id"], a["ack_s"], a["resolve_s"], a["resolved_by"]) for a in mine["alerts"])  # fmt: skip
    assert [t[1:] for t in timings] == [("G01", 300.0, None, None), ("G01", None, 600.0, "admin")]
    [day] = mine["days"]
    assert (day["alerts"], day["acked"], day["resolved"]) == (2, 1, 1)
    assert (day["ack_median_s"], day["resolve_median_s"]) == (300.0, 600.0)
    _, all_ = await _get(base, admin, "/api/v1/stats/response")
    assert len(all_["alerts"]) == 3
    assert (await _get(base, coord, "/api/v1/stats/response?grid=G02"))[0] == 403
    assert (await _get(base, admin, "/api/v1/stats/response?days=0"))[0] == 400
    async with aiohttp.ClientSession() as s:
        for path in ("/api/v1/stats/contact", "/api/v1/stats/response"):
            assert (await s.get(base + path)).status == 401
