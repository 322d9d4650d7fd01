"""SQLite: delivery times written by the outbox's and the acknowledgements' updates in Python's own
text ('2026-12-07 08:05:00+00:00', '...:00.000005+00:00') rewritten as the store writes every
other time ('2026-12-07 08:05:00.000000'), so that SQL compares them as the instants they are.
They were bound untyped inside COALESCE; they are bound as UTC times since. PostgreSQL stored
them as timestamptz and needs nothing.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("sent_at", "delivered_at", "read_at", "acked_at")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for column in COLUMNS:
        # Python wrote UTC with its offset, and no fraction at a whole second.
        op.execute(
            f"UPDATE delivery SET {column} = CASE length({column})"
            f" WHEN 25 THEN substr({column}, 1, 19) || '.000000'"
            f" ELSE substr({column}, 1, 26) END"
            f" WHERE {column} LIKE '%+00:00' AND length({column}) IN (25, 32)"
        )


def downgrade() -> None:
    pass  # the store's text is what the older code reads too
