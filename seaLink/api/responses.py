"""Response bodies of the REST API v1, one pydantic model each.

One definition serves twice: the OpenAPI document takes its response schemas from these models,
and the handlers send their bodies through `respond`, which checks them against the same schema,
so what the server answers and what the document promises cannot drift apart (a body that broke
its model is a 500 that the property-based API test finds at once).

Models allow fields they do not name (`extra="allow"`): a column added to a store query shows
up in the answer without breaking it; only the fields named here are promised to clients.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Annotated, Any, Literal

import jsonschema_rs
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

# Times leave the store as UTC ISO 8601 strings; they are passed on as they are.
Iso = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Role = Literal["admin", "coordinator", "viewer"]


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorOut(Out):
    """Every refusal: a machine code (`error`) and an explanation for people (`message`)."""

    error: str = Field(description="machine code, e.g. not_found, forbidden, invalid_body")
    message: str
    request_id: str | None = Field(
        None, description="the request's id (also the X-Request-Id header), for the hub's log"
    )


class LockedOut(ErrorOut):
    retry_after_s: float = Field(ge=0, description="seconds before this name may be tried again")


class IngestHealthOut(Out):
    writer: Literal["ok", "stalled"] = Field(
        description="stalled: the store has refused or failed every commit for `stalled_s`"
    )
    stalled_s: float | None = None
    stalled_lanes: list[Literal["main", "distress"]] = Field(
        default_factory=list,
        description="the ingest lanes that cannot commit: main (positions, acks, everything) "
        "and distress (distress calls only, in a lane of their own)",
    )
    committed: int = Field(description="uplinks committed since start")
    backlog: int = Field(description="uplinks received, not yet committed")


class HealthOut(Out):
    status: Literal["ok", "degraded"]
    parts: dict[str, Literal["ok", "down", "stalled", "refused"]] = Field(
        description="each part of the hub: mqtt (its main session), distress_session (its "
        "second session, for distress calls only), ingest; `status` is ok only when all are. "
        "`refused`: connected, but the broker refused some of the hub's subscriptions"
    )
    ingest: IngestHealthOut
    mqtt: bool
    vessels: int
    backlog: int
    contact: dict[str, int]
    scheduler: bool = Field(description="whether this hub holds the schedule (several hubs)")


class ReadyOut(Out):
    status: Literal["ready", "not_ready"]
    parts: dict[str, Literal["ok", "down", "stalled", "refused", "starting", "old_schema"]] = Field(
        description="store (the database answers, at this code's schema revision), mqtt, ingest, "
        "hub (started); `status` is ready only when all are ok"
    )
    down: list[str] = Field(description="the parts that are not ok, for a load balancer's log")


class LoginOut(Out):
    token: str
    expires_at: Iso
    username: str
    role: Role
    grids: list[str]


class MeOut(Out):
    username: str
    role: Role
    grids: list[str]


class ContactOut(Out):
    state: str = Field(description="ok, overdue, lost, maintenance or unknown")
    since: Iso | None
    last_heard: Iso | None
    last_link: str | None
    link_status: str | None


class LastPositionOut(Out):
    ts: Iso
    lat: float
    lon: float
    sog: float | None
    cog: float | None
    state: str | None


class VesselOut(Out):
    id: str
    hull_name: str
    mmsi: str | None
    beidou_card: str | None
    grid_id: str
    group_id: str
    home_port: str
    gear: str
    persons: int
    links: list[str]
    contact: ContactOut
    last_position: LastPositionOut | None


class VesselPageOut(Out):
    vessels: list[VesselOut]
    count: int = Field(description="vessels on this page")
    total: int = Field(description="vessels that match the filter, on every page")
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next page; null on the last page"
    )


class GeometryOut(Out):
    type: str
    coordinates: Any


class FeatureOut(Out):
    type: Literal["Feature"]
    properties: dict[str, Any]
    geometry: GeometryOut


class FeatureCollectionOut(Out):
    type: Literal["FeatureCollection"]
    features: list[FeatureOut]


class PhraseOut(Out):
    """A sentence of the hub's text catalogue (`GET /api/v1/texts`): its key and values."""

    key: str = Field(description="e.g. alert.lost_contact, alert.zone, log.alarm")
    args: dict[str, Any] = Field(description="the values; times are ISO 8601 UTC")


class AlertOut(Out):
    id: int
    vessel_id: str
    grid_id: str
    type: str
    severity: str
    phase: str
    state: Literal["raised", "acknowledged", "resolved"]
    raised_at: Iso
    updated_at: Iso
    resolved_at: Iso | None
    outcome: str | None
    detail: str = Field(
        description="what happened, in the reader's language (?lang= or Accept-Language)"
    )
    detail_phrase: PhraseOut | None = Field(
        description="the same as a catalogue phrase (None for alerts stored before phrases)"
    )
    ref: str | None
    lat: float | None
    lon: float | None
    event_ts: Iso | None
    data: dict[str, Any]
    repeats: int
    acked_by: str | None
    acked_at: Iso | None
    escalation_level: int
    escalate_at: Iso | None
    incident_id: int | None
    assigned_to: str | None = None
    silenced_until: Iso | None = None
    silenced_by: str | None = None
    exercise: bool = False


class AlertEventOut(Out):
    id: int
    alert_id: int
    ts: Iso
    action: str
    phase: str
    actor: str
    note: str


class NotificationOut(Out):
    id: int
    alert_id: int
    level: int
    channel: str
    recipient: str = Field(description="the person's id and address on the channel")
    recipient_id: str | None = None
    recipient_name: str | None = Field(None, description="who was told, by name")
    ts: Iso
    ok: bool
    error: str


class AssigneeOut(Out):
    username: str
    display_name: str
    role: Literal["admin", "coordinator"]


class AssigneesOut(Out):
    people: list[AssigneeOut] = Field(
        description="who may be given the alert: its grid's coordinators, then the admins"
    )


class DrillOut(Out):
    msg_id: str = Field(description="the drill order sent to the boat")
    vessel_id: str
    kind: str


class BulkAckOut(Out):
    results: dict[str, str] = Field(
        description="per alert id: acknowledged, or why not (not_found, not_open)"
    )


class NotifyDeliveryOut(Out):
    recipient_id: str = Field(
        description="a coordinator's id, robot:<kind>, grid:<id> or county-desk"
    )
    recipient_name: str
    channel: str
    level: int = Field(description="the highest escalation level it was told at")
    state: Literal["acknowledged", "sent", "retrying", "held", "failed"] = Field(
        description="where it stands: acknowledged (the person told acknowledged the alert), "
        "sent, retrying (failed, another try booked), held (for the digest), failed (tries used up)"
    )
    attempts: int = Field(description="sends tried (a hold for the digest is not one)")
    sent_at: Iso | None = Field(description="when it first went through")
    last_at: Iso
    error: str = Field(description="why the last attempt failed; empty once sent")


class AlertDetailOut(AlertOut):
    hull_name: str | None
    events: list[AlertEventOut]
    notifications: list[NotificationOut] = Field(description="every attempt, oldest first")
    delivery: list[NotifyDeliveryOut] = Field(
        default_factory=list, description="per recipient and channel, where it stands now"
    )


class AlertListOut(Out):
    alerts: list[AlertOut]
    count: int


class IncidentLogOut(Out):
    id: int
    incident_id: int
    ts: Iso
    actor: str
    kind: str
    text: str = Field(description="in the reader's language")
    phrase: PhraseOut | None = None


class RescueTaskOut(Out):
    vessel_id: str
    hull_name: str
    delivery: str = Field(description="how far the order got: queued, sent, delivered, read, ...")
    tasked_at: Iso
    answer: Literal["accepted", "declined"] | None = Field(description="None: no answer yet")
    eta_min: int | None = Field(description="the crew's ETA, when accepted with one")
    answered_at: Iso | None


class IncidentOut(Out):
    id: int
    alert_id: int
    vessel_id: str
    grid_id: str
    opened_at: Iso
    closed_at: Iso | None
    persons_at_risk: int | None
    sitrep_count: int
    log: list[IncidentLogOut]
    alert: AlertDetailOut | None
    tasks: list[RescueTaskOut] = Field(
        default_factory=list, description="the boats tasked, and their answers"
    )


class NearbyVesselOut(Out):
    id: str
    name: str
    source: Literal["sealink", "ais"]
    grid_id: str | None = Field(description="None for AIS traffic")
    other_grid: bool = Field(description="a SeaLink boat outside the reader's grids")
    same_group: bool = Field(description="in the distress boat's fishing group: a tie-break")
    lat: float | None = Field(description="dead-reckoned now; None: another grid's boat")
    lon: float | None
    distance_nm: float
    bearing_deg: float = Field(description="from the boat to the scene, degrees true")
    eta_min: float
    fix_age_min: float
    stale: bool
    reachable: bool
    link: Literal["mqtt", "beidou"] | None = Field(description="the link that reaches it now")
    ready: bool = Field(description="fresh fix and reachable now: 'nearest N' may task it")
    apart: list[Literal["stale_fix", "no_link", "ais_only"]] = Field(
        description="why it is listed apart (empty when ready)"
    )


class NearestRuleOut(Out):
    transit_kn: float
    stale_after_min: float
    tie_min: float = Field(description="ETAs closer than this are a tie, won by a group mate")
    max_dead_reckoning_min: float


class NearestOut(Out):
    """The ready boats by ETA (a group mate first only within a tie), then the boats listed apart
    by ETA; `limit` of each."""

    incident_id: int
    vessels: list[NearbyVesselOut]
    rule: NearestRuleOut


class TaskedOut(Out):
    incident_id: int
    tasked: list[str]
    msg_ids: list[str]


class SitrepOut(Out):
    incident_id: int
    text: str


class DutyShiftOut(Out):
    id: int
    grid_id: str
    coordinator_id: str
    backup_id: str | None
    starts_at: Iso
    ends_at: Iso


class DutyListOut(Out):
    shifts: list[DutyShiftOut]


class OkOut(Out):
    ok: bool


class GridOut(Out):
    id: str
    name: str
    leader_id: str | None
    vessels: int


class GridListOut(Out):
    grids: list[GridOut]


class BroadcastOut(Out):
    id: int
    kind: str
    title: str
    body: str
    priority: int
    reply: str
    per_crew: bool
    signal: str | None
    recall_deadline: Iso | None
    target: dict[str, Any]
    created_by: str
    created_at: Iso
    expires_at: Iso | None
    grids: list[str]
    rollup: RollupOut | None = Field(None, description="with ?rollup=1 (missing list left out)")


class BroadcastListOut(Out):
    broadcasts: list[BroadcastOut]
    count: int


class GridRollupOut(Out):
    grid_id: str
    total: int
    done: int
    states: dict[str, int] = Field(default_factory=dict, description="deliveries per state")


class MissingVesselOut(Out):
    vessel_id: str
    grid_id: str
    state: str
    hull_name: str
    last_heard: Iso | None
    link_status: str | None
    attempts: int
    sent_at: Iso | None


class RollupOut(Out):
    broadcast_id: int
    reply: str
    total: int
    done: int
    states: dict[str, int]
    grids: list[GridRollupOut]
    summary: str
    missing: list[MissingVesselOut]


class DeliveryOut(Out):
    vessel_id: str
    grid_id: str
    msg_id: str
    state: str
    link: str | None = Field(description="the link of the last attempt")
    copies: list[str] = Field(description="the link that carried each copy sent, in order")
    ack_link: str | None = Field(description="the link of the acknowledgement that last moved it")
    attempts: int
    queued_at: Iso | None
    sent_at: Iso | None
    delivered_at: Iso | None
    read_at: Iso | None
    acked_at: Iso | None
    closed_at: Iso | None


class BroadcastDetailOut(Out):
    broadcast: BroadcastOut
    rollup: RollupOut
    deliveries: list[DeliveryOut] | None = Field(None, description="only with ?deliveries=1")


class RearmedOut(Out):
    rearmed: int


class RecallBoardOut(Out):
    """The recall board as it stood at `at`: lines per grid (in_port, returning_on_time,
    returning_late, sheltering, distress, lost_contact, unaccounted, with done, persons and the
    flags contradicted / left_port), totals over the reader's grids, one row per boat."""

    broadcast_id: int
    title: str
    signal: str | None = None
    at: str
    deadline: str
    shelter: str | None = None
    complete_at: str | None = None  # the first time every boat was done: the time to 100%
    closed_at: str | None = None  # the deadline was reached and the missing became alerts
    total: dict[str, int]
    grids: list[dict[str, Any]]
    vessels: list[dict[str, Any]]


class AshoreOut(Out):
    broadcast_id: int
    vessel_id: str
    persons_ashore: int
    at: str
    by: str


class PortLogOut(Out):
    """A day's port entries and exits (Beijing day), with counts per port and per grid."""

    date: str
    events: list[dict[str, Any]]
    ports: list[dict[str, Any]]
    grids: list[dict[str, Any]]


class TyphoonOut(Out):
    """A typhoon forecast: its track, the danger area (GeoJSON), the boats in danger (the
    reader's grids) and the recall proposed for them (None when no boat is)."""

    id: int
    name: str
    points: list[dict[str, Any]]
    danger: dict[str, Any]
    boats: list[dict[str, Any]]
    proposal: dict[str, Any] | None = None


class TyphoonListOut(Out):
    typhoons: list[dict[str, Any]]


class CreatedOut(Out):
    id: int


class RetiredOut(Out):
    retired: int


class PermitOut(Out):
    zone_id: int
    vessel_id: str


class RequestOut(Out):
    id: int
    vessel_id: str
    grid_id: str
    state: str
    hull_name: str


class RequestListOut(Out):
    requests: list[RequestOut]
    count: int


class RequestDetailOut(RequestOut):
    log: list[dict[str, Any]]


class MsgIdOut(Out):
    msg_id: str


class AssignedOut(Out):
    assigned_to: str


class ResolvedOut(Out):
    resolved: bool


class TrainingOut(Out):
    id: int
    title: str
    grids: list[str]


class TrainingListOut(Out):
    trainings: list[TrainingOut]
    count: int


class AttendanceOut(Out):
    vessels: list[dict[str, Any]]
    crew: list[dict[str, Any]]
    grids: list[dict[str, Any]]


class UserOut(Out):
    username: str
    role: Role
    display_name: str
    grids: list[str] = Field(description="the grid scope (none: a viewer reads every grid)")
    disabled: bool
    locked_until: Iso | None = Field(description="locked after failed logins until then")


class UserListOut(Out):
    users: list[UserOut]


class UsernameOut(Out):
    username: str


class AuditEntryOut(Out):
    id: int
    ts: Iso
    username: str
    action: str
    target: str
    detail: str


class AuditListOut(Out):
    audit: list[AuditEntryOut]


class GridContactSeriesOut(Out):
    grid_id: str
    # Beside grid_id: one list of counts per contact state, aligned with `times`.
    __pydantic_extra__: dict[str, list[int]]


class ContactStatsOut(Out):
    since: Iso
    until: Iso
    step_s: int
    times: list[Iso]
    states: list[str]
    grids: list[GridContactSeriesOut]


class ResponseDayOut(Out):
    day: str = Field(description="a Beijing calendar day, YYYY-MM-DD")
    alerts: int
    acked: int
    resolved: int
    ack_median_s: float | None
    ack_p90_s: float | None
    resolve_median_s: float | None
    resolve_p90_s: float | None


class AlertTimingOut(Out):
    id: int
    grid_id: str
    type: str
    severity: str
    raised_at: Iso
    ack_s: float | None
    resolve_s: float | None
    resolved_by: str | None


class ResponseStatsOut(Out):
    since: Iso
    days: list[ResponseDayOut]
    alerts: list[AlertTimingOut]


class ResponseDrift(Exception):
    """A handler built a body its documented schema does not allow: a bug in the server."""


@cache
def _validator(model: type[Out]) -> Any:
    # The very schema the OpenAPI document publishes for this model. A compiled validator checks
    # the full fleet (10,000 vessels) in tens of milliseconds where building pydantic models
    # took most of a second.
    return jsonschema_rs.validator_for(model.model_json_schema(mode="serialization"))


def respond(
    model: type[Out], payload: Any, status: int = 200, content_type: str = "application/json"
) -> web.Response:
    """Answer with `payload` (plain JSON data), checked against `model`'s schema first."""
    validator = _validator(model)
    if not validator.is_valid(payload):
        errors = [
            f"{'/'.join(map(str, e.instance_path))}: {e.message}"
            for e in validator.iter_errors(payload)
        ]
        raise ResponseDrift(f"{model.__name__}: " + "; ".join(errors[:5]))
    return web.Response(
        text=json.dumps(payload, ensure_ascii=False), status=status, content_type=content_type
    )
