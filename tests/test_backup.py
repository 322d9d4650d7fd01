"""`sealink db backup` while the hub ingests, then `restore` into another database: every fix
committed (so acknowledged to the broker) before the backup began is there, nothing that was
never committed is, and the restored database is one a hub starts on."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store import backup
from seaLink.store.backup import BackupError
from seaLink.store.db import Database
from seaLink.store.tables import Position
from tests.vessel_client import TestVessel

POS = Position.__table__  # type: ignore[attr-defined]


async def _fixes(db: Database) -> set[tuple[str, object]]:
    async with db.engine.connect() as conn:
        return set((await conn.execute(select(POS.c.vessel_id, POS.c.ts))).tuples().all())


async def _wait(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def _other_database(url: str, tmp_path: Path) -> tuple[str, str | None]:
    if url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path}/restored.db", None
    import asyncpg

    from tests.conftest import PG_ADMIN_URL

    name = f"sealink_restore_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{url.rsplit('/', 1)[0]}/{name}", name


async def _drop(name: str | None) -> None:
    if name is None:
        return
    import asyncpg

    from tests.conftest import PG_ADMIN_URL

    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_a_backup_taken_during_ingest_restores_everything_committed_before_it(
    registered: Settings, fake_clock: FakeClock, tmp_path: Path
) -> None:
    url = registered.store.url
    path = tmp_path / "sealink.backup"
    hub = Hub(registered, clock=fake_clock)
    stop = threading.Event()
    async with hub.running():
        v = TestVessel(registered.mqtt.url, "V1", prefix=registered.mqtt.prefix)

        def pump() -> None:  # one fix a second of boat time, back from now: each its own
            for k in range(20000):
                if stop.is_set():
                    return
                ts = fake_clock.now() - timedelta(seconds=k)
                v.publish("position", {"ts": ts.isoformat().replace("+00:00", "Z"),
                                       "lat": 23.3, "lon": 117.6, "sog": 5.0, "cog": 90.0})  # fmt: skip

        sender = threading.Thread(target=pump, daemon=True)
        sender.start()
        try:
            await _wait(lambda: _count_at_least(hub.db, 50))
            before = await _fixes(hub.db)  # committed, so acknowledged to the broker by now
            said = await asyncio.to_thread(backup.backup, url, path)
            assert str(path) in said
            # The ingest goes on after the backup too.
            ended = len(await _fixes(hub.db))
            await _wait(lambda: _count_at_least(hub.db, ended + 20))
        finally:
            stop.set()
            await asyncio.to_thread(sender.join, 30)
            v.close()
        await hub.drained()
        after = await _fixes(hub.db)

    target, name = await _other_database(url, tmp_path)
    try:
        assert "restored" in await asyncio.to_thread(backup.restore, target, path)
        restored_db = Database(target)
        try:
            restored = await _fixes(restored_db)
            await restored_db.create_all()  # at the newest revision: a hub starts on it
        finally:
            await restored_db.dispose()
    finally:
        await _drop(name)
    assert before <= restored, f"{len(before - restored)} committed fixes missing"
    assert restored <= after  # nothing that was never committed
    assert len(restored) < len(after)  # the backup is of a moment, not of the end


async def _count_at_least(db: Database, n: int) -> bool:
    return len(await _fixes(db)) >= n


async def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database " * 100, encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path}/target.db"
    with pytest.raises(BackupError, match="not a SQLite database"):
        backup.restore(url, junk)
    assert not (tmp_path / "target.db").exists()
