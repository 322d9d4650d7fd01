"""A distress as a CAP 1.2 alert (OASIS Common Alerting Protocol), for emergency systems."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
_BJ = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class CapFacts:
    identifier: str
    sender: str
    sent: datetime
    status: str  # Actual / Exercise / System / Test / Draft
    msg_type: str  # Alert / Update / Cancel
    language: str  # of the `info` block, e.g. zh-CN
    sender_name: str
    event: str
    headline: str
    description: str
    instruction: str
    area_desc: str
    lat: float
    lon: float
    radius_km: float
    severity: str = "Extreme"
    urgency: str = "Immediate"
    certainty: str = "Observed"
    contact: str = ""
    references: str | None = None


def _cap_time(t: datetime) -> str:
    # CAP wants an explicit offset and no fractional seconds, e.g. 2026-11-28T12:00:00+08:00.
    return t.astimezone(_BJ).replace(microsecond=0).isoformat()


def cap_alert(f: CapFacts) -> str:
    ET.register_namespace("", CAP_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        el = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
        if text is not None:
            el.text = text
        return el

    alert = ET.Element(f"{{{CAP_NS}}}alert")
    sub(alert, "identifier", f.identifier)
    sub(alert, "sender", f.sender)
    sub(alert, "sent", _cap_time(f.sent))
    sub(alert, "status", f.status)
    sub(alert, "msgType", f.msg_type)
    sub(alert, "scope", "Restricted")
    sub(alert, "restriction", "fisheries emergency and maritime SAR services")
    if f.references:
        sub(alert, "references", f.references)
    info = sub(alert, "info")
    sub(info, "language", f.language)
    sub(info, "category", "Rescue")
    sub(info, "category", "Safety")
    sub(info, "event", f.event)
    sub(info, "responseType", "Execute")
    sub(info, "urgency", f.urgency)
    sub(info, "severity", f.severity)
    sub(info, "certainty", f.certainty)
    sub(info, "senderName", f.sender_name)
    sub(info, "headline", f.headline)
    sub(info, "description", f.description)
    sub(info, "instruction", f.instruction)
    if f.contact:
        sub(info, "contact", f.contact)
    area = sub(info, "area")
    sub(area, "areaDesc", f.area_desc)
    sub(area, "circle", f"{f.lat:.5f},{f.lon:.5f} {f.radius_km:.1f}")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(alert, encoding="unicode")
