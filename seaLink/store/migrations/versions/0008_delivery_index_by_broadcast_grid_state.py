"""The roll-up's index on delivery: by broadcast, grid, state and vessel, so that a broadcast's
counts by grid and state are read from the index alone.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_broadcast")
        batch_op.create_index(
            "ix_delivery_broadcast", ["broadcast_id", "grid_id", "state", "vessel_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_broadcast")
        batch_op.create_index(
            "ix_delivery_broadcast", ["broadcast_id", "grid_id", "vessel_id"], unique=False
        )
