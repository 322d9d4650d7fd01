"""Fleet statistics for the console's charts, computed from what the hub already stores.

Contact history: the lost-contact and maintenance alerts give exactly when a vessel was lost or in
maintenance (the watch raises one as the state begins and resolves it as it ends), and the fixes
heard give the last-heard time at every moment, which the same rules as the contact watch
(`judge`) turn into ok / overdue. What the replay cannot see (a status message without a
position, the watch's start-up grace) makes it an approximation for ok/overdue only; lost and
maintenance are exact. Response times: how fast alerts are acknowledged and resolved, per day in
Beijing time."""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from seaLink.domain.contact import ContactRules, ContactState, judge
from seaLink.domain.ports import PortIndex

STATES = ("ok", "overdue", "lost", "maintenance", "unknown")
BEIJING = ZoneInfo("Asia/Shanghai")


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


# --- contact over time ------------------------------------------------------------------------


def sample_times(until: datetime, hours: int, step: timedelta) -> list[datetime]:
    """From `hours` before `until` to `until` itself, `step` apart (the last point is now)."""
    since = until - timedelta(hours=hours)
    n = int((until - since) / step)
    return [since + i * step for i in range(n)] + [until]


def contact_series(
    times: Sequence[datetime],
    vessels: Sequence[Any],
    fixes: Sequence[Any],
    alerts: Sequence[Any],
    rules: ContactRules,
    ports: PortIndex,
) -> dict[str, dict[str, list[int]]]:
    """Per grid and contact state, how many vessels were in that state at each of `times`.

    vessels: (id, grid_id, report_interval_s, last_heard, lat, lon, nav_state), the last five
    from the vessel's latest state; fixes: (vessel_id, ts, lat, lon, nav_state) in vessel and
    time order; alerts: (vessel_id, type, raised_at, resolved_at)."""
    # The fixes come in vessel order: one run of rows (vessel_id, ts, lat, lon, nav) per vessel.
    heard = {vid: list(rows) for vid, rows in groupby(fixes, key=itemgetter(0))}
    spans: dict[str, list[tuple[str, datetime, datetime | None]]] = {}
    for vid, type_, raised, resolved in alerts:
        spans.setdefault(vid, []).append((type_, raised, resolved))
    out: dict[str, dict[str, list[int]]] = {}
    for vid, grid, interval, last_heard, lat, lon, nav in vessels:
        counts = out.setdefault(grid, {s: [0] * len(times) for s in STATES})
        mine = heard.get(vid, [])
        stamps = [row[1] for row in mine]
        latest = (vid, last_heard, lat, lon, nav) if last_heard is not None else None
        mine_spans = spans.get(vid, ())
        in_port_cache: dict[int, bool] = {}
        for i, t in enumerate(times):
            open_types = {ty for ty, r, s in mine_spans if r <= t and (s is None or s > t)}
            if "lost_contact" in open_types:
                counts["lost"][i] += 1
                continue
            if "maintenance" in open_types:
                counts["maintenance"][i] += 1
                continue
            k = bisect.bisect_right(stamps, t) - 1
            last = mine[k] if k >= 0 else None
            if last is None and latest is not None and latest[1] <= t:
                last = latest  # silent all through the fixes read: its last word is older
            if last is None:
                counts["unknown"][i] += 1
                continue
            _, ts, fix_lat, fix_lon, fix_nav = last
            if k not in in_port_cache:
                in_port_cache[k] = fix_nav == "in_port" or (
                    fix_lat is not None
                    and fix_lon is not None
                    and ports.port_at(fix_lat, fix_lon) is not None
                )
            j = judge(last_heard=ts, now=t, in_port=in_port_cache[k], typhoon=False,
                      rules=rules, interval_s=interval)  # fmt: skip
            # Lost or maintenance without an alert (start-up grace, or a lull the replay cannot
            # see): the shore had not called it, so it counts as overdue.
            counts["ok" if j.state is ContactState.OK else "overdue"][i] += 1
    return out


# --- response times ---------------------------------------------------------------------------


def _quantile(values: list[float], q: float) -> float | None:
    """The q-quantile by linear interpolation between closest ranks (None for no values)."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def response_times(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per alert the seconds to acknowledge and (by a person) to resolve; per Beijing day the
    median and 90th percentile of each."""
    alerts = []
    per_day: dict[str, tuple[list[float], list[float], list[int]]] = {}
    for r in rows:
        raised: datetime = r["raised_at"]
        ack = (r["acked_at"] - raised).total_seconds() if r["acked_at"] else None
        res = None
        if r["resolved_at"] and r["resolved_by"]:
            res = (r["resolved_at"] - raised).total_seconds()
        day = raised.astimezone(BEIJING).date().isoformat()
        acks, ress, count = per_day.setdefault(day, ([], [], [0]))
        count[0] += 1
        if ack is not None:
            acks.append(ack)
        if res is not None:
            ress.append(res)
        alerts.append({"id": r["id"], "grid_id": r["grid_id"], "type": r["type"], "severity": r["severity"],
                       "raised_at": iso(raised), "ack_s": ack, "resolve_s": res,
                       "resolved_by": r["resolved_by"]})  # fmt: skip
    days = [
        {
            "day": day,
            "alerts": count[0],
            "acked": len(acks),
            "resolved": len(ress),
            "ack_median_s": statistics.median(acks) if acks else None,
            "ack_p90_s": _quantile(sorted(acks), 0.9),
            "resolve_median_s": statistics.median(ress) if ress else None,
            "resolve_p90_s": _quantile(sorted(ress), 0.9),
        }
        for day, (acks, ress, count) in sorted(per_day.items())
    ]
    return {"days": days, "alerts": alerts}
