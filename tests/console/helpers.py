"""Steps the console tests share: log in, publish fixes, read what the page shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Page, expect

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.store.queries import count_positions
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel


async def login(page: Page, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await expect(page.locator(".topbar")).to_be_visible()
    await wait_loaded(page)


async def wait_loaded(page: Page) -> None:
    """Until the fleet snapshot is in and the live link is up."""
    await expect(page.locator(".conn-open")).to_be_visible()
    await page.wait_for_function("() => (window.__sealinkPerf?.snapshots?.length || 0) > 0")


async def publish(hub: Hub, clock: FakeClock, vid: str, *fixes: dict[str, Any]) -> None:
    """Publish fixes as vessel `vid` over MQTT and wait until the hub has committed them."""
    before = await count_positions(hub.db, vid)
    v = TestVessel(hub.settings.mqtt.url, vid, prefix=hub.settings.mqtt.prefix)
    try:
        v.publish("position", list(fixes) if len(fixes) > 1 else fixes[0])
    finally:
        v.close()

    async def stored() -> bool:
        return await count_positions(hub.db, vid) >= before + len(fixes)

    await wait_for(stored)
    await hub.drained()


def at(clock: FakeClock, minutes_ago: float = 0, **extra: Any) -> dict[str, Any]:
    """A fix `minutes_ago` by the hub's clock; by default east of the Nanpeng reserve (no zone)."""
    ts = clock.now() - timedelta(minutes=minutes_ago)
    return {
        "ts": ts.isoformat().replace("+00:00", "Z"),
        "lat": 23.30,
        "lon": 117.60,
        "sog": 6.5,
        "cog": 120.0,
    } | extra


def beijing(when: datetime) -> str:
    """How the console writes a UTC time: Beijing time, seconds included."""
    return (when.astimezone(UTC) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


async def counter(page: Page, state: str) -> int:
    text = await page.locator(f'.counter[data-state="{state}"] .counter-value').inner_text()
    return int(text)


async def not_drawn(page: Page, vid: str, timeout_ms: float = 5000) -> None:
    """Wait until the map stops drawing a vessel (the map redraws on the next frame)."""
    await page.wait_for_function(
        "(id) => !window.__sealinkMap?.vessels?.pointOf(id)", arg=vid, timeout=timeout_ms
    )


async def drawn(page: Page, vid: str, timeout_ms: float = 5000) -> dict[str, Any] | None:
    """Wait until the map draws a vessel (data and redraw arrive a moment after login)."""
    await page.wait_for_function(
        "(id) => !!window.__sealinkMap?.vessels?.pointOf(id)", arg=vid, timeout=timeout_ms
    )
    return await dot(page, vid)


async def dot(page: Page, vid: str) -> dict[str, Any] | None:
    """Where and in what colour the map draws a vessel (None when it is not drawn)."""
    result: dict[str, Any] | None = await page.evaluate(
        """(id) => {
            const layer = window.__sealinkMap?.vessels;
            const p = layer?.pointOf(id);
            return p ? { ...p, rgb: layer.colourOf(id) } : null;
        }""",
        vid,
    )
    return result


RESERVE = {"lat": 23.28, "lon": 117.25}  # inside the Nanpeng Islands reserve (the shipped zones)
CJK_OUTSIDE_DATA = """() => {
    const bad = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!el || el.closest('[data-raw], script, style, noscript')) continue;
        if (!el.checkVisibility()) continue;
        if (/[\\u3400-\\u9fff]/.test(n.textContent)) bad.push(n.textContent.trim());
    }
    return bad;
}"""


async def add_coordinator(
    hub: Hub, clock: FakeClock, name: str, password: str, grids: list[str]
) -> None:
    from seaLink.domain.roles import Role
    from seaLink.services.auth import hash_password
    from seaLink.store import users

    await users.create_user(
        hub.db,
        username=name,
        password_hash=hash_password(password),
        role=Role.COORDINATOR,
        grid_ids=grids,
        now=clock.now(),
    )


async def sounds(page: Page) -> dict[str, int]:
    """How often the page sounded each kind of alarm, and its repeats (window.__sealinkSounds)."""
    result: dict[str, int] = await page.evaluate("() => ({ ...window.__sealinkSounds })")
    return result


async def zone_alerts(hub: Hub, clock: FakeClock, *vids: str) -> None:
    """Each boat reports a fix inside the reserve: one zone alert each."""
    for vid in vids:
        await publish(hub, clock, vid, at(clock, 0, **RESERVE))
