"""The chaos run's verdict: what the boats counted, what the store holds, what the API shows.

Losses and duplicates are counted from the boats' side first (their PUBACKs and their screens),
then matched against the store and the API. A check that cannot pass is printed with its evidence.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from seaLink.store.db import Database
from seaLink.store.tables import Alert, Delivery, Position, Vessel, VesselState

if TYPE_CHECKING:
    from bench.chaos.coordinator import Coordinator, SentBroadcast
    from bench.chaos.run import ChaosRun

_p: Any = Position.__table__  # type: ignore[attr-defined]
_a: Any = Alert.__table__  # type: ignore[attr-defined]
_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]
_vs: Any = VesselState.__table__  # type: ignore[attr-defined]

DONE = "acknowledged"  # the run's broadcasts ask the crew to confirm


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    figures: dict[str, str] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    losses: int = 0
    duplicates: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.ok for c in self.checks) and self.losses == 0 and self.duplicates == 0

    def table(self) -> str:
        width = max(len(k) for k in self.figures) if self.figures else 10
        lines = ["", "chaos run / 混沌测试", "-" * 60]
        lines += [f"{k:<{width}}  {v}" for k, v in self.figures.items()]
        lines.append("-" * 60)
        lines += [f"[{'PASS' if c.ok else 'FAIL'}] {c.name}: {c.detail}" for c in self.checks]
        lines.append("-" * 60)
        lines += [f"note: {n}" for n in self.notes]
        verdict = "PASSED / 通过" if self.passed else "FAILED / 未通过"
        lines.append(f"losses = {self.losses}, duplicates = {self.duplicates}: {verdict}")
        return "\n".join(lines)


def eligible(run: ChaosRun, b: SentBroadcast) -> set[str]:
    """The vessels a broadcast must reach, from the run's own copy of the registry."""
    if b.target.get("all"):
        return set(run.fleet.terminals)
    grids = set(b.target.get("grids", []))
    return {vid for vid, t in run.fleet.terminals.items() if t.grid_id in grids}


def shown_of(run: ChaosRun, bid: int) -> dict[str, list[str]]:
    """vessel -> the distinct msg_ids of broadcast `bid` its terminal showed."""
    out: dict[str, list[str]] = defaultdict(list)
    for vid, t in run.fleet.terminals.items():
        for mid, msg in t.books.shown.items():
            if msg.get("broadcast_id") == bid:
                out[vid].append(mid)
    return out


async def _stored_fixes(db: Database) -> dict[str, Counter[datetime]]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(_p.c.vessel_id, _p.c.ts))).all()
    out: dict[str, Counter[datetime]] = defaultdict(Counter)
    for vid, ts in rows:
        out[vid][ts] += 1
    return out


def _missing_fixes(run: ChaosRun, stored: dict[str, Counter[datetime]]) -> int:
    return sum(
        len(t.books.fixes_accepted - stored.get(vid, Counter()).keys())
        for vid, t in run.fleet.terminals.items()
    )


async def settled(run: ChaosRun) -> str:
    """What the run is still waiting for before it judges (empty: nothing)."""
    if any(not h.alive() for h in run.infra.hubs) or run.disruptions.restart_at:
        return "a hub is restarting"
    offline = sum(1 for t in run.fleet.terminals.values() if not t.connected)
    if offline:
        return f"{offline} vessels reconnecting"
    if len(run.broadcasts) < run.cfg.broadcasts:
        return "broadcasts still being sent"
    for vid in run.distress_vessels:
        d = run.fleet.terminals[vid].distress
        if d is None or d.acked_at is None:
            return f"distress of {vid} not acknowledged to the boat"
    db = Database(run.infra.store_url)
    try:
        async with db.engine.connect() as conn:
            raised = (
                await conn.execute(
                    select(func.count()).where(_a.c.type == "distress", _a.c.state == "raised")
                )
            ).scalar_one()
            ids = [b.id for b in run.broadcasts]
            open_deliveries = (
                await conn.execute(
                    select(func.count()).where(_d.c.broadcast_id.in_(ids), _d.c.state != DONE)
                )
            ).scalar_one()
        if raised:
            return f"{raised} distress alerts not acknowledged by the desk"
        if open_deliveries:
            return f"{open_deliveries} broadcast deliveries not yet acknowledged"
        for b in run.broadcasts:
            shown = shown_of(run, b.id)
            short = [vid for vid in eligible(run, b) if not shown.get(vid)]
            if short:
                return f"broadcast {b.tag}: {len(short)} boats have not shown it"
        missing = _missing_fixes(run, await _stored_fixes(db))
        if missing:
            return f"{missing} accepted fixes not stored yet"
    finally:
        await db.dispose()
    return ""


async def check_run(run: ChaosRun, coord: Coordinator) -> Report:
    rep = Report()
    db = Database(run.infra.store_url)
    try:
        await _check_positions(run, db, rep)
        await _check_distress(run, db, coord, rep)
        await _check_broadcasts(run, db, coord, rep)
        await _check_console(run, db, coord, rep)
    finally:
        await db.dispose()
    _figures(run, coord, rep)
    return rep


async def _check_positions(run: ChaosRun, db: Database, rep: Report) -> None:
    stored = await _stored_fixes(db)
    missing = _missing_fixes(run, stored)
    doubled = sum(1 for c in stored.values() for n in c.values() if n > 1)
    phantom = sum(
        len(stored.get(vid, Counter()).keys() - t.books.fixes_made)
        for vid, t in run.fleet.terminals.items()
    ) + sum(n for vid, c in stored.items() if vid not in run.fleet.terminals for n in c.values())
    accepted = sum(len(t.books.fixes_accepted) for t in run.fleet.terminals.values())
    for vid, t in run.fleet.terminals.items():
        for ts in sorted(t.books.fixes_accepted - stored.get(vid, Counter()).keys())[:5]:
            code, at = t.books.puback_of.get(ts, (-1, 0.0))
            when = time.strftime("%H:%M:%S", time.gmtime(at))
            rep.notes.append(f"missing fix {vid} {ts.isoformat()}: PUBACK {code:#x} at {when}Z")
    no_subs = sum(t.books.no_subscribers for t in run.fleet.terminals.values())
    if no_subs:
        again = "sent again" if run.fleet.behaviour.resend_no_subscribers else "counted as accepted"
        rep.notes.append(
            f"{no_subs} uplinks were acknowledged with 'no matching subscribers' (0x10), {again}"
        )
    rep.figures["PUBACKs 'no matching subscribers'"] = str(no_subs)
    rows = sum(sum(c.values()) for c in stored.values())
    rep.losses += missing
    rep.duplicates += doubled + phantom
    rep.checks.append(
        Check(
            "every fix the broker accepted is stored, once",
            missing == 0 and doubled == 0 and phantom == 0,
            f"{accepted} accepted (PUBACK), {rows} stored, {missing} missing, "
            f"{doubled} stored twice, {phantom} stored but never made",
        )
    )
    rep.figures["positions made"] = str(
        sum(len(t.books.fixes_made) for t in run.fleet.terminals.values())
    )
    rep.figures["positions accepted / stored"] = f"{accepted} / {rows}"


async def _check_distress(run: ChaosRun, db: Database, coord: Coordinator, rep: Report) -> None:
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(_a.c.id, _a.c.vessel_id, _a.c.ref, _a.c.state, _a.c.acked_at).where(
                    _a.c.type == "distress"
                )
            )
        ).all()
    by_ref: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by_ref[str(r.ref)].append(r)
    wanted = {}
    for vid in run.distress_vessels:
        d = run.fleet.terminals[vid].distress
        if d is not None:
            wanted[d.distress_id] = (vid, d)
    not_alerted = [i for i in wanted if not by_ref.get(i)]
    twice = [i for i, rs in by_ref.items() if len(rs) > 1]
    phantom = [i for i in by_ref if i not in wanted]
    not_acked = [i for i, rs in by_ref.items() if any(r.acked_at is None for r in rs)]
    boat_waiting = [i for i, (_, d) in wanted.items() if d.acked_at is None]
    # The API must show the same alerts, acknowledged.
    api_rows = (await coord.call("GET", "/api/v1/alerts?state=all"))["alerts"]
    api_distress = {a["ref"]: a for a in api_rows if a["type"] == "distress"}
    api_differs = [
        i
        for i, rs in by_ref.items()
        if i not in api_distress
        or api_distress[i]["id"] != rs[0].id
        or not api_distress[i]["acked_at"]
    ]
    rep.losses += len(not_alerted) + len(boat_waiting)
    rep.duplicates += sum(len(by_ref[i]) - 1 for i in twice) + len(phantom)
    sends = sum(d.sends for _, d in wanted.values())
    rep.checks.append(
        Check(
            "every distress alerted exactly once and acknowledged",
            not (not_alerted or twice or phantom or not_acked or boat_waiting or api_differs),
            f"{len(wanted)} distresses ({sends} sends with repeats), {len(rows)} alerts; "
            f"not alerted {not_alerted[:5]}, alerted twice {twice[:5]}, unknown {phantom[:5]}, "
            f"not acknowledged by the desk {not_acked[:5]}, ack not on the boat {boat_waiting[:5]}, "
            f"API differs {api_differs[:5]}",
        )
    )
    rep.figures["distresses"] = f"{len(wanted)} ({sends} sends incl. repeats)"


async def _check_broadcasts(run: ChaosRun, db: Database, coord: Coordinator, rep: Report) -> None:
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(_d.c.broadcast_id, _d.c.vessel_id, _d.c.state).where(
                    _d.c.broadcast_id.is_not(None)
                )
            )
        ).all()
    store: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for bid, vid, state in rows:
        store[int(bid)][vid].append(state)
    listed = (await coord.call("GET", "/api/v1/broadcasts"))["broadcasts"]
    titles = Counter(b["title"] for b in listed)
    created_twice = sum(n - 1 for n in titles.values() if n > 1)
    problems: list[str] = []
    total_eligible = 0
    raw = shown_total = 0
    for b in run.broadcasts:
        want = eligible(run, b)
        total_eligible += len(want)
        shown = shown_of(run, b.id)
        recorded = store.get(b.id, {})
        api = await coord.call("GET", f"/api/v1/broadcasts/{b.id}?deliveries=1")
        api_states = {d["vessel_id"]: d["state"] for d in api["deliveries"]}
        never = [v for v in want if not shown.get(v)]
        more = [v for v in want if len(shown.get(v, [])) > 1]
        outside = [v for v in shown if v not in want]
        rows_twice = [v for v, s in recorded.items() if len(s) > 1]
        not_recorded = [v for v in want if _first(recorded.get(v)) != DONE]
        not_targeted = [v for v in recorded if v not in want]
        api_differs = [v for v in want if api_states.get(v) != _first(recorded.get(v))]
        rollup = api["rollup"]
        rollup_ok = rollup["total"] == len(want) and rollup["states"].get(DONE) == len(want)
        rep.losses += len(never) + len(not_recorded)
        rep.duplicates += len(more) + len(outside) + len(rows_twice)
        for v in want:
            mids = shown.get(v, [])
            shown_total += len(mids)
            raw += sum(run.fleet.terminals[v].books.copies[m] for m in mids)
        if (
            never
            or more
            or outside
            or rows_twice
            or not_recorded
            or not_targeted
            or api_differs
            or not rollup_ok
        ):
            problems.append(
                f"{b.tag}: never shown {never[:3]}, shown twice {more[:3]}, shown outside the "
                f"target {outside[:3]}, recorded twice {rows_twice[:3]}, not recorded as "
                f"acknowledged {not_recorded[:3]}, not targeted {not_targeted[:3]}, API differs "
                f"{api_differs[:3]}, roll-up {rollup['summary']}, hub's missing list "
                f"{[(m['vessel_id'], m['state'], m['attempts'], m['sent_at']) for m in rollup['missing'][:3]]}"
            )
    rep.duplicates += created_twice
    await _explain_undelivered(run, db, rep)
    rep.checks.append(
        Check(
            "every broadcast shown once on every eligible boat, and recorded",
            not problems and created_twice == 0 and len(run.broadcasts) == run.cfg.broadcasts,
            f"{len(run.broadcasts)} broadcasts, {total_eligible} deliveries due, "
            f"{shown_total} shown, {raw} raw copies received (re-sends deduplicated by msg_id)"
            + (f"; {created_twice} created twice" if created_twice else "")
            + ("; " + " | ".join(problems[:3]) if problems else ""),
        )
    )
    rep.figures["broadcasts"] = f"{len(run.broadcasts)} ({total_eligible} deliveries)"
    rep.figures["broadcast copies raw / shown"] = f"{raw} / {shown_total}"


async def _explain_undelivered(run: ChaosRun, db: Database, rep: Report) -> None:
    """For a broadcast message that never reached a boat: the outbox row and the vessel's state."""
    ids = [b.id for b in run.broadcasts]
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    _d.c.msg_id, _d.c.vessel_id, _d.c.state, _d.c.attempts, _d.c.next_attempt_at,
                    _d.c.closed_at, _d.c.last_error, _vs.c.link_status, _vs.c.status_ts,
                    _vs.c.last_heard,
                )
                .select_from(_d.outerjoin(_vs, _vs.c.vessel_id == _d.c.vessel_id))
                .where(_d.c.broadcast_id.in_(ids), _d.c.state != DONE)
                .limit(5)
            )
        ).all()  # fmt: skip
    if rows:
        for hub in run.infra.hubs:
            rep.notes.append(await asyncio.to_thread(hub.vitals))
    for r in rows:
        t = run.fleet.terminals[r.vessel_id]
        rep.notes.append(
            f"undelivered {r.msg_id}: {r.state}, {r.attempts} attempts, next {_hms(r.next_attempt_at)}, "
            f"closed {_hms(r.closed_at)} {r.last_error!r}; vessel status {r.link_status} at "
            f"{_hms(r.status_ts)}, heard {_hms(r.last_heard)}; terminal connected {t.connected}, "
            f"links {' '.join(time.strftime('%H:%M:%S', time.gmtime(w)) + e for w, e in t.books.link_log[-8:])}"
        )


def _hms(ts: datetime | None) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ") if ts is not None else "-"


def _first(states: list[str] | None) -> str | None:
    return states[0] if states else None


async def _check_console(run: ChaosRun, db: Database, coord: Coordinator, rep: Report) -> None:
    """What a coordinator's console reads from the API equals the store."""
    async with db.engine.connect() as conn:
        vessels = (await conn.execute(select(func.count()).select_from(_v))).scalar_one()
        states: dict[str | None, int] = {
            k: int(n)
            for k, n in (
                await conn.execute(
                    select(_vs.c.contact_state, func.count()).group_by(_vs.c.contact_state)
                )
            ).all()
        }
        alerts = (await conn.execute(select(func.count()).select_from(_a))).scalar_one()
        by_state = (
            await conn.execute(
                select(_d.c.broadcast_id, _d.c.state, func.count())
                .where(_d.c.broadcast_id.is_not(None))
                .group_by(_d.c.broadcast_id, _d.c.state)
            )
        ).all()
    api_vessels = (await coord.call("GET", "/api/v1/vessels"))["vessels"]
    api_states = Counter(v["contact"]["state"] for v in api_vessels)
    store_states = Counter({str(k or "unknown"): int(n) for k, n in states.items()})
    missing_state = len(api_vessels) - sum(store_states.values())
    if missing_state > 0:
        store_states["unknown"] += missing_state  # vessels without a state row show as unknown
    api_alerts = (await coord.call("GET", "/api/v1/alerts?state=all"))["count"]
    store_rollups: dict[int, Counter[str]] = defaultdict(Counter)
    for bid, state, n in by_state:
        store_rollups[int(bid)][state] += int(n)
    rollups_differ = []
    for b in run.broadcasts:
        r = (await coord.call("GET", f"/api/v1/broadcasts/{b.id}"))["rollup"]
        api_counts = Counter({k: v for k, v in r["states"].items() if v})
        if api_counts != store_rollups[b.id]:
            rollups_differ.append(b.tag)
    problems = []
    if not (len(api_vessels) == vessels == run.cfg.vessels):
        problems.append(f"vessels API {len(api_vessels)}, store {vessels}, fleet {run.cfg.vessels}")
    if api_states != store_states:
        problems.append(f"contact states API {dict(api_states)}, store {dict(store_states)}")
    if api_alerts != min(int(alerts), 500):
        problems.append(f"alerts API {api_alerts}, store {alerts}")
    if rollups_differ:
        problems.append(f"roll-ups differ: {rollups_differ}")
    rep.checks.append(
        Check(
            "the console's counts match the store",
            not problems,
            "; ".join(problems)
            or f"{vessels} vessels, contact {dict(api_states)}, {alerts} alerts, "
            f"{len(run.broadcasts)} roll-ups equal",
        )
    )


def _figures(run: ChaosRun, coord: Coordinator, rep: Report) -> None:
    books = [t.books for t in run.fleet.terminals.values()]
    d = run.disruptions
    f = {
        "vessels": str(run.cfg.vessels),
        "hubs": f"{run.cfg.hubs}" + (" (cluster)" if run.cfg.hubs > 1 else ""),
        "hub kills (kill -9)": str(d.hub_kills),
        "hub exits by themselves": str(len(d.hub_self_exits)),
        "broker restarts": str(d.broker_restarts),
        "PostgreSQL restarts": str(d.pg_restarts),
        "link drops (flapping + restarts)": str(sum(b.drops for b in books)),
        "messages up (sent / PUBACKed)": f"{sum(b.uplinks_sent for b in books)} / {sum(b.uplinks_acked for b in books)}",
        "messages down (raw / shown)": f"{sum(sum(b.copies.values()) for b in books)} / {sum(len(b.shown) for b in books)}",
        "API retries while hubs were down": str(coord.api_retries),
    }
    rep.figures = f | rep.figures
    rep.notes += [f"exited by itself: {why}" for why in d.hub_self_exits]
    rep.figures["losses"] = str(rep.losses)
    rep.figures["duplicates"] = str(rep.duplicates)
    rep.figures["checked at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
