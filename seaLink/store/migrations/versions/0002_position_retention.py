"""Position retention: the down-sampled archive table, and on PostgreSQL `position` partitioned by
month so that retention drops whole months instead of deleting rows one by one.

On PostgreSQL the existing table is renamed, the partitioned one made with a partition for every
month that has fixes (and this month and the next two), the fixes copied, the old table dropped;
all in the upgrade's one transaction. SQLite keeps its table (retention deletes in batches there).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = "vessel_id, ts, lat, lon, sog, cog, nav_state, backfill, link, received_at"


def _position_columns() -> list[Any]:
    return [
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
    ]


def _next_month(m: date) -> date:
    return date(m.year + m.month // 12, m.month % 12 + 1, 1)


def _partition_by_month() -> None:
    bind = op.get_bind()
    op.execute("ALTER TABLE position RENAME TO position_unpartitioned")
    op.execute(
        "ALTER TABLE position_unpartitioned RENAME CONSTRAINT position_pkey"
        " TO position_unpartitioned_pkey"
    )
    op.create_table("position", *_position_columns(), postgresql_partition_by="RANGE (ts)")
    op.execute("CREATE TABLE position_default PARTITION OF position DEFAULT")
    found = bind.execute(
        sa.text(
            "SELECT DISTINCT date_trunc('month', ts AT TIME ZONE 'UTC')::date"
            " FROM position_unpartitioned"
        )
    ).scalars()
    now = datetime.now(UTC)
    wanted = {date(now.year, now.month, 1)}
    wanted.add(_next_month(min(wanted)))
    wanted.add(_next_month(max(wanted)))
    wanted.update(found)
    for m in sorted(wanted):
        end = _next_month(m)
        op.execute(
            f"CREATE TABLE position_y{m.year:04d}m{m.month:02d} PARTITION OF position"
            f" FOR VALUES FROM ('{m.isoformat()} 00:00:00+00') TO ('{end.isoformat()} 00:00:00+00')"
        )
    op.execute(f"INSERT INTO position ({COLUMNS}) SELECT {COLUMNS} FROM position_unpartitioned")
    op.execute("DROP TABLE position_unpartitioned")


def upgrade() -> None:
    op.create_table(
        "position_archive",
        sa.Column("vessel_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("sog", sa.Float(), nullable=True),
        sa.Column("cog", sa.Float(), nullable=True),
        sa.Column("nav_state", sa.String(length=16), nullable=True),
        sa.Column("link", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("vessel_id", "period"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _partition_by_month()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE position RENAME TO position_partitioned")
        op.execute(
            "ALTER TABLE position_partitioned RENAME CONSTRAINT position_pkey"
            " TO position_partitioned_pkey"
        )
        op.create_table("position", *_position_columns())
        op.execute(f"INSERT INTO position ({COLUMNS}) SELECT {COLUMNS} FROM position_partitioned")
        op.execute("DROP TABLE position_partitioned")  # and its partitions
    op.drop_table("position_archive")
