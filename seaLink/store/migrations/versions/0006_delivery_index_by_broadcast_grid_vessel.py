"""The roll-up's index on delivery: by broadcast, grid and vessel (the order it lists missing
boats in), in place of the index on broadcast alone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 10:42:31.287860
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_broadcast_id"))
        batch_op.create_index(
            "ix_delivery_broadcast", ["broadcast_id", "grid_id", "vessel_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_broadcast")
        batch_op.create_index(
            batch_op.f("ix_delivery_broadcast_id"), ["broadcast_id"], unique=False
        )
