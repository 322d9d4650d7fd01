"""Scenario files: scripted events for the simulated fleet (TOML, in `simulators/scenarios/`).

```toml
name = "distress"
description = "one boat on fire"
[coverage]            # optional: override the coverage model
radius_nm = 25
[[events]]
at = "20m"            # simulated time from the start: 30s, 10m, 2h, 1d, 1h30m (or seconds)
vessel = "random:a"   # an id, "random", "random:<label>" (same label = same boat),
                      # "group:G01-F1", "grid:G01", or "all"; `count = N` samples N of them
action = "distress"
nature = "fire"
```

Every problem is reported with the file and the event's number, time and action, so a person
can fix the file without reading this code.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from seaLink.wire import VESSEL_ID_PATTERN, DistressNature
from simulators.coverage import CoverageSettings
from simulators.fleet_csv import SimVessel

FAULTS = ("malformed_json", "wrong_types", "oversized", "wrong_vessel", "future_ts", "bad_status")
_COMMON = {"at", "vessel", "action", "count"}
# action -> (required keys, optional keys)
ACTIONS: dict[str, tuple[set[str], set[str]]] = {
    "silence": ({"duration"}, set()),
    "out_of_coverage": ({"duration"}, set()),
    "distress": (set(), {"nature", "persons", "text", "repeat"}),
    "cancel_distress": (set(), {"reason"}),
    "goto": ({"lat", "lon"}, {"hold"}),
    "fault": ({"fault"}, {"size"}),
    "request": (set(), {"category", "text"}),
}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")
_UNIT_S = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_VID = re.compile(VESSEL_ID_PATTERN)
_CATEGORY = re.compile(r"^[a-z_]{1,32}$")
REQUEST_TEXTS = (
    "网具被过往商船刮坏，请帮忙联系渔政登记损失。",
    "船上有人发烧，想咨询附近哪里可以看病。",
    "柴油快用完了，请问云澳渔港加油站几点开门？",
    "渔获价格偏低，想了解合作社的收购价。",
    "请帮忙查一下台风最新路径，明天能否出海？",
)


class ScenarioError(ValueError):
    """A scenario that cannot run; the message names the file and the event."""


@dataclass(frozen=True, slots=True)
class ScenarioEvent:
    number: int  # 1-based position in the file, for messages
    at_s: float
    vessel: str
    action: str
    count: int | None = None
    duration_s: float = 0.0
    lat: float = 0.0
    lon: float = 0.0
    hold_s: float = 7200.0
    nature: str = DistressNature.UNDESIGNATED.value
    persons: int | None = None
    text: str | None = None
    repeat_s: float = 30.0
    reason: str = "误报，已解除"
    category: str = "other"
    fault: str = ""
    size: int = 70_000

    def label(self) -> str:
        return f"event {self.number} (at={self.at_s:g}s, action={self.action!r})"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str = ""
    events: tuple[ScenarioEvent, ...] = ()
    coverage: CoverageSettings | None = None
    source: str = "<memory>"


@dataclass(frozen=True, slots=True)
class ResolvedEvent:
    event: ScenarioEvent
    vessel_ids: tuple[str, ...] = field(default_factory=tuple)


def parse_duration(value: Any, what: str = "duration") -> float:
    """`"1h30m"` -> 5400.0; numbers are seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a duration like 30s, 10m, 2h, 1d, got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{what} must not be negative, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a duration like 30s, 10m, 2h, 1d, got {value!r}")
    text = value.strip().lower()
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise ValueError(f"{what} {value!r} is not a duration like 30s, 10m, 2h, 1d or 1h30m")
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


def scenario_names() -> list[str]:
    folder = resources.files("simulators").joinpath("scenarios")
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name (`distress`) or any TOML file by path."""
    text_name = str(name_or_path)
    path = Path(text_name)
    if path.suffix == ".toml" or path.is_file():
        if not path.is_file():
            raise ScenarioError(f"scenario file {path} does not exist")
        return parse_scenario(path.read_text(encoding="utf-8"), str(path))
    shipped = resources.files("simulators").joinpath("scenarios", f"{text_name}.toml")
    if not shipped.is_file():
        raise ScenarioError(
            f"unknown scenario {text_name!r}: use one of {', '.join(scenario_names())} "
            "or the path of a .toml file"
        )
    return parse_scenario(shipped.read_text(encoding="utf-8"), f"{text_name}.toml")


def parse_scenario(text: str, source: str = "<memory>") -> Scenario:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    unknown = set(doc) - {"name", "description", "events", "coverage"}
    if unknown:
        raise ScenarioError(f"{source}: unknown top-level keys {sorted(unknown)}")
    raw_events = doc.get("events", [])
    if not isinstance(raw_events, list):
        raise ScenarioError(f"{source}: `events` must be an array of tables ([[events]])")
    events = tuple(_event(source, n, raw) for n, raw in enumerate(raw_events, start=1))
    return Scenario(
        name=str(doc.get("name", Path(source).stem)),
        description=str(doc.get("description", "")),
        events=tuple(sorted(events, key=lambda e: (e.at_s, e.number))),
        coverage=_coverage(source, doc.get("coverage")),
        source=source,
    )


def _coverage(source: str, raw: Any) -> CoverageSettings | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: [coverage] must be a table")
    allowed = {"radius_nm", "drop_probability", "regain_probability"}
    unknown = set(raw) - allowed
    if unknown:
        raise ScenarioError(f"{source}: [coverage] has unknown keys {sorted(unknown)}")
    try:
        return CoverageSettings(**{k: float(v) for k, v in raw.items()})
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{source}: [coverage]: {exc}") from None


def _event(source: str, number: int, raw: Any) -> ScenarioEvent:
    where = f"{source}: event {number}"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: must be a table with at, vessel and action")
    action = raw.get("action")
    where = f"{where} (at={raw.get('at')!r}, action={action!r})"
    if action not in ACTIONS:
        raise ScenarioError(f"{where}: unknown action; use one of {', '.join(sorted(ACTIONS))}")
    required, optional = ACTIONS[action]
    missing = sorted(({"at", "vessel"} | required) - set(raw))
    if missing:
        raise ScenarioError(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(set(raw) - _COMMON - required - optional)
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {', '.join(unknown)} for this action")
    try:
        return _build(number, action, raw)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def _build(number: int, action: str, raw: dict[str, Any]) -> ScenarioEvent:
    vessel = raw["vessel"]
    if not isinstance(vessel, str) or not _selector_ok(vessel):
        raise ValueError(
            f"vessel {vessel!r} must be a vessel id, 'random', 'random:<label>', "
            "'group:<group id>', 'grid:<grid id>' or 'all'"
        )
    kw: dict[str, Any] = {"number": number, "at_s": parse_duration(raw["at"], "at")}
    kw["vessel"], kw["action"] = vessel, action
    if "count" in raw:
        kw["count"] = _int(raw["count"], "count", 1, 100_000)
    if "duration" in raw:
        kw["duration_s"] = parse_duration(raw["duration"])
        if kw["duration_s"] <= 0:
            raise ValueError("duration must be longer than 0s")
    if action == "goto":
        kw["lat"] = _number(raw["lat"], "lat", -90.0, 90.0)
        kw["lon"] = _number(raw["lon"], "lon", -180.0, 180.0)
        if "hold" in raw:
            kw["hold_s"] = parse_duration(raw["hold"], "hold")
    if "nature" in raw:
        values = [n.value for n in DistressNature]
        if raw["nature"] not in values:
            raise ValueError(f"nature {raw['nature']!r} is not one of {', '.join(values)}")
        kw["nature"] = raw["nature"]
    if "persons" in raw:
        kw["persons"] = _int(raw["persons"], "persons", 0, 500)
    if "text" in raw:
        if not isinstance(raw["text"], str) or not 1 <= len(raw["text"]) <= 1000:
            raise ValueError("text must be a string of 1 to 1000 characters")
        kw["text"] = raw["text"]
    if "repeat" in raw:
        kw["repeat_s"] = parse_duration(raw["repeat"], "repeat")
        if kw["repeat_s"] < 1:
            raise ValueError("repeat must be at least 1s")
    if "reason" in raw:
        if not isinstance(raw["reason"], str) or not 1 <= len(raw["reason"]) <= 500:
            raise ValueError("reason must be a string of 1 to 500 characters")
        kw["reason"] = raw["reason"]
    if "category" in raw:
        if not isinstance(raw["category"], str) or not _CATEGORY.match(raw["category"]):
            raise ValueError("category must be 1-32 lowercase letters or underscores")
        kw["category"] = raw["category"]
    if action == "fault":
        if raw["fault"] not in FAULTS:
            raise ValueError(f"fault {raw['fault']!r} is not one of {', '.join(FAULTS)}")
        kw["fault"] = raw["fault"]
    if "size" in raw:
        kw["size"] = _int(raw["size"], "size", 1, 16 * 1024 * 1024)
    return ScenarioEvent(**kw)


def _selector_ok(sel: str) -> bool:
    if sel in ("random", "all") or _VID.match(sel):
        return True
    kind, _, rest = sel.partition(":")
    return kind in ("random", "group", "grid") and bool(rest)


def _int(value: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{what} must be an integer within {lo}..{hi}, got {value!r}")
    return value


def _number(value: Any, what: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ValueError(f"{what} must be a number within {lo}..{hi}, got {value!r}")
    return float(value)


def resolve(
    scenario: Scenario,
    vessels: Sequence[SimVessel],
    seed: int,
    navigable: Callable[[float, float], bool] | None = None,
) -> list[ResolvedEvent]:
    """Pick the boats of every event, identically in every process of a split fleet."""
    out = []
    for ev in scenario.events:
        where = f"{scenario.source}: {ev.label()}"
        if ev.action == "goto" and navigable is not None and not navigable(ev.lat, ev.lon):
            raise ScenarioError(
                f"{where}: goto target ({ev.lat}, {ev.lon}) is on land or outside the "
                "simulated area (21.5-25.5N, 115.5-121E)"
            )
        out.append(ResolvedEvent(ev, _targets(where, ev, vessels, seed)))
    return out


def _targets(
    where: str, ev: ScenarioEvent, vessels: Sequence[SimVessel], seed: int
) -> tuple[str, ...]:
    sel = ev.vessel
    kind, _, rest = sel.partition(":")
    if sel == "all":
        pool = [v.id for v in vessels]
    elif kind == "random":
        label = rest or f"#{ev.number}"
        rng = random.Random(f"scenario:{seed}:{label}")
        ids = [v.id for v in vessels]
        n = ev.count or 1
        if n > len(ids):
            raise ScenarioError(f"{where}: count {n} is more than the {len(ids)} vessels")
        return tuple(rng.sample(ids, n))
    elif kind == "group" and rest:
        pool = [v.id for v in vessels if v.group_id == rest]
    elif kind == "grid" and rest:
        pool = [v.id for v in vessels if v.grid_id == rest]
    else:
        pool = [v.id for v in vessels if v.id == sel]
        if not pool:
            raise ScenarioError(f"{where}: vessel {sel!r} is not in the fleet")
    if not pool:
        raise ScenarioError(f"{where}: {sel!r} matches no vessel of the fleet")
    if ev.count is not None and ev.count < len(pool):
        rng = random.Random(f"scenario:{seed}:#{ev.number}")
        return tuple(rng.sample(pool, ev.count))
    return tuple(pool)
