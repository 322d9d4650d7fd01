"""What the serial gateways publish, turned into the same events as MQTT uplinks.

AIS: registered vessels' positions feed their tracks and the contact watch (link `ais`); other
targets are kept as traffic for the map and the nearest-vessel search; AIS-SART/MOB/EPIRB beacons
transmitting "active" (navigation status 14), and type-12/14 texts saying MAYDAY or SOS, become
distress alerts. Beidou: messages from a registered card become positions, acks, distress and
requests of that vessel (link `beidou`). Gateway status and send results go to the outbox.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from seaLink.domain.rescue import Candidate
from seaLink.metrics import HubMetrics
from seaLink.services.registry import RegistryCache
from seaLink.services.uplink_steps import AIS, BEIDOU, BEIDOU_NOTE, Accepted, Refused, Verdict
from seaLink.wire.codec import Rejection, RejectReason, refusal_of
from seaLink.wire.gateway import (
    AIS_BATCH,
    AisClass,
    AisEvent,
    BeidouRx,
    BeidouRxKind,
    BeidouTxResult,
    GatewayKind,
    GatewayState,
    GatewayStatus,
)
from seaLink.wire.payloads import AckPayload, DistressNature, DistressPayload, Fix
from seaLink.wire.topics import Topics, UplinkKind

if TYPE_CHECKING:
    from seaLink.links.mqtt_link import RawUplink

_MAYDAY = re.compile(r"\b(MAYDAY|SOS)\b", re.IGNORECASE)
_GROUP_MSG = re.compile(r"^g(\d+)$")  # a broadcast sent once to a Beidou group address
_BEACON_NATURE = {
    AisClass.MOB: DistressNature.MAN_OVERBOARD,
    AisClass.SART: DistressNature.ABANDONING,
    AisClass.EPIRB: DistressNature.UNDESIGNATED,
}


# What may be kept as traffic: a boat that could come to help (the nearest-vessel search).
_SHIPS = (AisClass.VESSEL, AisClass.UNKNOWN)


@dataclass(frozen=True, slots=True)
class GatewayTopic:
    gateway_id: str
    sub: str  # status / ais / beidou/rx / beidou/feedback / beidou/tx_result


# Which kind of gateway may publish each topic: a gateway speaks only for the link it serves.
_TOPIC_KIND = {
    "ais": GatewayKind.AIS,
    "beidou/rx": GatewayKind.BEIDOU,
    "beidou/tx_result": GatewayKind.BEIDOU,
    "beidou/feedback": GatewayKind.BEIDOU,
}


class GatewayUplinks:
    """`bound`: gateway id -> kind, from the settings (gateways.ais_ids, gateways.beidou_ids).
    A gateway listed there is that kind whatever its status says; one not listed is the kind its
    first retained status announced. Until a gateway's kind is known, and whenever it publishes
    for the other link, its messages are refused (`wrong_gateway`): an AIS gateway's account
    cannot raise a distress for a boat with a Beidou card, nor the other way round."""

    def __init__(
        self,
        registry: RegistryCache,
        topics: Topics,
        metrics: HubMetrics,
        bound: dict[str, GatewayKind] | None = None,
    ) -> None:
        self._registry = registry
        self._head = f"{topics.prefix}/gateways/"
        self._metrics = metrics
        self._bound = dict(bound or {})
        self._announced: dict[str, GatewayKind] = {}
        self.status: dict[str, GatewayStatus] = {}
        self.traffic: dict[str, Candidate] = {}
        self.tx_results: deque[tuple[str, BeidouTxResult]] = deque()  # (gateway id, result)
        self.beacon_tests = 0

    def parse_topic(self, topic: str) -> GatewayTopic | None:
        if not topic.startswith(self._head):
            return None
        gid, _, sub = topic[len(self._head) :].partition("/")
        return GatewayTopic(gid, sub)

    def beidou_gateway(self) -> str | None:
        """An online Beidou gateway that has read its card, if any."""
        for gid, st in self.status.items():
            if st.kind is GatewayKind.BEIDOU and st.state is GatewayState.ONLINE and st.card:
                return gid
        return None

    def kind_of(self, gateway_id: str) -> GatewayKind | None:
        return self._bound.get(gateway_id) or self._announced.get(gateway_id)

    def _status(self, raw: RawUplink, gid: str) -> list[Verdict]:
        st = GatewayStatus.model_validate_json(raw.payload)
        was = self.kind_of(gid)
        if st.gateway_id != gid or (was is not None and st.kind is not was):
            detail = (f"gateway {gid} announced itself as {st.kind.value} gateway {st.gateway_id}"
                      + (f", but it is a {was.value} gateway" if was else ""))  # fmt: skip
            return [Refused(raw, None, Rejection(RejectReason.WRONG_GATEWAY, detail))]
        self._announced.setdefault(gid, st.kind)
        self.status[gid] = st
        return []

    def classify(self, raw: RawUplink, topic: GatewayTopic, now: datetime) -> list[Verdict]:
        """The events a gateway's message carries, each accepted or refused."""
        self._metrics.uplinks.labels(f"gateway:{topic.sub}").inc()
        needs = _TOPIC_KIND.get(topic.sub)
        if needs is not None and self.kind_of(topic.gateway_id) is not needs:
            kind = self.kind_of(topic.gateway_id)
            detail = (f"{topic.sub} from gateway {topic.gateway_id}, which is "
                      + (f"a {kind.value} gateway" if kind else "not known (no status yet)"))  # fmt: skip
            return [Refused(raw, None, Rejection(RejectReason.WRONG_GATEWAY, detail))]
        try:
            if topic.sub == "status":
                if raw.payload:
                    return self._status(raw, topic.gateway_id)
            elif topic.sub == "ais":
                out: list[Verdict] = []
                for ev in AIS_BATCH.validate_json(raw.payload):
                    out.extend(self._ais(ev, raw, now))
                return out
            elif topic.sub == "beidou/rx":
                return self._beidou(BeidouRx.model_validate_json(raw.payload), raw)
            elif topic.sub == "beidou/tx_result":
                result = BeidouTxResult.model_validate_json(raw.payload)
                self.tx_results.append((topic.gateway_id, result))
            elif topic.sub != "beidou/feedback":
                detail = f"unknown gateway topic {topic.sub!r}"
                return [Refused(raw, None, Rejection(RejectReason.UNKNOWN_TOPIC, detail))]
        except ValidationError as exc:
            return [Refused(raw, None, refusal_of(exc))]
        return []

    # -- AIS ----------------------------------------------------------------------------------

    def _ais(self, ev: AisEvent, raw: RawUplink, now: datetime) -> list[Verdict]:
        ts = min(ev.ts, now)
        if ev.class_ in _BEACON_NATURE:
            if ev.nav_status == 15 or (ev.text and "TEST" in ev.text.upper()):
                self.beacon_tests += 1  # a beacon test: recorded in the counters, never an alarm
                return []
            if ev.nav_status == 14 and ev.lat is not None and ev.lon is not None:
                return [self._ais_distress(ev, ts, _BEACON_NATURE[ev.class_], raw)]
        if ev.text and _MAYDAY.search(ev.text):
            last = self.traffic.get(ev.mmsi)
            info = self._registry.by_mmsi(ev.mmsi)
            if last is not None or info is not None:
                return [self._ais_distress(ev, ts, DistressNature.UNDESIGNATED, raw, last)]
            # no position known for this MMSI yet: keep it for the operators
            detail = f"MAYDAY from MMSI {ev.mmsi} with no known position"
            return [Refused(raw, None, Rejection(RejectReason.INVALID_PAYLOAD, detail))]
        if ev.lat is None or ev.lon is None or ev.class_ not in _SHIPS:
            return []  # a base station, aid to navigation, net buoy, beacon or aircraft: no boat
        info = self._registry.by_mmsi(ev.mmsi) if ev.class_ is AisClass.VESSEL else None
        if info is not None:
            fix = Fix(ts=ts, lat=ev.lat, lon=ev.lon, sog=_knots(ev.sog), cog=ev.cog)
            return [Accepted(raw, info.id, UplinkKind.POSITION, [fix], AIS)]
        self.traffic[ev.mmsi] = Candidate(
            ev.mmsi, ev.name or f"MMSI {ev.mmsi}", "", ev.lat, ev.lon, _knots(ev.sog), ev.cog, ts, AIS,
            reachable=False,
        )  # fmt: skip
        if len(self.traffic) > 50_000:  # forget the oldest targets
            stale = sorted(self.traffic.values(), key=lambda c: c.fix_ts)[:10_000]
            for c in stale:
                self.traffic.pop(c.id, None)
        return []

    def _ais_distress(
        self, ev: AisEvent, ts: datetime, nature: DistressNature, raw: RawUplink,
        last: Candidate | None = None,
    ) -> Verdict:  # fmt: skip
        lat = ev.lat if ev.lat is not None else last.lat if last else None
        lon = ev.lon if ev.lon is not None else last.lon if last else None
        info = self._registry.by_mmsi(ev.mmsi)
        known = lat is not None and lon is not None
        if lat is None or lon is None:
            lat, lon = 0.0, 0.0  # placeholders: the store puts the vessel's last known position
        payload = DistressPayload(
            distress_id=f"ais-{ev.mmsi}", ts=ts, lat=lat, lon=lon, nature=nature,
            text=f"AIS {ev.class_.value} {ev.mmsi}" + (f"：{ev.text}" if ev.text else ""),
        )  # fmt: skip
        if info is not None:
            return Accepted(raw, info.id, UplinkKind.DISTRESS, payload, AIS, position_known=known)
        # a beacon or a ship we do not know: the county desk and the admins see it
        return Accepted(
            raw, f"AIS-{ev.mmsi}", UplinkKind.DISTRESS, payload, AIS,
            grid_id="", name=f"AIS {ev.class_.value} {ev.mmsi}",
        )  # fmt: skip

    # -- Beidou -------------------------------------------------------------------------------

    def _beidou(self, rx: BeidouRx, raw: RawUplink) -> list[Verdict]:
        info = self._registry.by_card(rx.card)
        if info is None:
            detail = f"no vessel has Beidou card {rx.card}"
            return [Refused(raw, None, Rejection(RejectReason.UNKNOWN_VESSEL, detail))]
        kind = {
            BeidouRxKind.POSITION: UplinkKind.POSITION,
            BeidouRxKind.ACK: UplinkKind.ACK,
            BeidouRxKind.DISTRESS: UplinkKind.DISTRESS,
            BeidouRxKind.REQUEST: UplinkKind.REQUEST,
        }.get(rx.kind)
        decoded = {
            BeidouRxKind.POSITION: rx.fixes,
            BeidouRxKind.ACK: rx.ack,
            BeidouRxKind.DISTRESS: rx.distress,
            BeidouRxKind.REQUEST: rx.request,
        }.get(rx.kind)
        if kind is None or decoded is None:
            return [Accepted(raw, info.id, BEIDOU_NOTE, (rx.rx_id, rx.ts), BEIDOU)]
        if isinstance(decoded, AckPayload) and (group := _GROUP_MSG.match(decoded.msg_id)):
            # the ack of a group broadcast (`g<bid>`): this boat's own copy of the broadcast
            decoded = decoded.model_copy(update={"msg_id": f"b{group.group(1)}-{info.id}"})
        if (
            isinstance(decoded, DistressPayload)
            and not decoded.cancel
            and decoded.lat == decoded.lon == 0
        ):
            # a typed SOS carries no position: the store puts the vessel's last known one
            return [Accepted(raw, info.id, kind, decoded, BEIDOU, position_known=False)]
        return [Accepted(raw, info.id, kind, decoded, BEIDOU)]


def _knots(sog: float | None) -> float | None:
    return sog if sog is not None and sog <= 102.2 else None
