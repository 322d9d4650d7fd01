"""Typhoon forecasts from import to the targeted recall: the track of Typhoon Usagi (2013, which
struck Shanwei in eastern Guangdong) imported with `sealink typhoon import`, boats placed where
the test knows their fate (inside the 7-level circle now, on its path later, in port, out of its
way, never heard), the danger area for the map, the boats listed and the recall proposed for
them sent as a broadcast; a moved forecast moves the list; bad files get specific refusals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from seaLink.cli import build_parser, cmd_typhoon
from seaLink.clock import FakeClock
from seaLink.domain.typhoon import parse_text
from seaLink.runtime import Hub
from seaLink.settings import Settings
from tests.test_broadcasts import online
from tests.test_ingest import wait_for

USAGI = Path(__file__).parent / "data" / "typhoon" / "usagi_2013.txt"
# 10:00 Beijing time on 22 September 2013: Usagi in the north-east of the South China Sea.
START = datetime(2013, 9, 22, 2, 0, tzinfo=UTC)
BOATS = {  # lat, lon, sog, cog: and what the storm will do to each
    "V1": (23.405, 117.078, 0.0, 0.0),  # in 云澳渔港: not the recall's concern
    "V2": (23.2, 117.3, 0.0, 0.0),  # 77 nmi from the eye, inside its 300 km (162 nmi) circle now
    "V3": (22.5, 121.5, 8.0, 90.0),  # 220 nmi east and steaming away: never reached
    "V4": (21.3, 114.4, 0.0, 0.0),  # 180 nmi west, on the path to Shanwei: reached later
}  # V5 never reported a position


@pytest.fixture
async def hub_at_usagi(registered: Settings) -> AsyncIterator[tuple[Hub, str, dict[str, str]]]:
    settings = registered.model_copy(update={"admin_password": "admin-pass-123"})
    hub = Hub(settings, clock=FakeClock(START))
    async with hub.running():
        base = f"http://127.0.0.1:{settings.api.port}"
        async with aiohttp.ClientSession() as s:
            r = await s.post(f"{base}/api/v1/auth/login",
                             json={"username": "admin", "password": "admin-pass-123"})  # fmt: skip
            yield hub, base, {"Authorization": f"Bearer {(await r.json())['token']}"}


async def test_a_real_typhoon_track_from_import_to_the_targeted_recall(
    hub_at_usagi: tuple[Hub, str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hub, base, h = hub_at_usagi
    boats = {vid: online(hub, vid, hub.clock) for vid in BOATS}
    try:
        for vid, (lat, lon, sog, cog) in BOATS.items():
            boats[vid].publish("position", {"ts": START.isoformat(), "lat": lat, "lon": lon,
                                            "sog": sog, "cog": cog})  # fmt: skip

        async def placed() -> bool:
            return all(hub.outbox.reachable(v, START) for v in boats)

        await wait_for(placed)
        await hub.drained()
        monkeypatch.setenv("SEALINK_PASSWORD", "admin-pass-123")
        args = build_parser().parse_args(["typhoon", "--api", base, "import", str(USAGI)])
        assert await asyncio.to_thread(cmd_typhoon, args, hub.settings) == 0
        printed = capsys.readouterr().out
        assert "天兔 Usagi: 4 positions, 2 boats in danger" in printed
        async with aiohttp.ClientSession(headers=h) as s:
            listed = (await (await s.get(f"{base}/api/v1/typhoons")).json())["typhoons"]
            assert [t["name"] for t in listed] == ["天兔 Usagi"]
            view = await (await s.get(f"{base}/api/v1/typhoons/{listed[0]['id']}")).json()
        assert {b["vessel_id"]: b["inside_now"] for b in view["boats"]} == {"V2": True, "V4": False}
        v4 = next(b for b in view["boats"] if b["vessel_id"] == "V4")
        # Reached later today, before the landfall at Shanwei.
        assert START.isoformat() < v4["enters_at"] < "2013-09-22T11:40:00+00:00"
        kinds = [f["properties"]["kind"] for f in view["danger"]["features"]]
        assert kinds.count("track") == 1 and kinds.count("r7") == 4 and kinds.count("r10") == 3
        r7 = next(f for f in view["danger"]["features"] if f["properties"]["kind"] == "r7")
        ring = r7["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and abs(r7["properties"]["radius_nm"] - 300 / 1.852) < 0.01

        # The desk sends the proposed recall as it stands: it reaches exactly those boats.
        proposal = view["proposal"]
        assert proposal["target"] == {"vessels": ["V2", "V4"]}
        async with aiohttp.ClientSession(headers=h) as s:
            r = await s.post(f"{base}/api/v1/broadcasts", json=proposal)
            sent = await r.json()
            assert r.status == 201, sent
        assert sent["rollup"]["total"] == 2
        for vid in ("V2", "V4"):
            order = await asyncio.to_thread(boats[vid].received.get, True, 10)
            assert order["recall"]["deadline"] and order["title"].endswith("天兔 Usagi”撤离令")

        # A newer forecast of the same storm, two degrees further south, as GeoJSON: the list
        # follows it (V2 is out of its way, V4 still on it).
        moved = parse_text(USAGI.read_text(encoding="utf-8"))
        doc = {"type": "FeatureCollection", "properties": {"name": moved.name}, "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.lon, p.lat - 2.0]},
             "properties": {"time": p.ts.isoformat(), "r7_nm": p.r7_nm, "r10_nm": p.r10_nm}}
            for p in moved.points]}  # fmt: skip
        async with aiohttp.ClientSession(headers=h) as s:
            r = await s.post(f"{base}/api/v1/typhoons", data=json.dumps(doc),
                             headers={"Content-Type": "application/geo+json"})  # fmt: skip
            again = await r.json()
            assert r.status == 201, again
            listed = (await (await s.get(f"{base}/api/v1/typhoons")).json())["typhoons"]
        assert [t["id"] for t in listed] == [again["id"]]
        assert [b["vessel_id"] for b in again["boats"]] == ["V4"]
    finally:
        for b in boats.values():
            b.close()


@pytest.mark.parametrize(
    ("body", "ctype", "says"),
    [
        ("name X\n2013-09-22T13:00 22.1 117.1 300 120\n", "text/plain", "offset"),
        ("name X\n2013-09-22T13:00+08:00 22.1 117.1 100 120\n", "text/plain", "radii"),
        ("2013-09-22T13:00+08:00 22.1 117.1 300 120\n", "text/plain", "names no storm"),
        ("name X\n2013-09-22T13:00+08:00 22.1\n", "text/plain", "line 2"),
        ("name X\n0001-01-01T13:00+08:00 22.1 117.1 300 120\n", "text/plain", "2000 and 2100"),
        (
            "name X\n2013-09-01T00:00+08:00 22 117 300 120\n2013-09-30T00:00+08:00 23 116 300 120\n",
            "text/plain",
            "more than 15 days",
        ),
        ('{"type": "Feature"}', "application/json", "FeatureCollection"),
        ("{nope", "application/json", "not JSON"),
    ],
)
async def test_a_bad_forecast_file_is_refused_with_its_reason(
    hub_at_usagi: tuple[Hub, str, dict[str, str]], body: str, ctype: str, says: str
) -> None:
    _hub, base, h = hub_at_usagi
    async with aiohttp.ClientSession(headers=h) as s:
        r = await s.post(f"{base}/api/v1/typhoons", data=body, headers={"Content-Type": ctype})
        answer: dict[str, Any] = await r.json()
    assert (r.status, answer["error"]) == (400, "bad_forecast") and says in answer["message"]
