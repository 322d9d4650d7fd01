"""SQLite's log is copied back into the database by the hub's checkpointer, beside the writers,
not inside their commits (seaLink.store.wal)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store import wal
from seaLink.store.db import Database
from tests.test_ingest import wait_for

ROWS, ROW_BYTES = 12, 2**19  # 6 MB: 1,500 pages and more, where SQLite's default checkpoints


async def _write(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE filler (b BLOB)")
    for _ in range(ROWS):  # a commit each, as the ingest's batches
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("INSERT INTO filler VALUES (randomblob(?))", (ROW_BYTES,))


def _size(path: Path) -> int:
    return os.path.getsize(path)


async def test_commits_leave_the_log_to_the_checkpointer_which_copies_it_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await _write(db)
        written = ROWS * ROW_BYTES
        # Every page is still in the log: no commit stopped to copy it back.
        assert _size(path) < written / 4
        assert _size(Path(f"{path}-wal")) > written
        task = asyncio.create_task(wal.keep_checkpointed(str(path), every_s=0.05))

        async def copied_back() -> bool:
            return _size(path) > written

        try:
            await wait_for(copied_back, timeout=15.0)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        async with db.engine.connect() as conn:
            n = (await conn.exec_driver_sql("SELECT count(*) FROM filler")).scalar()
        assert n == ROWS
    finally:
        await db.dispose()


async def test_a_hub_on_sqlite_keeps_its_log_checkpointed(
    registered: Settings, store_url: str
) -> None:
    hub = Hub(registered)
    async with hub.running():
        names = {t.get_name() for t in asyncio.all_tasks()}
    assert ("wal-checkpoint" in names) == store_url.startswith("sqlite")
