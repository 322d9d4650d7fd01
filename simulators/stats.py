"""Counters: fleet totals for the progress line, and per-vessel records for the JSON dump that
messaging tests read (how often each msg_id arrived, what was acted on, which acks went out)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

STATS_ENV = "SEALINK_SIM_STATS"


@dataclass(slots=True)
class FleetCounters:
    vessels: int = 0
    online: int = 0
    connects: int = 0
    connect_errors: int = 0
    disconnects: int = 0  # not by us: broker restart, keepalive timeout
    drops: int = 0  # by us: coverage holes and silences (the broker publishes the will)
    positions: int = 0  # live position messages
    backfill_msgs: int = 0
    backfill_fixes: int = 0
    down_received: int = 0
    down_duplicates: int = 0
    down_expired: int = 0
    down_invalid: int = 0
    acks_sent: int = 0
    acks_skipped_expired: int = 0
    distress_sent: int = 0
    requests_sent: int = 0
    faults_sent: int = 0
    resent_no_subscribers: int = 0  # uplinks sent again after a PUBACK "no matching subscribers"
    sim_time_s: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def add(self, other: dict[str, Any]) -> None:
        for f in fields(self):
            if f.name == "sim_time_s":
                self.sim_time_s = max(self.sim_time_s, float(other.get(f.name, 0.0)))
            else:
                setattr(self, f.name, getattr(self, f.name) + int(other.get(f.name, 0)))

    def line(self) -> str:
        t = int(self.sim_time_s)
        return (
            f"sim t+{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}  "
            f"online {self.online}/{self.vessels}  positions {self.positions}  "
            f"backfill {self.backfill_msgs} msgs/{self.backfill_fixes} fixes  "
            f"down {self.down_received} (dup {self.down_duplicates}, expired {self.down_expired})  "
            f"acks {self.acks_sent}  distress {self.distress_sent}  "
            f"drops {self.drops}  connect errors {self.connect_errors}"
        )


@dataclass(slots=True)
class VesselRecord:
    received: dict[str, int] = field(default_factory=dict)  # msg_id -> times it arrived
    acted: dict[str, int] = field(default_factory=dict)  # msg_id -> times acted upon (0 or 1)
    acks: dict[str, list[str]] = field(default_factory=dict)  # msg_id -> states sent, in order
    expired: list[str] = field(default_factory=list)
    invalid_down: int = 0
    positions: int = 0
    backfill_msgs: int = 0
    backfill_fixes: int = 0
    distress: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    connects: int = 0
    drops: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def stats_path_from_env() -> Path | None:
    value = os.environ.get(STATS_ENV, "").strip()
    return Path(value) if value else None


def write_stats(path: Path, doc: dict[str, Any]) -> None:
    """Write atomically, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def merge_stats(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One document from the dumps of the processes of a split fleet."""
    totals = FleetCounters()
    vessels: dict[str, Any] = {}
    for part in parts:
        totals.add(part.get("totals", {}))
        vessels.update(part.get("vessels", {}))
    first = parts[0] if parts else {}
    return {
        "run_id": first.get("run_id", ""),
        "seed": first.get("seed"),
        "totals": totals.as_dict(),
        "vessels": vessels,
    }
