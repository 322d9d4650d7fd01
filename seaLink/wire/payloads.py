"""Payload models of protocol v1 (JSON, UTF-8). Their JSON Schemas are published in docs/schemas.

Unknown fields are ignored so that vendors may add their own; known fields are checked strictly
(types, ranges, timezone-aware ISO 8601 UTC timestamps).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

Latitude = Annotated[float, Field(ge=-90.0, le=90.0, description="WGS-84 latitude, degrees")]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0, description="WGS-84 longitude, degrees")]
MessageId = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", description="unique id")
]
Timestamp = Annotated[AwareDatetime, Field(description="ISO 8601 with offset, UTC preferred")]

# Text the protocol carries is readable text: control characters other than TAB, LF and CR
# (NUL above all: PostgreSQL cannot store it) and unpaired UTF-16 surrogates are refused.
BAD_TEXT = "bad_text"  # the pydantic error type, mapped to the `bad_text` refusal reason
_UNTEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _refuse_untext(value: str) -> str:
    bad = _UNTEXT.search(value)
    if bad is not None:
        raise PydanticCustomError(
            BAD_TEXT,
            "contains U+{code} at character {at}; text may not hold control characters "
            "(other than TAB, LF, CR) or unpaired surrogates",
            {"code": f"{ord(bad.group()):04X}", "at": bad.start()},
        )
    return value


def clean_text(value: str) -> str:
    """The text with every character `Text` refuses replaced by U+FFFD."""
    return _UNTEXT.sub("\ufffd", value)


Text = Annotated[str, AfterValidator(_refuse_untext)]
# Where refusing would lose something that matters (a distress call's words), the text is
# cleaned instead: each offending character becomes U+FFFD.
CleanedText = Annotated[str, AfterValidator(clean_text)]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True, str_strip_whitespace=True)

    @field_validator("ts", mode="after", check_fields=False)
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _to_utc(value)


class NavState(StrEnum):
    FISHING = "fishing"
    STEAMING = "steaming"
    DRIFTING = "drifting"
    IN_PORT = "in_port"


class Fix(_Payload):
    """One position fix."""

    ts: Timestamp
    lat: Latitude
    lon: Longitude
    sog: (
        Annotated[float, Field(ge=0.0, le=102.2, description="speed over ground, knots")] | None
    ) = None
    cog: (
        Annotated[float, Field(ge=0.0, lt=360.0, description="course over ground, degrees true")]
        | None
    ) = None
    state: NavState | None = None
    backfill: bool = Field(
        False, description="a fix kept in the terminal's memory while out of coverage"
    )


class HelloPayload(_Payload):
    """Sent on every (re)connect; the hub replays what is pending for the vessel."""

    ts: Timestamp
    terminal: Annotated[
        Text, Field(min_length=1, max_length=64, description="vendor/model/firmware")
    ]


class AckState(StrEnum):
    DELIVERED = "delivered"
    READ = "read"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class RecallStatus(StrEnum):
    RETURNING = "returning"
    SHELTERING = "sheltering"  # in another port or anchorage
    IN_PORT = "in_port"


class RecallReply(BaseModel):
    """A boat's answer to a typhoon recall order, sent with its `acknowledged`."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)
    status: RecallStatus
    port: Annotated[Text, Field(max_length=64)] | None = Field(
        None, description="where it shelters"
    )
    persons_ashore: Annotated[int, Field(ge=0, le=500)] | None = None
    persons_aboard: Annotated[int, Field(ge=0, le=500)] | None = Field(
        None, description="persons aboard, with `returning`"
    )


class AckPayload(_Payload):
    """A vessel's acknowledgement of a down message."""

    msg_id: MessageId
    state: AckState
    ts: Timestamp
    crew: list[Annotated[Text, Field(min_length=1, max_length=32)]] | None = Field(
        None, max_length=64, description="names of crew members acknowledging"
    )
    text: Annotated[Text, Field(max_length=1000)] | None = None
    eta_min: Annotated[int, Field(ge=0, le=10000)] | None = Field(
        None, description="minutes to the scene, with `accepted` of a rescue task"
    )
    answers: list[Annotated[Text, Field(max_length=16)]] | None = Field(
        None, max_length=200, description="quiz answers of a training, in question order"
    )
    recall: RecallReply | None = Field(None, description="answer to a typhoon recall order")


class DistressNature(StrEnum):
    FIRE = "fire"
    FLOODING = "flooding"
    COLLISION = "collision"
    GROUNDING = "grounding"
    LISTING = "listing"
    SINKING = "sinking"
    ADRIFT = "adrift"
    MAN_OVERBOARD = "man_overboard"
    PIRACY = "piracy"
    ABANDONING = "abandoning"
    MEDICAL = "medical"
    UNDESIGNATED = "undesignated"


class DistressPayload(_Payload):
    """A distress alert, repeated by the terminal until the hub's `distress_ack`."""

    distress_id: MessageId
    ts: Timestamp
    lat: Latitude
    lon: Longitude
    nature: DistressNature = DistressNature.UNDESIGNATED
    persons: Annotated[int, Field(ge=0, le=500)] | None = None
    text: Annotated[CleanedText, Field(max_length=1000)] | None = None
    cancel: bool = False
    reason: Annotated[CleanedText, Field(max_length=500)] | None = None
    exercise: bool = Field(
        False, description="a drill (演练): handled end to end, marked EXERCISE, never counted"
    )

    @model_validator(mode="after")
    def _cancel_needs_reason(self) -> DistressPayload:
        if self.cancel and not self.reason:
            raise ValueError("a cancellation needs a reason")
        return self


class RequestPayload(_Payload):
    """A fisherman's problem or request for the grid's coordinators."""

    request_id: MessageId
    ts: Timestamp
    category: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]
    text: Annotated[Text, Field(min_length=1, max_length=2000)]


class PortReportKind(StrEnum):
    IN = "in"
    OUT = "out"


class PortReportPayload(_Payload):
    """The skipper's report of entering or leaving a harbour (进出港报告), with persons aboard."""

    report_id: MessageId
    ts: Timestamp
    kind: PortReportKind = Field(description="in: entered the harbour; out: left it")
    persons: Annotated[int, Field(ge=0, le=500, description="persons aboard")]
    port: Annotated[Text, Field(min_length=1, max_length=64)] | None = Field(
        None, description="the harbour's name (Chinese or English); else found from lat/lon"
    )
    lat: Latitude | None = None
    lon: Longitude | None = None

    @model_validator(mode="after")
    def _where(self) -> PortReportPayload:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        if self.port is None and self.lat is None:
            raise ValueError("name the port, or give lat and lon")
        return self


class DownKind(StrEnum):
    NOTICE = "notice"
    WARNING = "warning"
    TRAINING = "training"
    RESCUE_TASK = "rescue_task"
    REPLY = "reply"
    DISTRESS_ACK = "distress_ack"
    DISTRESS_STATUS = "distress_status"  # what the shore has done about the boat's distress
    DRILL = "drill"  # run an exercise (演练): the terminal's distress is sent with exercise=true
    PING = "ping"
    REFUSED = "refused"  # the hub refused one of the vessel's uplinks: why, and which (§3)


MSG_ID_SLOT = "msg-id-slot"
_MSG_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def with_msg_id(template: str, msg_id: str) -> str:
    """A DownMessage's JSON, dumped with `msg_id=MSG_ID_SLOT`, with a real msg_id in its place:
    one model per broadcast instead of one per vessel. The id is checked as the model would."""
    head = f'{{"msg_id":"{MSG_ID_SLOT}"'
    if not template.startswith(head):
        raise ValueError("not a DownMessage dumped with the msg_id slot")
    if not _MSG_ID.fullmatch(msg_id):
        raise ValueError(f"invalid msg_id {msg_id!r}")
    return f'{{"msg_id":"{msg_id}"' + template[len(head) :]


class DownMessage(BaseModel):
    """A message from the hub to one vessel (`.../down`)."""

    model_config = ConfigDict(extra="allow")

    msg_id: MessageId
    kind: DownKind
    priority: Annotated[int, Field(ge=0, le=9, description="0 = most urgent")] = 5
    title: str = ""
    body: str = ""
    issued: datetime
    expires: datetime | None = None
    ack: Annotated[str, Field(pattern=r"^(none|read|confirm)$")] = "none"

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every payload, keyed by topic kind, as published in docs/schemas."""
    fix = Fix.model_json_schema()
    defs = fix.pop("$defs", {})  # hoisted so that the "#/$defs/..." references resolve
    defs["Fix"] = fix
    position = {
        "title": "position",
        "description": "one fix, or an array of fixes (oldest first)",
        "oneOf": [{"$ref": "#/$defs/Fix"}, {"type": "array", "items": {"$ref": "#/$defs/Fix"}}],
        "$defs": defs,
    }
    return {
        "position": position,
        "hello": HelloPayload.model_json_schema(),
        "ack": AckPayload.model_json_schema(),
        "distress": DistressPayload.model_json_schema(),
        "request": RequestPayload.model_json_schema(),
        "port": PortReportPayload.model_json_schema(),
        "down": DownMessage.model_json_schema(),
        "status": {"title": "status", "type": "string", "enum": ["online", "offline"]},
        "nmea": {
            "title": "nmea",
            "type": "string",
            "description": "NMEA 0183 sentences (RMC/GGA/GLL/VTG), one per line, ASCII",
        },
    }
