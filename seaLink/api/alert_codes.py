"""A machine code and parameters for each alert (`detail_code`), beside its Chinese `detail`.

The console phrases an alert in the coordinator's language from `{"code", "params"}`; the stored
`detail` sentence stays for SMS, logs and older clients. Codes are derived when an alert is read,
from its type, phase and data, so alerts stored before codes existed carry them too.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from seaLink.store.db import Database
from seaLink.store.tables import ZoneRecord

_zones: Any = ZoneRecord.__table__  # type: ignore[attr-defined]

# The zone watch writes "脱离编队 {group}：距最近同伴 {gap:.1f} 海里" (services/zone_watch.py).
_SEPARATION = re.compile(r"脱离编队 (?P<group>\S*)：距最近同伴 (?P<gap>[\d.]+) 海里")
# The contact watch writes "last heard {iso or never}" and "silent in port since {iso or never}"
# (store/contact_writes.py).
_HEARD = re.compile(r"(?:last heard|silent in port since) (?P<at>\S+)")


def _last_heard(alert: dict[str, Any]) -> str | None:
    m = _HEARD.search(str(alert.get("detail") or ""))
    return None if m is None or m["at"] == "never" else m["at"]


def _zone_id(alert_type: str) -> int | None:
    prefix, _, rest = alert_type.partition(":")
    return int(rest) if prefix == "zone" and rest.isdigit() else None


def _data(alert: dict[str, Any]) -> dict[str, Any]:
    raw = alert.get("data")
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def detail_code(alert: dict[str, Any], zone_names: dict[int, tuple[str, str]]) -> dict[str, Any]:
    """`{"code": ..., "params": {...}}` of one alert row (a dict as the store returns it)."""
    type_, phase, data = str(alert["type"]), str(alert.get("phase") or ""), _data(alert)
    if type_ == "lost_contact":
        return {
            "code": "contact.lost",
            "params": {"phase": phase, "last_heard": _last_heard(alert)},
        }
    if type_ == "maintenance":
        return {"code": "contact.silent_in_port", "params": {"last_heard": _last_heard(alert)}}
    if type_ == "distress":
        if data.get("cancel_requested"):
            return {
                "code": "distress.cancel_requested",
                "params": {"reason": data.get("cancel_reason") or ""},
            }
        params = {k: data.get(k) for k in ("nature", "persons", "text")}
        return {
            "code": "distress",
            "params": params | {"lat": alert.get("lat"), "lon": alert.get("lon")},
        }
    if type_ == "separation":
        m = _SEPARATION.search(str(alert.get("detail") or ""))
        params = {"group": m["group"], "gap_nm": float(m["gap"])} if m else {}
        return {"code": "group.separated", "params": params}
    if type_ == "recall":
        return {"code": "recall.unaccounted", "params": {}}
    zid = _zone_id(type_)
    if zid is not None:
        name, name_en = zone_names.get(zid, ("", ""))
        return {
            "code": "zone.entered",
            "params": {"zone_id": zid, "zone": name, "zone_en": name_en, "zone_kind": phase},
        }
    return {"code": f"alert.{type_}", "params": {}}


async def with_codes(db: Database, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alerts with `detail_code` added and `data` as an object (the list query leaves it as
    the stored JSON text)."""
    zids = {z for a in alerts if (z := _zone_id(str(a["type"]))) is not None}
    names: dict[int, tuple[str, str]] = {}
    if zids:
        q = select(_zones.c.id, _zones.c.name, _zones.c.name_en).where(_zones.c.id.in_(zids))
        async with db.engine.connect() as conn:
            names = {int(i): (n, e or "") for i, n, e in (await conn.execute(q)).all()}
    return [a | {"data": _data(a), "detail_code": detail_code(a, names)} for a in alerts]
