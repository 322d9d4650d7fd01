"""Shared fixtures: a private Mosquitto, SQLite and PostgreSQL stores, a registered test fleet."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from seaLink.clock import FakeClock
from seaLink.domain.fleetgen import CoordinatorSpec, Fleet, GridSpec
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.wire.fleet_csv import VesselSpec
from tests.brokers import Mosquitto, free_port

PG_ADMIN_URL = os.environ.get("SEALINK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    b = Mosquitto(tmp_path_factory.mktemp("mosquitto"))
    b.start()
    yield b
    b.stop()


def _pg_available() -> str | None:
    import asyncpg

    async def probe() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    problem = _pg_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required in CI: {problem}")
        pytest.skip(
            f"PostgreSQL not reachable at {PG_ADMIN_URL} ({problem}); set SEALINK_TEST_PG_URL"
        )
    import asyncpg

    name = f"sealink_test_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/sealink.db"
    url: str = request.getfixturevalue("pg_database")
    return url


@pytest.fixture
async def clean_store(store_url: str) -> AsyncIterator[str]:
    db = Database(store_url)
    await db.drop_all()
    await db.create_all()
    await db.dispose()
    yield store_url


def small_fleet() -> Fleet:
    """Two grids, five vessels: enough to tell grids apart and to spoof one boat as another."""
    grids = [GridSpec("G01", "云澳第1网格", "C01L"), GridSpec("G02", "后宅第2网格", "C02L")]
    coords = [
        CoordinatorSpec("C01L", "陈海生", "13800000001", "a@example.cn", ("G01",)),
        CoordinatorSpec("C02L", "林建国", "13800000002", "b@example.cn", ("G02",)),
    ]
    vessels = [
        VesselSpec(
            f"V{i}",
            f"粤南澳渔0000{i}",
            f"41200000{i}",
            None,
            "G01" if i < 4 else "G02",
            "G01-F1" if i < 4 else "G02-F1",
            "云澳渔港",
            "trawl",
            6,
            ("mqtt",),
        )
        for i in range(1, 6)
    ]
    return Fleet(grids, coords, vessels)


@pytest.fixture
def settings_for(broker: Mosquitto, clean_store: str) -> Settings:
    """Hub settings on the private broker and the parametrised store; API on a free port."""
    return Settings(
        mqtt={
            "url": broker.url,
            "client_id": f"hub-{uuid.uuid4().hex[:6]}",
            "prefix": f"t{uuid.uuid4().hex[:6]}/v1",
        },
        store={"url": clean_store},
        api={"port": free_port()},
        # A zone alert at the first fix inside, as most tests want (test_zone_jitter: the default).
        contact={"startup_grace_s": 0, "zone_confirm_fixes": 1},
    )  # type: ignore[arg-type]


@pytest.fixture
async def registered(settings_for: Settings) -> Settings:
    db = Database(settings_for.store.url)
    await db.create_all()
    await import_fleet(db, small_fleet())
    await db.dispose()
    return settings_for


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
