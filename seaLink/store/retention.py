"""Position retention: fixes older than `store.retention_days` leave the `position` table, each
vessel's track kept down-sampled in `position_archive` when `store.archive_every_s` is set.

PostgreSQL: a month whose every fix is past the cutoff is archived in one statement and its
partition dropped (no row-by-row delete, no table bloat, no vacuum debt); the month the cutoff
falls in waits until it is wholly past. Fixes in the default partition, and every fix on SQLite,
go in small batches, each its own short transaction, so the ingest writer waits at most one batch
for the database's lock.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, column, delete, select, table, text, tuple_
from sqlalchemy.exc import DBAPIError

from seaLink.store import partitions
from seaLink.store.db import Database
from seaLink.store.tables import Position, PositionArchive
from seaLink.store.types import UTCDateTime

log = logging.getLogger(__name__)
_pos: Any = Position.__table__  # type: ignore[attr-defined]
_arch: Any = PositionArchive.__table__  # type: ignore[attr-defined]
_FIELDS = ("vessel_id", "ts", "lat", "lon", "sog", "cog", "nav_state", "link")
MONTHS_AHEAD = 2
# Between two batches: the ingest writer, waiting on the lock, goes first.
BATCH_PAUSE_S = 0.02


@dataclass
class Pruned:
    months_made: list[date] = field(default_factory=list)
    months_dropped: list[date] = field(default_factory=list)
    rows_deleted: int = 0
    rows_archived: int = 0
    archive_deleted: int = 0


def period_of(ts: datetime, every_s: int) -> datetime:
    epoch = int(ts.astimezone(UTC).timestamp())
    return datetime.fromtimestamp(epoch - epoch % every_s, UTC)


def _default_partition() -> Any:
    return table(
        partitions.DEFAULT,
        column("vessel_id"),
        column("ts", UTCDateTime()),
        column("lat"),
        column("lon"),
        column("sog"),
        column("cog"),
        column("nav_state"),
        column("link"),
    )


class PositionRetention:
    def __init__(
        self,
        db: Database,
        *,
        keep_days: int = 0,
        archive_every_s: int = 0,
        archive_days: int = 0,
        batch: int = 2000,
    ) -> None:
        self._db = db
        self.keep_days = keep_days
        self.archive_every_s = archive_every_s
        self.archive_days = archive_days
        self.batch = batch

    async def _partitioned(self) -> bool:
        async with self._db.engine.connect() as conn:
            return await conn.run_sync(partitions.is_partitioned)

    async def make_months(self, now: datetime) -> list[date]:
        """This month's partition and the next ones, so that fixes never wait in the default."""
        made = []
        first = partitions.month_start(now)
        for n in range(MONTHS_AHEAD + 1):
            month = partitions.add_months(first, n)
            try:
                async with self._db.engine.begin() as conn:
                    if await conn.run_sync(partitions.ensure_month, month):
                        made.append(month)
            except DBAPIError as exc:
                if not partitions.is_lock_timeout(exc):
                    raise
                log.info("retention: partition %s not made now (the table is busy)", month)
        return made

    async def run_once(self, now: datetime) -> Pruned:
        done = Pruned()
        partitioned = await self._partitioned()
        if partitioned:
            done.months_made = await self.make_months(now)
        if self.keep_days > 0:
            cutoff = now - timedelta(days=self.keep_days)
            if partitioned:
                await self._drop_months(cutoff, done)
            source = _default_partition() if partitioned else _pos
            await self._delete_batches(source, cutoff, done)
        if self.archive_days > 0:
            await self._trim_archive(now - timedelta(days=self.archive_days), done)
        if done.months_dropped or done.rows_deleted or done.archive_deleted:
            log.info(
                "retention: %d months dropped, %d fixes deleted, %d archived, %d archive rows "
                "past store.archive_days deleted",
                len(done.months_dropped), done.rows_deleted, done.rows_archived,
                done.archive_deleted,
            )  # fmt: skip
        return done

    async def _drop_months(self, cutoff: datetime, done: Pruned) -> None:
        async with self._db.engine.connect() as conn:
            months = await conn.run_sync(partitions.months)
        for month in months:
            if partitions.bounds(month)[1] > cutoff:
                break  # this month and the later ones still hold fixes to keep
            try:
                async with self._db.engine.begin() as conn:
                    archived = 0
                    if self.archive_every_s > 0:
                        archived = await conn.run_sync(self._archive_month, month)
                    await conn.run_sync(partitions.drop_month, month)
            except DBAPIError as exc:
                if not partitions.is_lock_timeout(exc):
                    raise
                log.info("retention: month %s not dropped now (the table is busy)", month)
                return  # all of it rolled back, archive included: the next round does it
            done.rows_archived += archived
            done.months_dropped.append(month)

    def _archive_month(self, conn: Connection, month: date) -> int:
        every = int(self.archive_every_s)
        fields = ", ".join(_FIELDS)
        result = conn.execute(
            text(
                f"INSERT INTO position_archive (period, {fields})"
                f" SELECT DISTINCT ON (vessel_id, period) period, {fields} FROM ("
                f"  SELECT to_timestamp(floor(extract(epoch FROM ts) / {every}) * {every})"
                f"  AS period, {fields} FROM {partitions.name_of(month)}) AS p"
                " ORDER BY vessel_id, period, ts ON CONFLICT DO NOTHING"
            )
        )
        return int(result.rowcount or 0)

    async def _delete_batches(self, source: Any, cutoff: datetime, done: Pruned) -> None:
        cols = [source.c[f] for f in _FIELDS]
        while True:
            async with self._db.engine.begin() as conn:
                rows = (
                    await conn.execute(select(*cols).where(source.c.ts < cutoff).limit(self.batch))
                ).all()
                if not rows:
                    return
                if self.archive_every_s > 0:
                    kept = [
                        {**r._mapping, "period": period_of(r.ts, self.archive_every_s)}
                        for r in rows
                    ]
                    result = await conn.execute(self._db.insert_ignore(_arch), kept)
                    done.rows_archived += max(0, int(result.rowcount or 0))
                keys = [(r.vessel_id, r.ts) for r in rows]
                await conn.execute(
                    delete(source).where(tuple_(source.c.vessel_id, source.c.ts).in_(keys))
                )
                done.rows_deleted += len(rows)
            await asyncio.sleep(BATCH_PAUSE_S)

    async def _trim_archive(self, cutoff: datetime, done: Pruned) -> None:
        while True:
            async with self._db.engine.begin() as conn:
                keys = (
                    await conn.execute(
                        select(_arch.c.vessel_id, _arch.c.period)
                        .where(_arch.c.period < cutoff)
                        .limit(self.batch)
                    )
                ).all()
                if not keys:
                    return
                await conn.execute(
                    delete(_arch).where(
                        and_(
                            tuple_(_arch.c.vessel_id, _arch.c.period).in_([tuple(k) for k in keys])
                        )
                    )
                )
                done.archive_deleted += len(keys)
            await asyncio.sleep(BATCH_PAUSE_S)
