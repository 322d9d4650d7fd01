"""Terminal port reports (进出港报告): a report's id (stored once per vessel and id) and the
event of the same passage that counts; a report may come without a position; the same time and
kind may be stored once per source.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 00:48:48.302786
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("port_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("same_as", sa.Integer(), nullable=True))
        batch_op.alter_column("lat", existing_type=sa.FLOAT(), nullable=True)
        batch_op.alter_column("lon", existing_type=sa.FLOAT(), nullable=True)
        batch_op.drop_constraint(batch_op.f("uq_port_event"), type_="unique")
        batch_op.create_unique_constraint("uq_port_event", ["vessel_id", "ts", "kind", "source"])
        batch_op.create_unique_constraint("uq_port_event_report", ["vessel_id", "report_id"])


def downgrade() -> None:
    with op.batch_alter_table("port_event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_port_event_report", type_="unique")
        batch_op.drop_constraint("uq_port_event", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_port_event"), ["vessel_id", "ts", "kind"])
        batch_op.alter_column("lon", existing_type=sa.FLOAT(), nullable=False)
        batch_op.alter_column("lat", existing_type=sa.FLOAT(), nullable=False)
        batch_op.drop_column("same_as")
        batch_op.drop_column("report_id")
