"""`sealink hub` started while its database is down waits for it (backoff, logging what it waits
for) up to `store.start_timeout_s`, then starts; past that it stops with a plain message."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.tables import UserAccount
from seaLink.testing.postgres import PrivatePostgres
from tests.brokers import Mosquitto, free_port
from tests.hub_process import HubProcess
from tests.test_ingest import wait_for


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    pg.start()
    try:
        yield pg
    finally:
        pg.remove()


def _hub_env(broker: Mosquitto, url: str, **extra: str) -> dict[str, str]:
    settings = Settings(
        mqtt={"url": broker.url, "client_id": f"hub-{uuid.uuid4().hex[:6]}",
              "prefix": f"t{uuid.uuid4().hex[:6]}/v1"},
        store={"url": url},
        api={"port": free_port()},
    )  # type: ignore[arg-type]  # fmt: skip
    return HubProcess(settings, Path(".")).env() | extra


def _spawn_hub(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "seaLink.cli", "hub"], env=env, stdout=out, stderr=out
        )


def _healthy(port: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            return bool(json.loads(r.read()).get("mqtt"))
    except OSError:
        return False


async def test_the_hub_waits_for_a_database_that_is_not_up_yet(
    broker: Mosquitto, private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    name = f"start_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(private_pg.create_database, name)
    await asyncio.to_thread(private_pg.stop, "fast")
    env = _hub_env(broker, private_pg.url(name), SEALINK_ADMIN_PASSWORD="admin-pass-123")
    log_path = tmp_path / "hub.log"
    proc = _spawn_hub(env, log_path)
    try:

        async def waiting_logged() -> bool:
            assert proc.poll() is None, log_path.read_text()
            return "waiting for the database at postgresql+asyncpg://" in log_path.read_text()

        await wait_for(waiting_logged, timeout=30)
        await asyncio.sleep(2)  # a few retries with the database still down
        assert proc.poll() is None, log_path.read_text()
        await asyncio.to_thread(private_pg.start)
        port = env["SEALINK_API__PORT"]

        async def healthy() -> bool:
            assert proc.poll() is None, log_path.read_text()
            return await asyncio.to_thread(_healthy, port)

        await wait_for(healthy, timeout=60)
        text = log_path.read_text()
        assert "database at postgresql+asyncpg://" in text and "answered after" in text
        db = Database(private_pg.url(name))
        try:  # it went on to create the schema and the first admin
            async with db.engine.connect() as conn:
                admins = (
                    await conn.execute(select(UserAccount.username))  # type: ignore[call-overload]
                ).all()
        finally:
            await db.dispose()
        assert ("admin",) in admins
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 20)
        if private_pg.datadir.exists() and not (private_pg.datadir / "postmaster.pid").exists():
            await asyncio.to_thread(private_pg.start)


async def test_the_hub_gives_up_after_the_start_timeout(broker: Mosquitto, tmp_path: Path) -> None:
    dead = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
    env = _hub_env(broker, dead, SEALINK_STORE__START_TIMEOUT_S="3")
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "seaLink.cli", "hub"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    text = done.stderr.decode(errors="replace")
    assert done.returncode == 1, text
    assert "waiting for the database" in text  # it did wait, with retries ...
    assert text.count("waiting for the database") >= 2
    assert "did not answer within 3s (store.start_timeout_s)" in text  # ... then said why
    assert "Traceback" not in text
