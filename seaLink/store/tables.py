"""Tables. The registry (grids, coordinators, vessels), what the hub hears (positions, vessel
state, the uplink journal), what it refuses (dead letters) and what it raises (alerts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlmodel import Field, SQLModel

from seaLink.store.types import UTCDateTime


def _id() -> Any:
    """An autoincrement primary key: BIGINT on PostgreSQL, INTEGER (the rowid) on SQLite."""
    return Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )


def _ts(nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Grid(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=64)
    leader_id: str | None = Field(default=None, max_length=32)


class Coordinator(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=64)
    phone: str = Field(default="", max_length=32)
    email: str = Field(default="", max_length=128)


class GridCoordinator(SQLModel, table=True):
    """Which coordinators (grid workers) serve which grid; the leader is on `Grid.leader_id`."""

    __tablename__ = "grid_coordinator"
    grid_id: str = Field(primary_key=True, foreign_key="grid.id", max_length=32)
    coordinator_id: str = Field(primary_key=True, foreign_key="coordinator.id", max_length=32)


class Vessel(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    hull_name: str = Field(max_length=32, description="e.g. 粤南澳渔01234")
    mmsi: str | None = Field(default=None, max_length=9, unique=True)
    beidou_card: str | None = Field(default=None, max_length=16, unique=True)
    grid_id: str = Field(foreign_key="grid.id", max_length=32, index=True)
    group_id: str = Field(default="", max_length=32, index=True)
    home_port: str = Field(default="", max_length=64)
    gear: str = Field(default="", max_length=32)
    persons: int = Field(default=0)
    links: str = Field(
        default="mqtt", max_length=64, description="comma-separated: mqtt,ais,beidou"
    )
    report_interval_s: int | None = Field(default=None)
    beacons: str = Field(
        default="", max_length=256, description="MMSIs of its AIS-SART/MOB/EPIRB, comma-separated"
    )


class VesselState(SQLModel, table=True):
    """Latest known state of each vessel: one row, updated monotonically by timestamp."""

    __tablename__ = "vessel_state"
    vessel_id: str = Field(primary_key=True, foreign_key="vessel.id", max_length=32)
    fix_ts: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    lat: float | None = None
    lon: float | None = None
    sog: float | None = None
    cog: float | None = None
    nav_state: str | None = Field(default=None, max_length=16)
    last_heard: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_link: str | None = Field(default=None, max_length=16)
    link_status: str | None = Field(default=None, max_length=16)
    status_ts: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    terminal: str | None = Field(default=None, max_length=64)
    contact_state: str = Field(default="unknown", max_length=16)
    contact_since: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Position(SQLModel, table=True):
    """Every fix heard; (vessel_id, ts) is the fix's identity, so a redelivered fix is stored once.

    On PostgreSQL it is partitioned by month of `ts` (seaLink/store/partitions.py makes the months
    ahead of time; retention drops whole months); a fix outside every month lands in
    `position_default`."""

    __table_args__ = {"postgresql_partition_by": "RANGE (ts)"}
    vessel_id: str = Field(primary_key=True, max_length=32)
    ts: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    lat: float
    lon: float
    sog: float | None = None
    cog: float | None = None
    nav_state: str | None = Field(default=None, max_length=16)
    backfill: bool = False
    link: str = Field(default="mqtt", max_length=16)
    received_at: datetime = Field(sa_column=_ts())


# A partitioned table takes no row until a partition holds its range: the default one holds all.
event.listen(
    Position.__table__,  # type: ignore[attr-defined]
    "after_create",
    DDL("CREATE TABLE position_default PARTITION OF position DEFAULT").execute_if(  # type: ignore[no-untyped-call]
        dialect="postgresql"
    ),
)


class PositionArchive(SQLModel, table=True):
    """The track kept after retention removed the full one (`store.retention`): per vessel, the
    first fix of each `archive_every_s` period, keyed by the period's start."""

    __tablename__ = "position_archive"
    vessel_id: str = Field(primary_key=True, max_length=32)
    period: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    ts: datetime = Field(sa_column=_ts())
    lat: float
    lon: float
    sog: float | None = None
    cog: float | None = None
    nav_state: str | None = Field(default=None, max_length=16)
    link: str = Field(default="mqtt", max_length=16)


class Uplink(SQLModel, table=True):
    """Journal of uplinks whose services consume them (acks, distress, requests, NMEA).

    Stored before the broker is acknowledged; `key` is the payload's own id, so a redelivery is a
    no-op. `processed_at` is set by the consuming service.
    """

    __table_args__ = (UniqueConstraint("vessel_id", "kind", "key", name="uq_uplink_key"),)
    id: int | None = _id()
    vessel_id: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    key: str = Field(max_length=96)
    ts: datetime = Field(sa_column=_ts())
    received_at: datetime = Field(sa_column=_ts())
    payload: str = Field(sa_column=Column(Text, nullable=False))
    processed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class DeadLetter(SQLModel, table=True):
    """A refused uplink, kept with its reason for the operators."""

    __tablename__ = "dead_letter"
    id: int | None = _id()
    received_at: datetime = Field(sa_column=_ts(index=True))
    topic: str = Field(sa_column=Column(String(256), nullable=False))
    vessel_id: str | None = Field(default=None, max_length=64)
    reason: str = Field(max_length=32, index=True)
    detail: str = Field(sa_column=Column(Text, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    payload_bytes: int = 0


class Alert(SQLModel, table=True):
    """An alert about one vessel. At most one open (not resolved) alert per vessel and type."""

    __table_args__ = (
        Index(
            "uq_alert_open",
            "vessel_id",
            "type",
            "exercise",  # a drill's alert stands beside a real one, never in its way
            unique=True,
            sqlite_where=text("state != 'resolved'"),
            postgresql_where=text("state != 'resolved'"),
        ),
    )
    id: int | None = _id()
    vessel_id: str = Field(max_length=32, index=True)
    grid_id: str = Field(max_length=32, index=True)
    type: str = Field(max_length=24)
    severity: str = Field(max_length=16)
    phase: str = Field(default="", max_length=16)
    state: str = Field(default="raised", max_length=16)
    raised_at: datetime = Field(sa_column=_ts(index=True))
    updated_at: datetime = Field(sa_column=_ts())
    resolved_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    outcome: str | None = Field(default=None, max_length=24)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The detail as a catalogue phrase (seaLink.texts), put into words in the reader's language;
    # `detail` keeps its Chinese wording for reports that read the table directly.
    detail_phrase: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    ref: str | None = Field(default=None, max_length=96, description="source id, e.g. distress_id")
    lat: float | None = None
    lon: float | None = None
    event_ts: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    repeats: int = 0
    acked_by: str | None = Field(default=None, max_length=64)
    acked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    escalation_level: int = 0
    escalate_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True, index=True))
    # When it entered its current SAR phase: escalation counts from here after a phase change.
    phase_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    incident_id: int | None = None
    assigned_to: str | None = Field(default=None, max_length=64, description="who works it")
    # Silenced: its sound stops on every console until then; it stays unacknowledged.
    silenced_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    silenced_by: str | None = Field(default=None, max_length=64)
    exercise: bool = Field(default=False, description="a drill (演练): never a real alert")


class AlertEvent(SQLModel, table=True):
    """The audit trail of an alert: every change, by whom, when."""

    __tablename__ = "alert_event"
    id: int | None = _id()
    alert_id: int = Field(foreign_key="alert.id", index=True)
    ts: datetime = Field(sa_column=_ts())
    action: str = Field(max_length=24)
    phase: str = Field(default="", max_length=16)
    actor: str = Field(default="system", max_length=64)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class UserAccount(SQLModel, table=True):
    """A person who logs in: admin, coordinator (scoped to grids) or viewer."""

    __tablename__ = "user_account"
    username: str = Field(primary_key=True, max_length=64)
    password_hash: str = Field(max_length=256)
    role: str = Field(max_length=16)
    display_name: str = Field(default="", max_length=64)
    coordinator_id: str | None = Field(default=None, max_length=32)
    # VARCHAR(1024): about 200 grids. Widening it means rebuilding this table on SQLite, which
    # other tables reference; a county with more grids gives its desk an unscoped viewer role.
    grid_ids: str = Field(default="", max_length=1024, description="comma-separated grid scope")
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(sa_column=_ts())


class ApiToken(SQLModel, table=True):
    """A bearer token, stored as its SHA-256 so a copy of the database grants nothing."""

    __tablename__ = "api_token"
    token_hash: str = Field(primary_key=True, max_length=64)
    username: str = Field(foreign_key="user_account.username", max_length=64, index=True)
    created_at: datetime = Field(sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts(index=True))


class AuditLog(SQLModel, table=True):
    """Every action a person takes through the API or CLI."""

    __tablename__ = "audit_log"
    id: int | None = _id()
    ts: datetime = Field(sa_column=_ts(index=True))
    username: str = Field(max_length=64, index=True)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=128)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class Broadcast(SQLModel, table=True):
    """A notice, policy, warning or training sent to many vessels, tracked vessel by vessel."""

    id: int | None = _id()
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    priority: int = 5
    reply: str = Field(default="none", max_length=16)
    per_crew: bool = False
    signal: str | None = Field(default=None, max_length=16, description="typhoon signal colour")
    recall_deadline: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    target: str = Field(sa_column=Column(Text, nullable=False), description="target as JSON")
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_ts(index=True))
    expires_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    grid_ids: str = Field(
        default="",
        sa_column=Column(Text, nullable=False, server_default=""),
        description="grids the targets fall in",
    )
    extra: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))


# A delivery still on its way: not delivered (rank <= 1) and not closed (expired, failed). The
# outbox's reads of what is due, what expires and when to wake next read only these, from partial
# indexes that hold no delivered message and no history: all open and none due, a full index
# walked 50,000 entries a read (26 ms). Queries say it with literals (`outbox_store.OPEN`): a
# partial index serves a query that states its condition, not one that binds the 1.
DELIVERY_OPEN = "rank <= 1 AND closed_at IS NULL"


class Delivery(SQLModel, table=True):
    """The outbox: one down message for one vessel, and how far it got.

    `rank` orders the states so that acknowledgements only move a delivery forward, whatever order
    they arrive in: queued 0, sent 1, delivered 2, read 3, acknowledged/accepted/declined 4;
    expired and failed are final for sending but a late acknowledgement still counts.
    """

    __table_args__ = (
        Index(
            "ix_delivery_open_due",
            "next_attempt_at",
            sqlite_where=text(DELIVERY_OPEN),
            postgresql_where=text(DELIVERY_OPEN),
        ),
        Index(
            "ix_delivery_open_expiry",
            "expires_at",
            sqlite_where=text(DELIVERY_OPEN),
            postgresql_where=text(DELIVERY_OPEN),
        ),
        Index("ix_delivery_vessel", "vessel_id", "rank"),
        # A broadcast's roll-up counts its deliveries by grid and state from this index alone
        # (6.3 -> 1.8 ms at 10,000; each state change moves the entry, ~3 us a delivery), and
        # lists its missing boats by grid and vessel, a grid's few sorted at a time: the first
        # 500 need no sort of all 10,000 (15 ms -> 2 ms).
        Index("ix_delivery_broadcast", "broadcast_id", "grid_id", "state", "vessel_id"),
    )
    id: int | None = _id()
    msg_id: str = Field(max_length=64, unique=True)
    broadcast_id: int | None = Field(default=None)
    vessel_id: str = Field(max_length=32)
    grid_id: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    priority: int = 5
    payload: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="queued", max_length=16)
    rank: int = 0
    link: str | None = Field(default=None, max_length=16)  # of the last attempt
    # The links that carried a copy, in order ("beidou,mqtt"), and the link of the
    # acknowledgement that last moved the state (each one is in ack_event with its link).
    copies: str = Field(default="", max_length=256)
    ack_link: str | None = Field(default=None, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_ts())
    queued_at: datetime = Field(sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    delivered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    read_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    acked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    expires_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_error: str = Field(default="", max_length=256)


class AckEvent(SQLModel, table=True):
    """Every acknowledgement a vessel sent (with crew names, reply text, quiz answers), once."""

    __tablename__ = "ack_event"
    # Its unique index leads with msg_id: it serves the reads by message too (a second index
    # on msg_id alone cost every acknowledgement an insert, ~25% of the ack_event write).
    __table_args__ = (UniqueConstraint("msg_id", "vessel_id", "state", name="uq_ack_event"),)
    id: int | None = _id()
    msg_id: str = Field(max_length=64)
    vessel_id: str = Field(max_length=32)
    state: str = Field(max_length=16)
    ts: datetime = Field(sa_column=_ts())
    received_at: datetime = Field(sa_column=_ts())
    link: str = Field(default="mqtt", max_length=16)
    crew: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    answers: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    eta_min: int | None = None
    recall: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class DutyShift(SQLModel, table=True):
    """Who is on duty for a grid, when: the primary coordinator and a backup."""

    __tablename__ = "duty_shift"
    id: int | None = _id()
    grid_id: str = Field(max_length=32, index=True)
    coordinator_id: str = Field(max_length=32)
    backup_id: str | None = Field(default=None, max_length=32)
    starts_at: datetime = Field(sa_column=_ts())
    ends_at: datetime = Field(sa_column=_ts())


class Notification(SQLModel, table=True):
    """Each attempt to tell a person about an alert, on one channel, and how it went."""

    id: int | None = _id()
    alert_id: int = Field(index=True)
    level: int = 0
    channel: str = Field(max_length=16)
    recipient: str = Field(max_length=128)
    ts: datetime = Field(sa_column=_ts())
    ok: bool = False
    error: str = Field(default="", max_length=512)


class DistressReport(SQLModel, table=True):
    """Every distress id a vessel has used, and the alert it went to: a repeat of the same id
    (a missed receipt, a retained copy, a replay after a restart) never raises a second alert,
    even after the first was resolved."""

    __tablename__ = "distress_report"
    vessel_id: str = Field(primary_key=True, max_length=32)
    distress_id: str = Field(primary_key=True, max_length=64)
    alert_id: int = Field(index=True)
    first_at: datetime = Field(sa_column=_ts())


class Incident(SQLModel, table=True):
    """A distress case: persons at risk, situation reports, one chronological log."""

    id: int | None = _id()
    alert_id: int = Field(index=True, unique=True)
    vessel_id: str = Field(max_length=32)
    grid_id: str = Field(max_length=32)
    opened_at: datetime = Field(sa_column=_ts())
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    persons_at_risk: int | None = None
    sitrep_count: int = 0


class IncidentLog(SQLModel, table=True):
    __tablename__ = "incident_log"
    id: int | None = _id()
    incident_id: int = Field(index=True)
    ts: datetime = Field(sa_column=_ts())
    actor: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    phrase: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # of `text`


class ZoneRecord(SQLModel, table=True):
    """A zone managed in the API; the Nan'ao defaults are loaded into an empty table."""

    __tablename__ = "zone"
    id: int | None = _id()
    name: str = Field(max_length=128)
    name_en: str = Field(default="", max_length=128)
    kind: str = Field(max_length=16)
    geometry: str = Field(sa_column=Column(Text, nullable=False))
    radius_nmi: float = 0.0
    buffer_nmi: float = 0.0
    calendar: str = Field(default="", max_length=128)
    exempt_gear: str = Field(default="", max_length=256)
    active: bool = True
    created_at: datetime = Field(sa_column=_ts())


class ZonePermit(SQLModel, table=True):
    __tablename__ = "zone_permit"
    zone_id: int = Field(primary_key=True)
    vessel_id: str = Field(primary_key=True, max_length=32)
    note: str = Field(default="", max_length=256)


class ZoneEventRecord(SQLModel, table=True):
    """Every entry and exit, alerted or not (backfill, exemptions, permits are recorded too)."""

    __tablename__ = "zone_event"
    id: int | None = _id()
    vessel_id: str = Field(max_length=32, index=True)
    zone_id: int = Field(index=True)
    kind: str = Field(max_length=8)
    ts: datetime = Field(sa_column=_ts())
    alerted: bool = False


class FisherRequest(SQLModel, table=True):
    """A fisherman's problem or request, in the grid's inbox."""

    __tablename__ = "fisher_request"
    __table_args__ = (UniqueConstraint("vessel_id", "request_id", name="uq_fisher_request"),)
    id: int | None = _id()
    vessel_id: str = Field(max_length=32, index=True)
    grid_id: str = Field(max_length=32, index=True)
    request_id: str = Field(max_length=64)
    category: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    ts: datetime = Field(sa_column=_ts())
    received_at: datetime = Field(sa_column=_ts())
    state: str = Field(default="open", max_length=16)  # open / answered / resolved
    assigned_to: str | None = Field(default=None, max_length=64)
    due_at: datetime = Field(sa_column=_ts(index=True))
    reminded: int = 0  # 1: the coordinator was reminded, 2: the grid leader too
    replies: int = 0
    resolved_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    resolved_by: str | None = Field(default=None, max_length=64)


class RequestLog(SQLModel, table=True):
    __tablename__ = "request_log"
    id: int | None = _id()
    request_pk: int = Field(index=True)
    ts: datetime = Field(sa_column=_ts())
    actor: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    msg_id: str | None = Field(default=None, max_length=64)


class Training(SQLModel, table=True):
    """A training session, one-off or recurring, with its study pack and optional quiz."""

    id: int | None = _id()
    title: str = Field(max_length=200)
    study_pack: str = Field(sa_column=Column(Text, nullable=False))
    start_notice: str = Field(sa_column=Column(Text, nullable=False))
    target: str = Field(sa_column=Column(Text, nullable=False))
    starts_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    cron: str = Field(default="", max_length=64, description="recurring: crontab in Asia/Shanghai")
    duration_min: int = 45
    quiz: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    pass_mark: int = 80
    study_broadcast_id: int | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_ts())
    grid_ids: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    active: bool = True
    # The creator's scope when it was created: every occurrence's start notice goes out with it
    # (never with more). NULL on a training made before these columns: the grids above apply.
    creator_role: str | None = Field(default=None, max_length=16)
    creator_grids: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class TrainingRun(SQLModel, table=True):
    """One occurrence of a training: inserted before anything is sent, so it never runs twice."""

    __tablename__ = "training_run"
    __table_args__ = (UniqueConstraint("training_id", "occurrence", name="uq_training_run"),)
    id: int | None = _id()
    training_id: int = Field(index=True)
    occurrence: datetime = Field(sa_column=_ts())
    started_at: datetime = Field(sa_column=_ts())
    broadcast_id: int | None = None


class Recall(SQLModel, table=True):
    """A typhoon recall order: the warning broadcast, its deadline and how often to repeat it."""

    broadcast_id: int = Field(primary_key=True)
    deadline: datetime = Field(sa_column=_ts())
    resend_s: int = 900
    next_resend_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    reminders: int = 0
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    shelter: str | None = Field(default=None, max_length=64, description="the harbour it names")
    # When every boat was first in a harbour with its crew ashore (the time to 100%).
    complete_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class RecallCrew(SQLModel, table=True):
    """Persons ashore of a recalled boat as a coordinator entered them (a phone check): every
    entry kept, the newest (by then) counts beside the terminal's own word."""

    __tablename__ = "recall_crew"
    id: int | None = _id()
    broadcast_id: int = Field(index=True)
    vessel_id: str = Field(max_length=32)
    persons_ashore: int
    ts: datetime = Field(sa_column=_ts())
    by: str = Field(max_length=64)
    note: str = Field(default="", max_length=200)


class PortEvent(SQLModel, table=True):
    """A boat entering or leaving a harbour (进出港): as its track showed it (`track`) or as its
    terminal reported it (`terminal`, with the persons the skipper reported). A track event and a
    terminal report of one passage are both kept; the one that does not count (`same_as` set:
    always the track's) points at the one that does (services/port_log.py)."""

    __tablename__ = "port_event"
    __table_args__ = (
        UniqueConstraint("vessel_id", "ts", "kind", "source", name="uq_port_event"),
        # A terminal's report is stored once, however often it is delivered.
        UniqueConstraint("vessel_id", "report_id", name="uq_port_event_report"),
    )
    id: int | None = _id()
    vessel_id: str = Field(max_length=32, index=True)
    grid_id: str = Field(max_length=32)
    port: str = Field(max_length=64)
    kind: str = Field(max_length=8, description="in / out")
    ts: datetime = Field(sa_column=_ts(index=True))
    lat: float | None = Field(None, description="None: a terminal report without a position")
    lon: float | None = None
    persons: int = 0
    source: str = Field(default="track", max_length=16)
    report_id: str | None = Field(None, max_length=64, description="the terminal report's id")
    same_as: int | None = Field(None, description="the event of the same passage that counts")


class TyphoonForecast(SQLModel, table=True):
    """An imported typhoon forecast (track and wind circles); a newer one of the same name
    replaces it on the map."""

    __tablename__ = "typhoon_forecast"
    id: int | None = _id()
    name: str = Field(max_length=64, index=True)
    points: str = Field(sa_column=Column(Text, nullable=False), description="as JSON")
    created_at: datetime = Field(sa_column=_ts())
    created_by: str = Field(max_length=64)


class HubMember(SQLModel, table=True):
    """A hub process of a cluster: its heartbeat tells the others it is alive."""

    __tablename__ = "hub_member"
    hub_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=128)  # its MQTT session, which another hub may adopt
    heartbeat_at: datetime = Field(sa_column=_ts())
    started_at: datetime = Field(sa_column=_ts())


class HubLease(SQLModel, table=True):
    """Work that one hub at a time may do (the schedule, an adopted session), until `expires_at`."""

    __tablename__ = "hub_lease"
    name: str = Field(primary_key=True, max_length=128)
    holder: str = Field(max_length=64)
    expires_at: datetime = Field(sa_column=_ts())
