"""The public vessel protocol v1: topics, payload models and codecs.

This package is the contract shared by the hub, the gateways, the simulators and any vendor's
terminal. It imports nothing else from SeaLink, so `gateway/` and `simulators/` can depend on it
alone; what all of them need besides the protocol lives here too, once: the MQTT session
(`session`, on `mqtt`), the backoff rule (`backoff`), the NMEA checksum (`checksum`), geodesy
(`geo`) and the fleet CSV schema (`fleet_csv`).
"""

from seaLink.wire.codec import Rejection, RejectReason, decode_uplink, encode_json
from seaLink.wire.payloads import (
    AckPayload,
    AckState,
    DistressNature,
    DistressPayload,
    DownKind,
    DownMessage,
    Fix,
    HelloPayload,
    NavState,
    PortReportKind,
    PortReportPayload,
    RequestPayload,
)
from seaLink.wire.topics import VESSEL_ID_PATTERN, Topics, UplinkKind, VesselTopic

__all__ = [
    "VESSEL_ID_PATTERN",
    "AckPayload",
    "AckState",
    "DistressNature",
    "DistressPayload",
    "DownKind",
    "DownMessage",
    "Fix",
    "HelloPayload",
    "NavState",
    "PortReportKind",
    "PortReportPayload",
    "RejectReason",
    "Rejection",
    "RequestPayload",
    "Topics",
    "UplinkKind",
    "VesselTopic",
    "decode_uplink",
    "encode_json",
]
