"""Recall crews ashore, port events, typhoon forecasts; a delivery's copies and the link of its
acknowledgement; a recall's shelter and completion time. Existing deliveries get no copies ('').

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 22:23:06.706252
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "port_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("port", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vessel_id", "ts", "kind", name="uq_port_event"),
    )
    with op.batch_alter_table("port_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_port_event_ts"), ["ts"], unique=False)
        batch_op.create_index(batch_op.f("ix_port_event_vessel_id"), ["vessel_id"], unique=False)

    op.create_table(
        "recall_crew",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("persons_ashore", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("recall_crew", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recall_crew_broadcast_id"), ["broadcast_id"], unique=False
        )

    op.create_table(
        "typhoon_forecast",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("points", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("typhoon_forecast", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_typhoon_forecast_name"), ["name"], unique=False)

    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("copies", sa.String(length=256), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("ack_link", sa.String(length=16), nullable=True))

    with op.batch_alter_table("recall", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shelter", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("complete_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recall", schema=None) as batch_op:
        batch_op.drop_column("complete_at")
        batch_op.drop_column("shelter")

    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("ack_link")
        batch_op.drop_column("copies")

    with op.batch_alter_table("typhoon_forecast", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_typhoon_forecast_name"))

    op.drop_table("typhoon_forecast")
    with op.batch_alter_table("recall_crew", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recall_crew_broadcast_id"))

    op.drop_table("recall_crew")
    with op.batch_alter_table("port_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_port_event_vessel_id"))
        batch_op.drop_index(batch_op.f("ix_port_event_ts"))

    op.drop_table("port_event")
