"""A scripted storm: a recall issued with `sealink broadcast send --recall`, boats that answer
honestly, lie, steam away, leave port, fall silent, never answer or are never heard. At every
10-minute report the board's lines (per grid and in total) equal the truth this test computes
from its own script, contradicted answers and departures are flagged and raise alerts at the
report that shows them, a grid coordinator sees his grid's figures only, and the board asked for
as it stood at an earlier time equals that time's truth."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import aiohttp
import openpyxl
import pytest
from sqlalchemy import func, select

from seaLink.cli import build_parser, cmd_broadcast
from seaLink.clock import FakeClock
from seaLink.domain.roles import Role
from seaLink.runtime import Hub
from seaLink.services.auth import hash_password
from seaLink.settings import Settings
from seaLink.store import users
from seaLink.store.db import Database
from seaLink.store.tables import AckEvent, Position, Vessel
from seaLink.wire.geo import destination
from tests.test_broadcasts import online
from tests.test_ingest import wait_for

STEP = timedelta(minutes=10)  # the boats' report interval (the contact watch's default)
DEADLINE_STEPS = 12  # the deadline: two hours after the order
HOME = (23.405, 117.078)  # 云澳渔港, every boat's home port and the named shelter
QINGAO = (23.44, 117.133)  # 青澳湾: sheltering elsewhere
RADIUS = 0.5  # nmi, the ports' radius in the zones document
LOST_AFTER = 4 * 600  # s: the contact watch's lost_missed x interval_at_sea_s


@dataclass
class Boat:
    vid: str
    grid: str
    harbour: tuple[float, float]  # where it is, or where it heads
    bearing: float  # from that harbour, where the boat is
    d0: float  # nmi from it at the order
    speed: float  # kn: >0 closing, <0 steaming away, 0 lying still
    answer: dict[str, Any] | None = None
    answer_at: int = 1
    leaves_at: int | None = None  # in port, then out at this speed from this step
    silent_from: int | None = None  # no reports from this step
    heard: bool = True

    def distance(self, k: int) -> float:
        if self.leaves_at is not None:
            return max(0.0, -self.speed * (k - self.leaves_at) / 6)
        return max(0.0, self.d0 - self.speed * k / 6)

    def position(self, k: int) -> tuple[float, float]:
        return destination(*self.harbour, self.bearing, self.distance(k))

    def reports(self, k: int) -> bool:
        return self.heard and (self.silent_from is None or k < self.silent_from)

    def closing(self, k: int) -> bool:
        return self.speed > 0 and self.leaves_at is None and self.distance(k) > 0


SCRIPT = [
    Boat("V1", "G01", HOME, 150, 6, 6, {"status": "returning"}),  # honest, home by step 6
    Boat("V2", "G01", HOME, 160, 14, 0, {"status": "in_port"}),  # lies, lying still 14 nmi out
    Boat("V3", "G01", HOME, 140, 10, -5, {"status": "returning"}),  # says returning, steams away
    Boat("V4", "G02", HOME, 170, 0, -6, {"status": "in_port"}, leaves_at=3),  # leaves port
    Boat("V5", "G02", HOME, 155, 20, 6, {"status": "returning"}, silent_from=4),  # falls silent
    Boat("V6", "G01", HOME, 130, 3, 6),  # never answers, its track brings it home at step 3
    Boat("V7", "G02", HOME, 0, 0, 0, heard=False),  # never heard at all
    Boat("V8", "G02", QINGAO, 120, 4, 4, {"status": "returning", "port": "青澳湾"}),  # elsewhere
    Boat("V9", "G01", HOME, 145, 13, 6, {"status": "returning"}, answer_at=2),  # home too late
]
EXTRA = ("V6", "V7", "V8", "V9")  # beside the small test fleet's V1-V5


def truth(b: Boat, k: int) -> tuple[str, set[str]]:
    """The board line and flags of boat `b` at report `k`, from the script alone."""
    if not b.heard:
        return "unaccounted", set()
    last = k if b.reports(k) else (b.silent_from or 0) - 1
    d = b.distance(last)
    harbour = d <= RADIUS
    answer = (b.answer or {}).get("status") if b.answer and k >= b.answer_at else None
    flags = set()
    if not harbour and b.leaves_at is not None and k > b.leaves_at:
        flags.add("left_port")
    if answer in ("in_port", "sheltering") and not harbour:
        flags.add("contradicted")
    if answer == "returning" and not harbour and not b.closing(last):
        flags.add("contradicted")
    if harbour:
        return ("in_port" if b.harbour == HOME else "sheltering"), flags
    if (k - last) * STEP.total_seconds() >= LOST_AFTER:
        return "lost_contact", flags
    if b.closing(last):
        eta_steps = last + d / b.speed * 6
        late = k >= DEADLINE_STEPS or eta_steps > DEADLINE_STEPS
        return ("returning_late" if late else "returning_on_time"), flags
    return "unaccounted", flags


def expected(k: int, grids: set[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for b in SCRIPT:
        if b.grid in grids:
            line, flags = truth(b, k)
            for key in (line, *flags, "total"):
                counts[key] = counts.get(key, 0) + 1
    return counts


LINES = (
    "in_port",
    "returning_on_time",
    "returning_late",
    "sheltering",
    "distress",
    "lost_contact",
    "unaccounted",
    "contradicted",
    "left_port",
    "total",
)


def figures(g: dict[str, Any]) -> dict[str, int]:
    return {k: int(g[k]) for k in LINES if g.get(k)}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 9, 1, 1, 0, tzinfo=UTC))


@pytest.fixture
async def storm(registered: Settings, clock: FakeClock) -> AsyncIterator[tuple[Hub, str]]:
    settings = registered.model_copy(update={
        "admin_password": "admin-pass-123",
        "messaging": registered.messaging.model_copy(update={"recall_judge_s": 0}),
    })  # fmt: skip
    db = Database(settings.store.url)
    async with db.engine.begin() as conn:
        await conn.execute(Vessel.__table__.insert(), [  # type: ignore[attr-defined]
            {"id": vid, "hull_name": f"粤南澳渔0000{vid[1]}", "grid_id": b.grid, "group_id": "",
             "home_port": "云澳渔港", "gear": "trawl", "persons": 5, "links": "mqtt", "beacons": ""}
            for b in SCRIPT if (vid := b.vid) in EXTRA
        ])  # fmt: skip
    await db.dispose()
    hub = Hub(settings, clock=clock)
    async with hub.running():
        await users.create_user(hub.db, username="ca", password_hash=hash_password("coord-a-pass"),
                                role=Role.COORDINATOR, grid_ids=["G01"], now=clock.now())  # fmt: skip
        yield hub, f"http://127.0.0.1:{settings.api.port}"


async def _token(base: str, user: str, password: str) -> dict[str, str]:
    async with aiohttp.ClientSession() as s:
        r = await s.post(f"{base}/api/v1/auth/login", json={"username": user, "password": password})
        return {"Authorization": f"Bearer {(await r.json())['token']}"}


async def _board(base: str, h: dict[str, str], bid: int, at: str = "") -> dict[str, Any]:
    async with aiohttp.ClientSession(headers=h) as s:
        r = await s.get(f"{base}/api/v1/broadcasts/{bid}/recall", params={"at": at} if at else {})
        body: dict[str, Any] = await r.json()
        assert r.status == 200, body
        return body


async def _count(hub: Hub, table: Any, **where: Any) -> int:
    t = table.__table__
    async with hub.db.engine.connect() as conn:
        q = select(func.count()).select_from(t)
        for k, v in where.items():
            q = q.where(t.c[k] == v)
        return int((await conn.execute(q)).scalar() or 0)


async def test_the_board_counts_the_truth_of_a_scripted_storm(
    storm: tuple[Hub, str], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub, base = storm
    admin = await _token(base, "admin", "admin-pass-123")
    coord = await _token(base, "ca", "coord-a-pass")
    t0 = clock.now()
    boats = {b.vid: online(hub, b.vid, clock) for b in SCRIPT if b.heard}
    try:
        await _report(hub, boats, 0, t0)
        await wait_for(lambda: _reachable(hub, list(boats)))
        deadline = t0 + DEADLINE_STEPS * STEP
        # The order, as the county desk gives it from the command line.
        monkeypatch.setenv("SEALINK_PASSWORD", "admin-pass-123")
        args = build_parser().parse_args(["broadcast", "--api", base, "send", "--recall",
            "--deadline", deadline.astimezone().isoformat(), "--shelter", "云澳渔港",
            "--title", "台风“海葵”撤离令", "--body", "所有渔船于17时前回港避风", "--all"])  # fmt: skip
        assert await asyncio.to_thread(cmd_broadcast, args, hub.settings) == 0
        orders = {
            vid: await asyncio.to_thread(v.received.get, True, 10) for vid, v in boats.items()
        }
        bid = orders["V1"]["broadcast_id"]
        assert orders["V1"]["recall"] == {
            "deadline": deadline.isoformat().replace("+00:00", "Z"),
            "shelter": "云澳渔港",
        }
        for k in range(1, DEADLINE_STEPS + 2):
            clock.advance(STEP)
            await _report(hub, boats, k, t0, orders)
            board = await _board(base, admin, bid)
            assert figures(board["total"]) == expected(k, {"G01", "G02"}), f"report {k}"
            for g in board["grids"]:
                assert figures(g) == expected(k, {g["grid_id"]}), f"report {k}, {g['grid_id']}"
            rows = {v["vessel_id"]: v for v in board["vessels"]}
            for b in SCRIPT:
                line, flags = truth(b, k)
                assert (rows[b.vid]["line"], set(rows[b.vid]["flags"])) == (line, flags), (
                    f"report {k}: {b.vid} {rows[b.vid]}"
                )
            # The coordinator of G01: his grid only, its totals his grid's.
            mine = await _board(base, coord, bid)
            assert {v["grid_id"] for v in mine["vessels"]} == {"G01"}
            assert figures(mine["total"]) == expected(k, {"G01"})
            # Every flag is an alert (raised at the report that shows it), and only flags are.
            open_ = await _open_alerts(base, admin)
            for flag, type_ in (("contradicted", "recall_track"), ("left_port", "left_port")):
                flagged = {b.vid for b in SCRIPT if flag in truth(b, k)[1]}
                assert {a["vessel_id"] for a in open_ if a["type"] == type_} == flagged, k

        # Where the returning boat without an answer came from: its track (source shown).
        v6 = next(v for v in board["vessels"] if v["vessel_id"] == "V6")
        assert (v6["line"], v6["source"], v6["acknowledged"]) == ("in_port", "track", False)
        # At the deadline the boats not back became recall alerts; the track alerts climbed
        # the chain like every other alert nobody acknowledged.
        open_ = await _open_alerts(base, admin)
        not_back = {
            b.vid
            for b in SCRIPT
            if truth(b, DEADLINE_STEPS)[0] in ("unaccounted", "returning_late")
        }
        assert "V9" in not_back  # at sea at the deadline, in port at the next report
        home_since = {b.vid for b in SCRIPT if truth(b, DEADLINE_STEPS + 1)[0] == "in_port"}
        assert {a["vessel_id"] for a in open_ if a["type"] == "recall"} == not_back - home_since
        v9 = [(a["phase"], a["state"]) for a in await _alerts_all(base, admin)
              if a["type"] == "recall" and a["vessel_id"] == "V9"]  # fmt: skip
        assert v9 == [("returning_late", "resolved")]
        liar = next(a for a in open_ if a["type"] == "recall_track" and a["vessel_id"] == "V2")
        assert liar["escalation_level"] == 2, liar
        # The board as it stood at report 5, asked for afterwards (the export's figures).
        at5 = (t0 + 5 * STEP).isoformat()
        then = await _board(base, admin, bid, at5)
        assert figures(then["total"]) == expected(5, {"G01", "G02"})
        await _exports_say_the_same(base, admin, bid, at5, expected(5, {"G01", "G02"}))
        await _port_log_says_what_the_script_did(base, admin, coord, t0)
    finally:
        for v in boats.values():
            v.close()


async def _exports_say_the_same(
    base: str, h: dict[str, str], bid: int, at: str, truth_at: dict[str, int]
) -> None:
    """The XLSX and CSV of the board at `at` carry that time's figures, in Chinese."""
    async with aiohttp.ClientSession(headers=h) as s:
        r = await s.get(
            f"{base}/api/v1/broadcasts/{bid}/recall", params={"at": at, "format": "xlsx"}
        )
        assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
        book = openpyxl.load_workbook(io.BytesIO(await r.read()))
        r = await s.get(
            f"{base}/api/v1/broadcasts/{bid}/recall", params={"at": at, "format": "csv"}
        )
        assert r.status == 200
        text = await r.text()
        for bad in ({"at": "yesterday"}, {"at": "2026-09-01T01:00:00"}, {"format": "pdf"},
                    {"at": "0001-01-01T00:00+08:00"}):  # fmt: skip
            r = await s.get(f"{base}/api/v1/broadcasts/{bid}/recall", params=bad)
            assert (r.status, (await r.json())["error"]) == (400, "bad_query"), bad
    summary = [list(row) for row in book["汇总"].iter_rows(values_only=True)]
    head = next(row for row in summary if row and row[0] == "网格")
    total = dict(zip(head, next(row for row in summary if row and row[0] == "合计"), strict=True))
    words = {"已回港": "in_port", "返港中（按时）": "returning_on_time",
             "返港中（超时）": "returning_late", "在他港避风": "sheltering", "失联": "lost_contact",
             "未落实": "unaccounted", "与轨迹不符": "contradicted", "离港": "left_port",
             "船数": "total", "遇险": "distress"}  # fmt: skip
    assert {words[k]: v for k, v in total.items() if k in words and v} == truth_at
    boats = [list(row) for row in book["船舶"].iter_rows(values_only=True)]
    assert boats[0][:4] == ["网格", "船舶编号", "船名", "状态"] and len(boats) == 1 + len(SCRIPT)
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    by_vessel = {row[1]: row for row in lines if len(row) > 3 and row[1] in {b.vid for b in SCRIPT}}
    assert {vid: words[row[3]] for vid, row in by_vessel.items()} == {
        b.vid: truth(b, 5)[0] for b in SCRIPT
    }


def port_moves() -> set[tuple[str, str, str, int]]:
    """(vessel, in/out, port, report) of every harbour edge the script's boats crossed."""
    names = {HOME: "云澳渔港", QINGAO: "青澳湾"}
    moves = set()
    for b in SCRIPT:
        heard = [k for k in range(DEADLINE_STEPS + 2) if b.reports(k)]
        for k0, k1 in pairwise(heard):
            was, now = b.distance(k0) <= RADIUS, b.distance(k1) <= RADIUS
            if was != now:
                moves.add((b.vid, "in" if now else "out", names[b.harbour], k1))
    return moves


async def _port_log_says_what_the_script_did(
    base: str, admin: dict[str, str], coord: dict[str, str], t0: datetime
) -> None:
    day = t0.astimezone(timezone(timedelta(hours=8))).date().isoformat()
    async with aiohttp.ClientSession() as s:
        r = await s.get(f"{base}/api/v1/ports/log", params={"date": day}, headers=admin)
        log = await r.json()
        mine = await (
            await s.get(f"{base}/api/v1/ports/log", params={"date": day}, headers=coord)
        ).json()
        r = await s.get(
            f"{base}/api/v1/ports/log", params={"date": day, "grid": "G02"}, headers=coord
        )
        assert r.status == 403
        for bad in ("", "0001-01-01", "1 Sep"):
            r = await s.get(f"{base}/api/v1/ports/log", params={"date": bad}, headers=admin)
            assert (r.status, (await r.json())["error"]) == (400, "bad_query"), bad
        r = await s.get(
            f"{base}/api/v1/ports/log", params={"date": day, "format": "csv"}, headers=admin
        )
        text = await r.text()

    def step(ts: str) -> int:
        return round((datetime.fromisoformat(ts) - t0) / STEP)

    truth = port_moves()
    assert {"V4", "V6", "V8", "V9"} <= {m[0] for m in truth}  # out, in, in elsewhere, in late
    assert {(e["vessel_id"], e["kind"], e["port"], step(e["ts"])) for e in log["events"]} == truth
    assert {(e["vessel_id"], e["kind"]) for e in mine["events"]} == {
        (m[0], m[1]) for m in truth if next(b for b in SCRIPT if b.vid == m[0]).grid == "G01"
    }
    home = next(p for p in log["ports"] if p["port"] == "云澳渔港")
    assert (home["in"], home["out"]) == (
        sum(1 for m in truth if m[2] == "云澳渔港" and m[1] == "in"),
        sum(1 for m in truth if m[2] == "云澳渔港" and m[1] == "out"),
    )
    assert "出港" in next(line for line in text.splitlines() if ",V4," in line)


async def _report(
    hub: Hub, boats: dict[str, Any], k: int, t0: datetime, orders: dict[str, Any] | None = None
) -> None:
    """Report `k` of every boat that reports, and the answers due at it; wait until stored."""
    ts = t0 + k * STEP
    reporting = [b for b in SCRIPT if b.reports(k)]
    for b in reporting:
        lat, lon = b.position(k)
        boats[b.vid].publish(
            "position", {"ts": ts.isoformat(), "lat": round(lat, 6), "lon": round(lon, 6)}
        )
    answering = [b for b in SCRIPT if orders and b.answer and b.answer_at == k]
    for b in answering:
        assert orders is not None
        boats[b.vid].publish("ack", {"msg_id": orders[b.vid]["msg_id"], "state": "acknowledged",
                                     "ts": ts.isoformat(), "recall": b.answer})  # fmt: skip

    async def stored() -> bool:
        fixes = await _count(hub, Position, ts=ts)
        acks = await _count(hub, AckEvent, state="acknowledged")
        return fixes == len(reporting) and acks >= _answered(k, orders)

    await wait_for(stored)
    await hub.drained()
    await hub.recall.settle()
    await hub.alerting.settle()


def _answered(k: int, orders: dict[str, Any] | None) -> int:
    return sum(1 for b in SCRIPT if orders and b.answer and b.answer_at <= k)


async def _open_alerts(base: str, h: dict[str, str]) -> list[dict[str, Any]]:
    return [a for a in await _alerts_all(base, h) if a["state"] != "resolved"]


async def _alerts_all(base: str, h: dict[str, str]) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession(headers=h) as s:
        r = await s.get(f"{base}/api/v1/alerts", params={"state": "all"})
        alerts: list[dict[str, Any]] = (await r.json())["alerts"]
        return alerts


async def _reachable(hub: Hub, vids: list[str]) -> bool:
    return all(hub.outbox.reachable(v, hub.clock.now()) for v in vids)


async def test_crews_ashore_entered_by_a_coordinator_are_audited_and_make_the_100_percent(
    storm: tuple[Hub, str], clock: FakeClock
) -> None:
    """Two boats in port: not done while their crews are aboard; a coordinator's phone check
    (his grid only, never more than aboard) completes them, and the time to 100% is logged."""
    hub, base = storm
    admin = await _token(base, "admin", "admin-pass-123")
    coord = await _token(base, "ca", "coord-a-pass")
    boats = {vid: online(hub, vid, clock) for vid in ("V1", "V6")}  # both of grid G01
    try:
        for v in boats.values():
            v.publish("position", {"ts": clock.now().isoformat(), "lat": HOME[0], "lon": HOME[1]})

        async def both_in() -> bool:
            return await _count(hub, Position) == 2

        await wait_for(both_in)
        await hub.drained()
        async with aiohttp.ClientSession(headers=admin) as s:
            r = await s.post(f"{base}/api/v1/broadcasts", json={
                "kind": "warning", "title": "撤离令", "body": "回港避风", "target": {"vessels": ["V1", "V6"]},
                "recall": {"deadline": (clock.now() + timedelta(hours=2)).isoformat(), "shelter": "云澳渔港"},
            })  # fmt: skip
            assert r.status == 201
            bid = (await r.json())["broadcast"]["id"]
            r = await s.post(f"{base}/api/v1/broadcasts", json={
                "kind": "warning", "title": "撤离令", "body": "回港避风", "target": {"vessels": ["V1"]},
                "recall": {"deadline": (clock.now() + timedelta(hours=2)).isoformat(), "shelter": "汕头港"},
            })  # fmt: skip
            assert (r.status, (await r.json())["error"]) == (400, "unknown_shelter")
        board = await _board(base, admin, bid)
        assert (board["total"]["in_port"], board["total"]["done"], board["complete_at"]) == (
            2,
            0,
            None,
        )

        async def ashore(h: dict[str, str], vid: str, n: int) -> tuple[int, dict[str, Any]]:
            async with aiohttp.ClientSession(headers=h) as s:
                r = await s.post(f"{base}/api/v1/broadcasts/{bid}/recall/{vid}/ashore",
                                 json={"persons_ashore": n, "note": "电话核实"})  # fmt: skip
                return r.status, await r.json()

        assert (await ashore(coord, "V1", 7))[1]["error"] == "too_many_persons"  # 6 aboard
        assert (await ashore(coord, "V4", 1))[0] == 404  # not of this recall (nor his grid)
        assert (await ashore(coord, "V1", 6))[0] == 200
        await hub.recall.settle()  # the first check (01:00) is over before the second entry
        clock.advance(timedelta(minutes=5))
        assert (await ashore(coord, "V6", 5))[0] == 200
        await hub.recall.settle()
        board = await _board(base, admin, bid)
        rows = {v["vessel_id"]: v for v in board["vessels"]}
        assert rows["V1"]["ashore_source"] == "coordinator:ca" and rows["V1"]["done"] is True
        assert (board["total"]["done"], board["total"]["persons_ashore"]) == (2, 11)
        assert board["complete_at"] == clock.now().isoformat()  # 100% at the second check
        async with aiohttp.ClientSession(headers=admin) as s:
            trail = (await (await s.get(f"{base}/api/v1/audit")).json())["audit"]
        assert [(a["username"], a["target"]) for a in trail if a["action"] == "recall.ashore"] == [
            ("ca", f"broadcast/{bid}/V6"),
            ("ca", f"broadcast/{bid}/V1"),
        ]
    finally:
        for v in boats.values():
            v.close()
