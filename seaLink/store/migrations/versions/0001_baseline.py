"""Baseline: the schema of the first release, as `create_all` made it before migrations.

Frozen here (plain SQLAlchemy types, not the models): later changes to seaLink/store/tables.py
go into later revisions, never into this one.

Revision ID: 0001
Revises:
Create Date: 2026-12-06 21:30:39.950777
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ack_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("link", sa.String(length=16), nullable=False),
        sa.Column("crew", sa.Text(), server_default="[]", nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("answers", sa.Text(), server_default="[]", nullable=False),
        sa.Column("eta_min", sa.Integer(), nullable=True),
        sa.Column("recall", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("msg_id", "vessel_id", "state", name="uq_ack_event"),
    )
    op.create_index("ix_ack_event_msg_id", "ack_event", ["msg_id"], unique=False)

    op.create_table(
        "alert",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("detail_phrase", sa.Text(), nullable=True),
        sa.Column("ref", sa.String(length=96), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("event_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data", sa.Text(), server_default="{}", nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("acked_by", sa.String(length=64), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalate_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("phase_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("assigned_to", sa.String(length=64), nullable=True),
        sa.Column("silenced_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("silenced_by", sa.String(length=64), nullable=True),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_escalate_at", "alert", ["escalate_at"], unique=False)
    op.create_index("ix_alert_grid_id", "alert", ["grid_id"], unique=False)
    op.create_index("ix_alert_raised_at", "alert", ["raised_at"], unique=False)
    op.create_index("ix_alert_vessel_id", "alert", ["vessel_id"], unique=False)
    op.create_index(
        "uq_alert_open",
        "alert",
        ["vessel_id", "type", "exercise"],
        unique=True,
        sqlite_where=sa.text("state != 'resolved'"),
        postgresql_where=sa.text("state != 'resolved'"),
    )

    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_ts", "audit_log", ["ts"], unique=False)
    op.create_index("ix_audit_log_username", "audit_log", ["username"], unique=False)

    op.create_table(
        "broadcast",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("reply", sa.String(length=16), nullable=False),
        sa.Column("per_crew", sa.Boolean(), nullable=False),
        sa.Column("signal", sa.String(length=16), nullable=True),
        sa.Column("recall_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("grid_ids", sa.String(length=2048), nullable=False),
        sa.Column("extra", sa.Text(), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_broadcast_created_at", "broadcast", ["created_at"], unique=False)

    op.create_table(
        "coordinator",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "dead_letter",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(length=256), nullable=False),
        sa.Column("vessel_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_bytes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dead_letter_reason", "dead_letter", ["reason"], unique=False)
    op.create_index("ix_dead_letter_received_at", "dead_letter", ["received_at"], unique=False)

    op.create_table(
        "delivery",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("msg_id"),
    )
    op.create_index("ix_delivery_broadcast_id", "delivery", ["broadcast_id"], unique=False)
    op.create_index("ix_delivery_due", "delivery", ["rank", "next_attempt_at"], unique=False)
    op.create_index("ix_delivery_vessel", "delivery", ["vessel_id", "rank"], unique=False)

    op.create_table(
        "distress_report",
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("distress_id", sa.String(length=64), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("vessel_id", "distress_id"),
    )
    op.create_index("ix_distress_report_alert_id", "distress_report", ["alert_id"], unique=False)

    op.create_table(
        "duty_shift",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("coordinator_id", sa.String(length=32), nullable=False),
        sa.Column("backup_id", sa.String(length=32), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_duty_shift_grid_id", "duty_shift", ["grid_id"], unique=False)

    op.create_table(
        "fisher_request",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("assigned_to", sa.String(length=64), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded", sa.Integer(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vessel_id", "request_id", name="uq_fisher_request"),
    )
    op.create_index("ix_fisher_request_due_at", "fisher_request", ["due_at"], unique=False)
    op.create_index("ix_fisher_request_grid_id", "fisher_request", ["grid_id"], unique=False)
    op.create_index("ix_fisher_request_vessel_id", "fisher_request", ["vessel_id"], unique=False)

    op.create_table(
        "grid",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("leader_id", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "hub_lease",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "hub_member",
        sa.Column("hub_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hub_id"),
    )
    op.create_table(
        "incident",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("persons_at_risk", sa.Integer(), nullable=True),
        sa.Column("sitrep_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incident_alert_id", "incident", ["alert_id"], unique=True)

    op.create_table(
        "incident_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("phrase", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incident_log_incident_id", "incident_log", ["incident_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notification_alert_id", "notification", ["alert_id"], unique=False)

    op.create_table(
        "position",
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("sog", sa.Float(), nullable=True),
        sa.Column("cog", sa.Float(), nullable=True),
        sa.Column("nav_state", sa.String(length=16), nullable=True),
        sa.Column("backfill", sa.Boolean(), nullable=False),
        sa.Column("link", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("vessel_id", "ts"),
    )
    op.create_table(
        "recall",
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resend_s", sa.Integer(), nullable=False),
        sa.Column("next_resend_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("broadcast_id"),
    )
    op.create_table(
        "request_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("request_pk", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("msg_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_request_log_request_pk", "request_log", ["request_pk"], unique=False)

    op.create_table(
        "training",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("study_pack", sa.Text(), nullable=False),
        sa.Column("start_notice", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cron", sa.String(length=64), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("quiz", sa.Text(), server_default="[]", nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=False),
        sa.Column("study_broadcast_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grid_ids", sa.String(length=2048), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("creator_role", sa.String(length=16), nullable=True),
        sa.Column("creator_grids", sa.String(length=1024), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "training_run",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("training_id", "occurrence", name="uq_training_run"),
    )
    op.create_index("ix_training_run_training_id", "training_run", ["training_id"], unique=False)

    op.create_table(
        "uplink",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vessel_id", "kind", "key", name="uq_uplink_key"),
    )
    op.create_table(
        "user_account",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("coordinator_id", sa.String(length=32), nullable=True),
        sa.Column("grid_ids", sa.String(length=1024), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "zone",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("radius_nmi", sa.Float(), nullable=False),
        sa.Column("buffer_nmi", sa.Float(), nullable=False),
        sa.Column("calendar", sa.String(length=128), nullable=False),
        sa.Column("exempt_gear", sa.String(length=256), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "zone_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_zone_event_vessel_id", "zone_event", ["vessel_id"], unique=False)
    op.create_index("ix_zone_event_zone_id", "zone_event", ["zone_id"], unique=False)

    op.create_table(
        "zone_permit",
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("zone_id", "vessel_id"),
    )
    op.create_table(
        "alert_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_event_alert_id", "alert_event", ["alert_id"], unique=False)

    op.create_table(
        "api_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["username"],
            ["user_account.username"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_api_token_expires_at", "api_token", ["expires_at"], unique=False)
    op.create_index("ix_api_token_username", "api_token", ["username"], unique=False)

    op.create_table(
        "grid_coordinator",
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("coordinator_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["coordinator_id"],
            ["coordinator.id"],
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid.id"],
        ),
        sa.PrimaryKeyConstraint("grid_id", "coordinator_id"),
    )
    op.create_table(
        "vessel",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("hull_name", sa.String(length=32), nullable=False),
        sa.Column("mmsi", sa.String(length=9), nullable=True),
        sa.Column("beidou_card", sa.String(length=16), nullable=True),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("home_port", sa.String(length=64), nullable=False),
        sa.Column("gear", sa.String(length=32), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("links", sa.String(length=64), nullable=False),
        sa.Column("report_interval_s", sa.Integer(), nullable=True),
        sa.Column("beacons", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("beidou_card"),
        sa.UniqueConstraint("mmsi"),
    )
    op.create_index("ix_vessel_grid_id", "vessel", ["grid_id"], unique=False)
    op.create_index("ix_vessel_group_id", "vessel", ["group_id"], unique=False)

    op.create_table(
        "vessel_state",
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("fix_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("sog", sa.Float(), nullable=True),
        sa.Column("cog", sa.Float(), nullable=True),
        sa.Column("nav_state", sa.String(length=16), nullable=True),
        sa.Column("last_heard", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_link", sa.String(length=16), nullable=True),
        sa.Column("link_status", sa.String(length=16), nullable=True),
        sa.Column("status_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terminal", sa.String(length=64), nullable=True),
        sa.Column("contact_state", sa.String(length=16), nullable=False),
        sa.Column("contact_since", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vessel_id"],
            ["vessel.id"],
        ),
        sa.PrimaryKeyConstraint("vessel_id"),
    )


def downgrade() -> None:
    op.drop_table("vessel_state")
    op.drop_index("ix_vessel_group_id", table_name="vessel")
    op.drop_index("ix_vessel_grid_id", table_name="vessel")

    op.drop_table("vessel")
    op.drop_table("grid_coordinator")
    op.drop_index("ix_api_token_username", table_name="api_token")
    op.drop_index("ix_api_token_expires_at", table_name="api_token")

    op.drop_table("api_token")
    op.drop_index("ix_alert_event_alert_id", table_name="alert_event")

    op.drop_table("alert_event")
    op.drop_table("zone_permit")
    op.drop_index("ix_zone_event_zone_id", table_name="zone_event")
    op.drop_index("ix_zone_event_vessel_id", table_name="zone_event")

    op.drop_table("zone_event")
    op.drop_table("zone")
    op.drop_table("user_account")
    op.drop_table("uplink")
    op.drop_index("ix_training_run_training_id", table_name="training_run")

    op.drop_table("training_run")
    op.drop_table("training")
    op.drop_index("ix_request_log_request_pk", table_name="request_log")

    op.drop_table("request_log")
    op.drop_table("recall")
    op.drop_table("position")
    op.drop_index("ix_notification_alert_id", table_name="notification")

    op.drop_table("notification")
    op.drop_index("ix_incident_log_incident_id", table_name="incident_log")

    op.drop_table("incident_log")
    op.drop_index("ix_incident_alert_id", table_name="incident")

    op.drop_table("incident")
    op.drop_table("hub_member")
    op.drop_table("hub_lease")
    op.drop_table("grid")
    op.drop_index("ix_fisher_request_vessel_id", table_name="fisher_request")
    op.drop_index("ix_fisher_request_grid_id", table_name="fisher_request")
    op.drop_index("ix_fisher_request_due_at", table_name="fisher_request")

    op.drop_table("fisher_request")
    op.drop_index("ix_duty_shift_grid_id", table_name="duty_shift")

    op.drop_table("duty_shift")
    op.drop_index("ix_distress_report_alert_id", table_name="distress_report")

    op.drop_table("distress_report")
    op.drop_index("ix_delivery_vessel", table_name="delivery")
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.drop_index("ix_delivery_broadcast_id", table_name="delivery")

    op.drop_table("delivery")
    op.drop_index("ix_dead_letter_received_at", table_name="dead_letter")
    op.drop_index("ix_dead_letter_reason", table_name="dead_letter")

    op.drop_table("dead_letter")
    op.drop_table("coordinator")
    op.drop_index("ix_broadcast_created_at", table_name="broadcast")

    op.drop_table("broadcast")
    op.drop_index("ix_audit_log_username", table_name="audit_log")
    op.drop_index("ix_audit_log_ts", table_name="audit_log")

    op.drop_table("audit_log")
    op.drop_index(
        "uq_alert_open",
        sqlite_where=sa.text("state != 'resolved'"),
        postgresql_where=sa.text("state != 'resolved'"),
        table_name="alert",
    )
    op.drop_index("ix_alert_vessel_id", table_name="alert")
    op.drop_index("ix_alert_raised_at", table_name="alert")
    op.drop_index("ix_alert_grid_id", table_name="alert")
    op.drop_index("ix_alert_escalate_at", table_name="alert")

    op.drop_table("alert")
    op.drop_index("ix_ack_event_msg_id", table_name="ack_event")

    op.drop_table("ack_event")
