"""Schemathesis against the OpenAPI document of a running hub: no input makes the server fail."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import aiohttp
import pytest

from seaLink.runtime import Hub
from seaLink.settings import Settings


# One database is enough for a property-based sweep of the API.
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_no_generated_request_makes_the_server_fail(registered: Settings) -> None:
    settings = registered.model_copy(
        update={
            "admin_password": "fuzz-admin-pass",
            "api": registered.api.model_copy(update={"login_rate_per_min": 100_000}),
        }
    )
    base = f"http://127.0.0.1:{settings.api.port}"
    st = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is a test dependency (pyproject [test])"
    async with Hub(settings).running():
        async with aiohttp.ClientSession() as s:
            r = await s.post(
                f"{base}/api/v1/auth/login",
                json={"username": "admin", "password": "fuzz-admin-pass"},
            )
            token = (await r.json())["token"]
        proc = await asyncio.create_subprocess_exec(
            st, "run", f"{base}/api/v1/openapi.json", "-H", f"Authorization: Bearer {token}",
            "--checks", "not_a_server_error", "--max-examples", "8", "--exclude-path", "/api/v1/events",
            "--seed", "20261128", "--no-color",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text[-3000:]
    assert "passed" in text
