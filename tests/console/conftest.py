"""Browser tests of the coordinators' console: a real hub in process, headless Chromium.

Playwright's async API is used (its sync API runs its own event loop, which clashes with
pytest-asyncio's). Every page collects console errors and uncaught exceptions; a test fails if any
appear, unless it declares the ones it expects with `page_errors.allow(pattern)`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from seaLink.clock import FakeClock
from seaLink.domain.roles import Role
from seaLink.runtime import Hub
from seaLink.services.auth import hash_password
from seaLink.settings import Settings
from seaLink.store import users

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "console"
ADMIN_PW = "admin-pass-123"
COORD_PW = "coord-pass-1"


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """Browser tests check the console, not the stores: SQLite only (the API tests cover both)."""
    return f"sqlite+aiosqlite:///{tmp_path}/sealink.db"


@dataclass
class Console:
    hub: Hub
    base: str
    clock: FakeClock


@pytest.fixture
async def console(registered: Settings, fake_clock: FakeClock) -> AsyncIterator[Console]:
    """A running hub serving the console, with the fleet V1..V5 and a G01 coordinator."""
    settings = registered.model_copy(update={"admin_password": ADMIN_PW})
    hub = Hub(settings, clock=fake_clock)
    async with hub.running():
        await users.create_user(
            hub.db,
            username="coord1",
            password_hash=hash_password(COORD_PW),
            role=Role.COORDINATOR,
            grid_ids=["G01"],
            now=fake_clock.now(),
        )
        yield Console(hub, f"http://127.0.0.1:{settings.api.port}", fake_clock)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@dataclass
class PageErrors:
    """Console errors and uncaught exceptions seen by a page."""

    seen: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.seen if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
async def page(
    browser: Browser, console: Console, page_errors: PageErrors, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    # The PC's own time zone must not matter: the console always shows Beijing time.
    context = await browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="UTC"
    )
    p = await context.new_page()
    p.set_default_timeout(10_000)

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            page_errors.seen.append(f"console: {msg.text}")

    p.on("console", on_console)
    p.on("pageerror", lambda exc: page_errors.seen.append(f"exception: {exc}\n{exc.stack}"))
    yield p
    failed = request.node.stash.get(_FAILED, False)
    if failed:
        await shot(p, f"FAILED-{request.node.name}")
    await context.close()
    if not failed:
        assert page_errors.unexpected() == [], "the page logged errors"


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


async def shot(page: Page, name: str) -> Path:
    """Save a screenshot under tests/artifacts/console/ (git-ignored) for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path
