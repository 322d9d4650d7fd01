"""Shared fixtures: a private Mosquitto, SQLite and PostgreSQL stores, a registered test fleet."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from seaLink.clock import FakeClock
from seaLink.domain.fleetgen import CoordinatorSpec, Fleet, GridSpec
from seaLink.services.auth import use_password_hasher
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.testing.store_reset import StoreReset
from seaLink.wire.fleet_csv import VesselSpec
from tests.brokers import Mosquitto, free_port

PG_ADMIN_URL = os.environ.get("SEALINK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
EXIT_GRACE_S = 60.0
PG_CONNECTION_CAP = 20  # the whole run, all workers (issue 19): a second run or a hub must fit
# One name for this run's databases, shared by pytest-xdist's workers (they inherit the
# controller's environment), so the controller's sampler counts all of them and no other run's.
RUN_ID = os.environ.setdefault("SEALINK_TEST_RUN", uuid.uuid4().hex[:6])
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

# Hubs under test keep few connections open: the whole suite has to fit in a server's default
# max_connections next to another run (subprocess hubs inherit these).
os.environ.setdefault("SEALINK_STORE__POOL_SIZE", "2")
os.environ.setdefault("SEALINK_STORE__MAX_OVERFLOW", "3")


class PgConnectionSampler:
    """Counts, four times a second, the connections open to this run's test databases (every
    worker's), and remembers the peak and the tests that had started last then."""

    def __init__(self, dbname: str) -> None:
        import collections
        import threading

        self.dbname = dbname
        self.peak = 0
        self.peak_test = ""
        self.samples = 0
        self.running: collections.deque[str] = collections.deque(maxlen=2)  # a test per worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-connection-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, application_name="pg-sampler") as conn:
            while True:  # one sample at least, however short the run
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE %s",
                    (f"{self.dbname}%",),
                ).fetchone()
                n = int(row[0]) if row else 0
                self.samples += 1
                if n > self.peak:
                    self.peak, self.peak_test = n, ", ".join(self.running)
                if self._stop.wait(0.25):
                    break


PG_SAMPLER: PgConnectionSampler | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    """The sampler runs in the process that reports (the controller under xdist), from the start:
    it sees every worker's connections, and its verdict decides the run's exit status."""
    global PG_SAMPLER
    if WORKER or _pg_available() is not None:
        return
    PG_SAMPLER = PgConnectionSampler(f"sealink_test_{RUN_ID}")
    PG_SAMPLER.start()


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    if PG_SAMPLER is not None:
        PG_SAMPLER.running.append(nodeid)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _check_pg_connections(session)
    # An xdist worker is not done when its session is: it waits, alive, until the controller
    # ends it (after the slowest worker), and the controller's own watchdog covers that exit.
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        _exit_watchdog(int(session.exitstatus))


def _check_pg_connections(session: pytest.Session) -> None:
    """Fails the run when its PostgreSQL connections ever went over the cap: the whole run's,
    every worker's together (issue 19: at most 20 at any moment)."""
    if PG_SAMPLER is None:
        return
    PG_SAMPLER.stop()
    cap = PG_CONNECTION_CAP
    peak, samples = PG_SAMPLER.peak, PG_SAMPLER.samples
    line = f"PostgreSQL connections of this run at the peak: {peak} (cap {cap}, {samples} samples)"
    if peak > cap:
        line += f"; over the cap while these ran: {PG_SAMPLER.peak_test}"
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif samples == 0 and os.environ.get("CI"):
        line += "; the sampler never read pg_stat_activity"
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    print(f"\n{line}")


def _exit_watchdog(exitstatus: int) -> None:
    """A thread left running by a failed test must not keep CI waiting at interpreter exit:
    after the report, give exit a minute, then name the threads still alive and leave."""
    import faulthandler
    import sys
    import threading

    def watchdog() -> None:
        if finished.wait(EXIT_GRACE_S):
            return
        alive = [t.name for t in threading.enumerate() if not t.daemon and t.is_alive()]
        print(f"\npytest exit held by threads {alive}; their stacks:", file=sys.stderr)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        os._exit(int(exitstatus))

    finished = threading.Event()
    threading.Thread(target=watchdog, name="exit-watchdog", daemon=True).start()
    import atexit

    atexit.register(finished.set)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id at its cheapest for the suite's in-process hubs (each login verified a 64 MiB,
    0.15 s hash: minutes of CPU over the suite). Tests of the login's own cost restore the
    standard one (`standard_password_hashing`); hubs run as subprocesses keep it throughout."""
    previous = use_password_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    use_password_hasher(previous)


@pytest.fixture
def standard_password_hashing() -> Iterator[None]:
    cheap = use_password_hasher(PasswordHasher())
    yield
    use_password_hasher(cheap)


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

    name = f"sealink_test_{RUN_ID}_{WORKER or 'main'}_{uuid.uuid4().hex[:4]}"

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


@pytest.fixture(scope="session")
def store_reset(tmp_path_factory: pytest.TempPathFactory) -> StoreReset:
    return StoreReset(tmp_path_factory.mktemp("store-template"))


@pytest.fixture
async def clean_store(store_url: str, store_reset: StoreReset) -> AsyncIterator[str]:
    """An empty store at the newest revision (seaLink.testing.store_reset: copied or emptied,
    rebuilt whenever a test left the schema changed)."""
    await store_reset.prepare(store_url)
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
