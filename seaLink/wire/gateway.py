"""Gateway messages of protocol v1: what the serial gateways publish and what they take.

Topics, all under `{prefix}/gateways/{gid}/`:

| topic | direction | payload |
|---|---|---|
| `status` | gateway -> hub (retained, and the MQTT will) | `GatewayStatus` |
| `ais` | gateway -> hub | a JSON array of `AisEvent` (several per message, for throughput) |
| `beidou/rx` | gateway -> hub | `BeidouRx`: one received Beidou message, decoded |
| `beidou/feedback` | gateway -> hub | `BeidouFeedback`: the terminal's answer to a send |
| `beidou/tx` | hub -> gateway | `BeidouTxRequest` (or an array of them) |
| `beidou/tx_result` | gateway -> hub | `BeidouTxResult`: outcome of one request |

This module imports nothing from SeaLink outside `seaLink.wire`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from seaLink.wire.payloads import (
    AckPayload,
    CleanedText,
    DistressPayload,
    DownMessage,
    Fix,
    Latitude,
    Longitude,
    MessageId,
    RequestPayload,
    Text,
)
from seaLink.wire.topics import Topics

GATEWAY_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
CARD_PATTERN = r"^[0-9]{1,11}$"
Card = Annotated[
    str, Field(pattern=CARD_PATTERN, description="Beidou card number, decimal, no leading zeros")
]


class GatewayTopics:
    """Topic names of one gateway (`Topics.gateway(gid, ...)` spelled out by purpose)."""

    def __init__(self, topics: Topics, gateway_id: str) -> None:
        self.gateway_id = gateway_id
        self.status = topics.gateway(gateway_id, "status")
        self.ais = topics.gateway(gateway_id, "ais")
        self.beidou_rx = topics.gateway(gateway_id, "beidou", "rx")
        self.beidou_tx = topics.gateway(gateway_id, "beidou", "tx")
        self.beidou_tx_result = topics.gateway(gateway_id, "beidou", "tx_result")
        self.beidou_feedback = topics.gateway(gateway_id, "beidou", "feedback")


def hub_gateway_subscriptions(topics: Topics) -> list[str]:
    """Topic filters a hub subscribes to for every gateway's output."""
    base = f"{topics.prefix}/gateways/+"
    return [
        f"{base}/status",
        f"{base}/ais",
        f"{base}/beidou/rx",
        f"{base}/beidou/feedback",
        f"{base}/beidou/tx_result",
    ]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


# -- status -----------------------------------------------------------------------------------


class GatewayKind(StrEnum):
    AIS = "ais"
    BEIDOU = "beidou"


class GatewayState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class GatewayStatus(_Model):
    """Retained on `status`; the MQTT will publishes the same model with `state: offline`."""

    gateway_id: Annotated[str, Field(pattern=GATEWAY_ID_PATTERN)]
    kind: GatewayKind
    state: GatewayState
    ts: datetime | None = None
    port: str | None = Field(None, description="the serial URL or replay file")
    port_open: bool = False
    family: str | None = Field(None, description="Beidou protocol family: 2.1, 4.0 or bd1")
    card: Card | None = Field(None, description="the Beidou terminal's own card")
    interval_s: float | None = Field(None, description="the card's minimum seconds between sends")
    max_bytes: int | None = Field(None, description="the card's message length limit, bytes")
    counters: dict[str, int] = Field(
        default_factory=dict, description="lines, events and rejections by reason since start"
    )


# -- AIS ---------------------------------------------------------------------------------------


class AisClass(StrEnum):
    """What transmitted: decided from the MMSI (padded to nine digits), the message type and name."""

    VESSEL = "vessel"
    SART = "sart"
    MOB = "mob"
    EPIRB = "epirb"
    ATON = "aton"
    BASE_STATION = "base_station"
    SAR_AIRCRAFT = "sar_aircraft"
    NET_BUOY = "net_buoy"
    UNKNOWN = "unknown"


class AisEta(_Model):
    """An ETA as AIS sends it: UTC, without a year; hour and minute absent when not given."""

    month: Annotated[int, Field(ge=1, le=12)]
    day: Annotated[int, Field(ge=1, le=31)]
    hour: Annotated[int, Field(ge=0, le=23)] | None = None
    minute: Annotated[int, Field(ge=0, le=59)] | None = None


class AisEvent(_Model):
    """One decoded AIS message. Absent fields are left out of the JSON."""

    mmsi: Annotated[str, Field(pattern=r"^[0-9]{9}$", description="padded to nine digits")]
    class_: AisClass = Field(alias="class")
    msg_type: Annotated[int, Field(ge=1, le=27)]
    ts: datetime = Field(description="UTC: from the tag block (c:) or the receive time")
    source: CleanedText | None = Field(None, description="receiving station (tag block s:)")
    channel: CleanedText | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    sog: (
        Annotated[float, Field(ge=0.0, le=1022.0, description="knots (SAR aircraft fly faster)")]
        | None
    ) = None
    cog: Annotated[float, Field(ge=0.0, lt=360.0)] | None = None
    heading: Annotated[int, Field(ge=0, le=359)] | None = None
    nav_status: Annotated[int, Field(ge=0, le=15)] | None = Field(
        None, description="14 = AIS-SART/MOB/EPIRB active, 15 = test (or undefined)"
    )
    name: CleanedText | None = None
    callsign: CleanedText | None = None
    ship_type: int | None = None
    imo: int | None = None
    destination: CleanedText | None = None
    draught: float | None = Field(None, description="metres (types 5)")
    length_m: Annotated[int, Field(ge=1, le=1022)] | None = Field(
        None,
        description="length overall, metres: A + B of the reference point (types 5, 19, 21, 24)",
    )
    beam_m: Annotated[int, Field(ge=1, le=126)] | None = Field(
        None, description="beam, metres: C + D of the reference point (types 5, 19, 21, 24)"
    )
    eta: AisEta | None = Field(None, description="estimated time of arrival (type 5)")
    utc_second: Annotated[int, Field(ge=0, le=59)] | None = Field(
        None, description="the UTC second the report was made (types 1-3, 9, 18, 19, 21)"
    )
    aid_type: int | None = None
    text: CleanedText | None = Field(None, description="safety text of types 12 and 14")
    dest_mmsi: str | None = None
    dac: int | None = None
    fid: int | None = None
    raw: list[str] | None = Field(
        None, description="the NMEA sentences of binary messages (types 6 and 8), passed on"
    )


AIS_BATCH = TypeAdapter(list[AisEvent])


# -- Beidou ------------------------------------------------------------------------------------


class BeidouRxKind(StrEnum):
    POSITION = "position"
    ACK = "ack"
    DISTRESS = "distress"
    REQUEST = "request"
    TEXT = "text"
    DATA = "data"


class BeidouRx(_Model):
    """A message received from a boat's Beidou card, decoded to the protocol's JSON equivalents.

    Exactly the field named by `kind` is set (`fixes` for position). `data` carries undecodable
    content as hex."""

    rx_id: Annotated[Text, Field(min_length=1, max_length=64, description="stable: dedupe by it")]
    card: Card = Field(description="the sender's card number")
    ts: datetime = Field(description="when the gateway received it (UTC)")
    kind: BeidouRxKind
    family: str
    fixes: list[Fix] | None = None
    ack: AckPayload | None = None
    distress: DistressPayload | None = None
    request: RequestPayload | None = None
    text: CleanedText | None = None
    content_hex: str | None = None
    terminal_time: CleanedText | None = Field(
        None, description="send time as the terminal printed it"
    )
    parts: int = Field(1, description="how many Beidou messages it was split into")


class FeedbackResult(StrEnum):
    OK = "ok"
    TOO_SOON = "too_soon"
    INHIBITED = "inhibited"
    FAILED = "failed"


class BeidouFeedback(_Model):
    """The terminal's feedback sentence ($BDFKI / $FKXX) to a command of the gateway."""

    ts: datetime
    family: str
    command: str
    result: FeedbackResult
    wait_s: float = 0.0
    code: str = ""
    detail: str = ""
    request_id: MessageId | None = Field(None, description="the tx request it answered, if any")


class TxContentMode(StrEnum):
    CHINESE = "chinese"
    CODE = "code"
    MIXED = "mixed"


class BeidouTxRequest(_Model):
    """Send one message to a boat's card: a protocol down message, a free text, or raw bytes."""

    id: MessageId
    card: Card
    priority: Annotated[int, Field(ge=0, le=9, description="0 = most urgent")] = 5
    down: DownMessage | None = None
    text: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    content_hex: Annotated[str, Field(pattern=r"^([0-9A-Fa-f]{2})+$")] | None = None
    mode: TxContentMode | None = Field(None, description="default: mixed for text, code for hex")
    cancel: bool = Field(
        False,
        description="withdraw the earlier request with this id if no part of it has gone out yet"
        " (its result then says `cancelled`); no content with it",
    )

    @model_validator(mode="after")
    def _one_content(self) -> BeidouTxRequest:
        given = [x for x in (self.down, self.text, self.content_hex) if x is not None]
        if self.cancel:
            if given:
                raise ValueError("a cancel request carries no content")
        elif len(given) != 1:
            raise ValueError("exactly one of down, text or content_hex is required")
        return self


BEIDOU_TX_REQUESTS = TypeAdapter(BeidouTxRequest | list[BeidouTxRequest])


class TxOutcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"


class BeidouTxResult(_Model):
    """Outcome of a tx request: `sent` once the terminal accepted every part, else `failed`."""

    id: Annotated[str, Field(min_length=1, max_length=64)]
    card: Card | None = None
    outcome: TxOutcome
    reason: str | None = Field(
        None,
        description="why it failed: invalid_request, too_long, expired, inhibited, "
        "no_feedback, terminal_failed, replay_mode, unsupported_kind, cancelled, unknown_request",
    )
    detail: str | None = None
    ts: datetime
    parts: int = 0
    bytes_sent: int = 0


BeidouFamilyName = Literal["2.1", "4.0", "bd1"]
