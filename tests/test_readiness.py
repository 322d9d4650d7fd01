"""Readiness names the part that is down; a store outage answers JSON 503 with Retry-After and is
logged once, with the request id of its first failed request."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text

from seaLink.api.errors import OUTAGE_LOG, StoreOutageLog, json_errors
from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store.db import Database
from tests.brokers import free_port


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # the same code on both
async def test_readyz_is_ready_then_names_the_store_when_its_schema_is_old(
    registered: Settings, fake_clock: FakeClock
) -> None:
    hub = Hub(registered, clock=fake_clock)
    base = f"http://127.0.0.1:{registered.api.port}"
    async with hub.running(), aiohttp.ClientSession() as s:
        r = await s.get(f"{base}/readyz")
        assert (r.status, await r.json()) == (
            200,
            {"status": "ready", "down": [],
             "parts": {"store": "ok", "mqtt": "ok", "ingest": "ok", "hub": "ok"}},
        )  # fmt: skip
        async with hub.db.engine.begin() as conn:  # as if an older SeaLink restored its backup
            await conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        r = await s.get(f"{base}/readyz")
        body = await r.json()
        assert r.status == 503 and body["down"] == ["store"]
        assert body["parts"]["store"] == "old_schema" and body["status"] == "not_ready"


async def test_a_store_outage_answers_503_json_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    db = Database(f"sqlite+aiosqlite:///{gone}/sealink.db")
    gone.rmdir()  # the database's folder vanished (a disk unmounted): it cannot be opened
    reachable = False

    async def handler(request: web.Request) -> web.Response:
        if not reachable:
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[json_errors])
    app[OUTAGE_LOG] = StoreOutageLog()
    app.router.add_get("/x", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    caplog.set_level(logging.INFO, logger="seaLink.api.errors")
    try:
        async with aiohttp.ClientSession() as s:
            ids = []
            for _ in range(3):
                r = await s.get(f"http://127.0.0.1:{port}/x")
                body = await r.json()
                assert r.status == 503 and r.headers["Retry-After"] == "5"
                assert body["error"] == "store_unavailable"
                assert body["request_id"] == r.headers["X-Request-Id"]
                ids.append(body["request_id"])
            reachable = True
            assert (await s.get(f"http://127.0.0.1:{port}/x")).status == 200
    finally:
        await runner.cleanup()
        await db.dispose()
    lines = [r.getMessage() for r in caplog.records if r.name == "seaLink.api.errors"]
    assert len(lines) == 2, lines
    assert "store is unreachable" in lines[0] and f"[request {ids[0]}]" in lines[0]
    assert f"3 requests got 503 in the outage that began with request {ids[0]}" in lines[1]
