"""What a committed ingest batch changed, as JSON, for the hub that holds the schedule.

Only what `IngestPipeline.apply_news` reads travels: signs of life, link status and hellos,
distress outcomes, fixes for the zone watch, new requests, incident log lines and the fact that
acknowledgements were applied. Everything else is already in the database.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from seaLink.store.batch import BatchPlan, Heard
from seaLink.store.distress_writes import DistressOutcome


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def has_news(plan: BatchPlan) -> bool:
    return bool(
        plan.heard
        or plan.online
        or plan.hellos
        or plan.distress_outcomes
        or plan.positions
        or plan.new_requests
        or plan.incident_logs
        or plan.acks
    )


def encode(plan: BatchPlan, hub_id: str) -> bytes:
    doc = {
        "hub": hub_id,
        "heard": {v: [h.at.isoformat(), h.link, h.in_port] for v, h in plan.heard.items()},
        "online": plan.online,
        "hellos": sorted(plan.hellos),
        "distress": [asdict(o) for o in plan.distress_outcomes],
        "fixes": [
            [p["vessel_id"], p["lat"], p["lon"], p["ts"].isoformat(), p["nav_state"], p["backfill"]]
            for p in plan.positions
        ],
        "requests": {str(k): v for k, v in plan.new_requests.items()},
        "incident_logs": [{k: _iso(v) for k, v in e.items()} for e in plan.incident_logs],
        "acks": [{"state": a["state"]} for a in plan.acks],
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def decode(data: bytes) -> tuple[str, BatchPlan]:
    """The sending hub and a plan holding just the news (raises ValueError/KeyError on junk)."""
    doc = json.loads(data)
    plan = BatchPlan()
    plan.heard = {
        v: Heard(_dt(at), link, in_port) for v, (at, link, in_port) in doc["heard"].items()
    }
    plan.online = {str(v): bool(o) for v, o in doc["online"].items()}
    plan.hellos = set(doc["hellos"])
    plan.distress_outcomes = [DistressOutcome(**o) for o in doc["distress"]]
    plan.positions = [
        {"vessel_id": v, "lat": lat, "lon": lon, "ts": _dt(ts), "nav_state": nav, "backfill": bf}
        for v, lat, lon, ts, nav, bf in doc["fixes"]
    ]
    plan.new_requests = {int(k): v for k, v in doc["requests"].items()}
    plan.incident_logs = list(doc["incident_logs"])
    plan.acks = list(doc["acks"])
    return str(doc["hub"]), plan
