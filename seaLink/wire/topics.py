"""Topic names of protocol v1 and their parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

VESSEL_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
_VESSEL_ID = re.compile(VESSEL_ID_PATTERN)


class UplinkKind(StrEnum):
    """What a vessel sends; the last topic level (or `status`)."""

    POSITION = "position"
    HELLO = "hello"
    ACK = "ack"
    DISTRESS = "distress"
    REQUEST = "request"
    PORT = "port"  # a port entry or exit report (进出港报告)
    NMEA = "nmea"
    STATUS = "status"


@dataclass(frozen=True, slots=True)
class VesselTopic:
    vessel_id: str
    kind: UplinkKind


class TopicError(ValueError):
    """A topic that is not a valid protocol v1 uplink topic; `reason` says which rule it breaks."""

    def __init__(self, reason: str, detail: str, vessel_id: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        # The vessel whose branch the topic is in, when its id is well-formed: an unknown topic
        # there is that vessel's (the broker's ACL lets a vessel publish only under its own id),
        # so it is recorded against it and the vessel is told.
        self.vessel_id = vessel_id


@dataclass(frozen=True, slots=True)
class Topics:
    """Builds and parses topics under one prefix (default `sealink/v1`)."""

    prefix: str = "sealink/v1"

    def up(self, vessel_id: str, kind: UplinkKind | str) -> str:
        return f"{self.prefix}/vessels/{vessel_id}/up/{UplinkKind(kind).value}"

    def status(self, vessel_id: str) -> str:
        return f"{self.prefix}/vessels/{vessel_id}/status"

    def down(self, vessel_id: str) -> str:
        return f"{self.prefix}/vessels/{vessel_id}/down"

    def gateway(self, gateway_id: str, *parts: str) -> str:
        return "/".join((f"{self.prefix}/gateways/{gateway_id}", *parts))

    def hub_subscriptions(self, shared_group: str = "") -> list[str]:
        """Topic filters the hub subscribes to: uplinks through a shared group when several hubs
        run, so each is ingested once. Link statuses never: they are state, decided by their
        order, and a shared group gives each to one hub, so a will queued for a hub that is
        away (or dead) would reach the store after the boat's newer `online` and park its
        messages for good. Every hub gets every status, in the broker's order (also what waited
        while it was away), and the retained one of every boat when it subscribes."""
        # `up/#`, not `up/+`: a vessel may publish anywhere under its `up/` (the ACL), and what
        # no hub subscribes to is dropped by the broker (MQTT 5: PUBACK 0x10, which terminals
        # are told to retry): every such uplink reaches a hub, which records it as
        # `unknown_topic` and tells the vessel (issue 15.7).
        uplinks = f"{self.prefix}/vessels/+/up/#"
        if shared_group:
            uplinks = f"$share/{shared_group}/{uplinks}"
        return [uplinks, f"{self.prefix}/vessels/+/status"]

    def hub_urgent_subscriptions(self, shared_group: str = "") -> list[str]:
        """The distress calls alone, for the hub's second session: its own queue and in-flight
        window at the broker, so that a call never waits behind a backlog of positions."""
        distress = f"{self.prefix}/vessels/+/up/{UplinkKind.DISTRESS.value}"
        if shared_group:
            distress = f"$share/{shared_group}/{distress}"
        return [distress]

    def parse_vessel(self, topic: str) -> VesselTopic:
        """Split an uplink topic into vessel id and kind, or raise `TopicError`."""
        head = f"{self.prefix}/vessels/"
        if not topic.startswith(head):
            raise TopicError("unknown_topic", f"topic {topic!r} is not under {head!r}")
        rest = topic[len(head) :].split("/")
        vid = rest[0]
        if not _VESSEL_ID.match(vid):
            raise TopicError(
                "bad_vessel_id", f"vessel id {vid!r} does not match {VESSEL_ID_PATTERN}"
            )
        if len(rest) == 2 and rest[1] == "status":
            kind_text = "status"
        elif len(rest) == 3 and rest[1] == "up":
            kind_text = rest[2]
        else:
            raise TopicError("unknown_topic", f"topic {topic!r} is not a vessel uplink topic", vid)
        try:
            kind = UplinkKind(kind_text)
        except ValueError:
            raise TopicError("unknown_topic", f"unknown uplink kind {kind_text!r}", vid) from None
        return VesselTopic(vid, kind)
