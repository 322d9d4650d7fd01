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
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from seaLink.domain.rescue import Candidate
from seaLink.metrics import HubMetrics
from seaLink.services.registry import RegistryCache
from seaLink.store.batch import BatchPlan
from seaLink.store.distress_writes import DistressItem
from seaLink.wire.codec import Rejection, RejectReason, describe_errors
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
from seaLink.wire.payloads import DistressNature, DistressPayload, Fix
from seaLink.wire.topics import Topics, UplinkKind

if TYPE_CHECKING:
    from seaLink.links.mqtt_link import RawUplink
    from seaLink.services.ingest import IngestPipeline

AIS = "ais"
BEIDOU = "beidou"
_MAYDAY = re.compile(r"\b(MAYDAY|SOS)\b", re.IGNORECASE)
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


class GatewayUplinks:
    def __init__(
        self, pipeline: IngestPipeline, registry: RegistryCache, topics: Topics, metrics: HubMetrics
    ) -> None:
        self._pipeline = pipeline
        self._registry = registry
        self._head = f"{topics.prefix}/gateways/"
        self._metrics = metrics
        self.status: dict[str, GatewayStatus] = {}
        self.traffic: dict[str, Candidate] = {}
        self.tx_results: deque[BeidouTxResult] = deque()
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

    def classify(self, raw: RawUplink, topic: GatewayTopic, now: datetime, plan: BatchPlan) -> None:
        self._metrics.uplinks.labels(f"gateway:{topic.sub}").inc()
        try:
            if topic.sub == "status":
                if raw.payload:
                    self.status[topic.gateway_id] = GatewayStatus.model_validate_json(raw.payload)
            elif topic.sub == "ais":
                for ev in AIS_BATCH.validate_json(raw.payload):
                    self._ais(ev, raw, now, plan)
            elif topic.sub == "beidou/rx":
                self._beidou(BeidouRx.model_validate_json(raw.payload), raw, now, plan)
            elif topic.sub == "beidou/tx_result":
                self.tx_results.append(BeidouTxResult.model_validate_json(raw.payload))
            elif topic.sub != "beidou/feedback":
                self._pipeline._reject(
                    raw,
                    None,
                    Rejection(RejectReason.UNKNOWN_TOPIC, f"unknown gateway topic {topic.sub!r}"),
                    now,
                    plan,
                )
        except ValidationError as exc:
            self._pipeline._reject(
                raw, None, Rejection(RejectReason.INVALID_PAYLOAD, describe_errors(exc)), now, plan
            )

    # -- AIS ----------------------------------------------------------------------------------

    def _ais(self, ev: AisEvent, raw: RawUplink, now: datetime, plan: BatchPlan) -> None:
        ts = min(ev.ts, now)
        if ev.class_ in _BEACON_NATURE:
            if ev.nav_status == 15 or (ev.text and "TEST" in ev.text.upper()):
                self.beacon_tests += 1  # a beacon test: recorded in the counters, never an alarm
                return
            if ev.nav_status == 14 and ev.lat is not None and ev.lon is not None:
                self._ais_distress(ev, ts, _BEACON_NATURE[ev.class_], plan, raw, now)
                return
        if ev.text and _MAYDAY.search(ev.text):
            last = self.traffic.get(ev.mmsi)
            info = self._registry.by_mmsi(ev.mmsi)
            if last is not None or info is not None:
                self._ais_distress(ev, ts, DistressNature.UNDESIGNATED, plan, raw, now, last)
            else:  # no position known for this MMSI yet: keep it for the operators
                self._pipeline._reject(raw, None, Rejection(RejectReason.INVALID_PAYLOAD,
                                       f"MAYDAY from MMSI {ev.mmsi} with no known position"), now, plan)  # fmt: skip
            return
        if ev.lat is None or ev.lon is None or ev.class_ not in _SHIPS:
            return  # a base station, aid to navigation, net buoy, beacon or aircraft: no boat
        info = self._registry.by_mmsi(ev.mmsi) if ev.class_ is AisClass.VESSEL else None
        if info is not None:
            fix = Fix(ts=ts, lat=ev.lat, lon=ev.lon, sog=_knots(ev.sog), cog=ev.cog)
            self._pipeline._apply_fixes(info.id, [fix], now, plan, AIS)
            return
        self.traffic[ev.mmsi] = Candidate(
            ev.mmsi, ev.name or f"MMSI {ev.mmsi}", "", ev.lat, ev.lon, _knots(ev.sog), ev.cog, ts, AIS,
            reachable=False,
        )  # fmt: skip
        if len(self.traffic) > 50_000:  # forget the oldest targets
            stale = sorted(self.traffic.values(), key=lambda c: c.fix_ts)[:10_000]
            for c in stale:
                self.traffic.pop(c.id, None)

    def _ais_distress(
        self, ev: AisEvent, ts: datetime, nature: DistressNature, plan: BatchPlan, raw: RawUplink, now: datetime,
        last: Candidate | None = None,
    ) -> None:  # fmt: skip
        lat = ev.lat if ev.lat is not None else last.lat if last else None
        lon = ev.lon if ev.lon is not None else last.lon if last else None
        info = self._registry.by_mmsi(ev.mmsi)
        known = lat is not None and lon is not None
        if lat is None or lon is None:
            if info is None:
                return
            lat, lon = 0.0, 0.0  # placeholders: the store puts the vessel's last known position
        payload = DistressPayload(
            distress_id=f"ais-{ev.mmsi}", ts=ts, lat=lat, lon=lon, nature=nature,
            text=f"AIS {ev.class_.value} {ev.mmsi}" + (f"：{ev.text}" if ev.text else ""),
        )  # fmt: skip
        if info is not None:
            item = DistressItem(info.id, info.grid_id, info.hull_name, payload, AIS, known)
        else:  # a beacon or a ship we do not know: the county desk and the admins see it
            item = DistressItem(
                f"AIS-{ev.mmsi}", "", f"AIS {ev.class_.value} {ev.mmsi}", payload, AIS
            )
        plan.distress.append(item)
        plan.distress_now = now

    # -- Beidou -------------------------------------------------------------------------------

    def _beidou(self, rx: BeidouRx, raw: RawUplink, now: datetime, plan: BatchPlan) -> None:
        info = self._registry.by_card(rx.card)
        if info is None:
            self._pipeline._reject(raw, None, Rejection(RejectReason.UNKNOWN_VESSEL,
                                   f"no vessel has Beidou card {rx.card}"), now, plan)  # fmt: skip
            return
        decoded: Any
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
            plan.journal.append({"vessel_id": info.id, "kind": "beidou", "key": rx.rx_id[:96], "ts": rx.ts,
                                 "received_at": now, "payload": raw.payload.decode("utf-8", "replace")})  # fmt: skip
            return
        self._pipeline._apply(info.id, kind, decoded, raw, now, plan, BEIDOU)


def _knots(sog: float | None) -> float | None:
    return sog if sog is not None and sog <= 102.2 else None


class BeidouRouteView:
    """The outbox's view of the Beidou link: cards from the registry, gateways and results from
    what the gateways publish."""

    def __init__(self, uplinks: GatewayUplinks, registry: RegistryCache) -> None:
        self._uplinks = uplinks
        self._registry = registry
        self.results = uplinks.tx_results

    def card_of(self, vessel_id: str) -> str | None:
        info = self._registry.get(vessel_id)
        return info.beidou_card if info else None

    def gateway(self) -> str | None:
        return self._uplinks.beidou_gateway()
