"""Partial indexes on the deliveries still on their way (what is due, what expires), in place of
the index on every delivery's rank and next attempt; and no second index on ack_event.msg_id
(the unique index on msg_id, vessel_id, state serves those reads).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_OPEN = "rank <= 1 AND closed_at IS NULL"


def upgrade() -> None:
    for name, column in (("ix_delivery_open_due", "next_attempt_at"),
                         ("ix_delivery_open_expiry", "expires_at")):  # fmt: skip
        op.create_index(
            name,
            "delivery",
            [column],
            unique=False,
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        )
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.drop_index("ix_ack_event_msg_id", table_name="ack_event")


def downgrade() -> None:
    op.create_index("ix_ack_event_msg_id", "ack_event", ["msg_id"], unique=False)
    op.create_index("ix_delivery_due", "delivery", ["rank", "next_attempt_at"], unique=False)
    op.drop_index("ix_delivery_open_expiry", table_name="delivery")
    op.drop_index("ix_delivery_open_due", table_name="delivery")
