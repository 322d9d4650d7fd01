"""SQLite's write-ahead log, checkpointed beside the writers instead of inside their commits.

Left to itself SQLite copies the log back into the database file in whichever commit takes the
log past `wal_autocheckpoint` pages (1,000 by default), while that writer still holds the one
write lock: at 50,000 deliveries a broadcast wrote ~185 MB of log, every commit of the ingest
and the outbox's bookkeeping ran a checkpoint (20-30 ms each), and a page changed by five commits
was copied five times. The hub checkpoints once a second from its own connection in a thread
(`PASSIVE`: it waits for no writer or reader, and none waits for it); a commit checkpoints only
when the log has outgrown `BACKSTOP_PAGES` (a store used with no hub running: the CLI, tools).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import aiosqlite

log = logging.getLogger(__name__)

EVERY_S = 1.0
BACKSTOP_PAGES = 10_000  # ~40 MB of log before a commit checkpoints by itself
SIZE_LIMIT = 64 * 2**20  # the log file is cut back to this once it starts over


def pragmas(cur: sqlite3.Cursor) -> None:
    """For every connection of the pool."""
    cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    cur.execute(f"PRAGMA journal_size_limit={SIZE_LIMIT}")


async def keep_checkpointed(path: str, every_s: float = EVERY_S) -> None:
    """Run until cancelled: checkpoint `path`'s log every `every_s` seconds. On a connection of
    its own (aiosqlite: one thread, which closes it only after a checkpoint under way is done;
    closed from another thread meanwhile, SQLite crashed the process)."""
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute(f"PRAGMA journal_size_limit={SIZE_LIMIT}")
        while True:
            await asyncio.sleep(every_s)
            try:
                async with conn.execute("PRAGMA wal_checkpoint(PASSIVE)") as cur:
                    await cur.fetchone()
            except sqlite3.Error as exc:
                # The store away or busy: the commits' backstop checkpoints meanwhile.
                log.warning("WAL checkpoint of %s failed: %s", path, exc)
