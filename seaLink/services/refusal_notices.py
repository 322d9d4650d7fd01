"""Refusal notices (protocol §3, issue 15.6/15.7): a vessel whose uplink the hub refuses is told
so on its own down topic, with the reason and the refused message's id, so that a terminal can
correct it and send it again instead of losing it behind a PUBACK that said "received".

A notice is published straight to the vessel's `down` topic (QoS 1, not retained), never kept in
the outbox: it answers one message at one moment, and a terminal that missed it still has its
message and can send it again. To keep a faulty or hostile terminal from making the hub talk,
only a registered vessel is told, only about a message on its own topics (the broker's ACL), at
most `refusal_notices_per_min` a minute; the rest are counted. A `delivered` for a notice is
taken and ignored (never refused: that would answer a notice with a notice)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from seaLink.links.mqtt_link import MqttLink
from seaLink.metrics import HubMetrics
from seaLink.services.registry import RegistryCache
from seaLink.services.uplink_steps import Refused
from seaLink.store.phrases import BOAT_LANG
from seaLink.texts import Phrase, render
from seaLink.wire.codec import RejectReason
from seaLink.wire.payloads import DownKind, DownMessage
from seaLink.wire.topics import Topics

NOTICE_PREFIX = "rf-"
# Not told: the sender may not be the vessel the topic names, or the vessel is not ours.
_UNTOLD = {RejectReason.UNKNOWN_VESSEL, RejectReason.VESSEL_MISMATCH, RejectReason.BAD_VESSEL_ID}
_ID_FIELDS = ("msg_id", "distress_id", "request_id", "report_id")
_WINDOW = timedelta(minutes=1)
_MAX_VESSELS = 100_000  # rate windows kept; cleared beyond (bounded memory)


def refused_id(payload: bytes) -> str | None:
    """The refused message's own id (`msg_id`, `distress_id`, `request_id`, `report_id`; a fix's `ts`), when
    the payload is a JSON object (or array of fixes) that carries one as a string."""
    try:
        obj: Any = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(obj, list) and obj:
        obj = obj[0]
    if not isinstance(obj, dict):
        return None
    for key in (*_ID_FIELDS, "ts"):
        value = obj.get(key)
        if isinstance(value, str) and 0 < len(value) <= 64:
            return value
    return None


class RefusalNotices:
    def __init__(
        self,
        link: MqttLink,
        registry: RegistryCache,
        topics: Topics,
        metrics: HubMetrics,
        per_min: int,
    ) -> None:
        self._link = link
        self._registry = registry
        self._topics = topics
        self._metrics = metrics
        self._per_min = per_min
        self._windows: dict[str, tuple[datetime, int]] = {}

    def tell(self, refused: list[Refused], now: datetime) -> None:
        for r in refused:
            vid = r.vessel_id
            if vid is None or r.rejection.reason in _UNTOLD or self._registry.get(vid) is None:
                continue
            if not self._allowed(vid, now):
                self._metrics.refusal_notices.labels("suppressed").inc()
                continue
            payload = self.notice(r, now)
            sent = self._link.publish(self._topics.down(vid), payload, qos=1)
            self._metrics.refusal_notices.labels("sent" if sent is not None else "offline").inc()

    def _allowed(self, vid: str, now: datetime) -> bool:
        start, n = self._windows.get(vid, (now, 0))
        if now - start >= _WINDOW:
            start, n = now, 0
        if n >= self._per_min:
            return False
        if len(self._windows) >= _MAX_VESSELS:
            self._windows.clear()
        self._windows[vid] = (start, n + 1)
        return True

    @staticmethod
    def notice(r: Refused, now: datetime) -> bytes:
        raw, rej = r.raw, r.rejection
        digest = hashlib.sha256(
            b"|".join((raw.topic.encode(), now.isoformat().encode(), raw.payload[:4096]))
        ).hexdigest()
        detail = rej.detail[:300]
        args = {"reason": rej.reason.value, "detail": detail}
        msg = DownMessage(
            msg_id=f"{NOTICE_PREFIX}{digest[:24]}",
            kind=DownKind.REFUSED,
            priority=9,
            title=render(Phrase("down.refused.title"), BOAT_LANG),
            body=render(Phrase("down.refused.body", args), BOAT_LANG),
            issued=now,
            expires=now + timedelta(hours=1),
            ack="none",
            reason=rej.reason.value,
            detail=detail,
            topic=raw.topic[:256],
            refused_id=refused_id(raw.payload),
        )
        return msg.to_json()
