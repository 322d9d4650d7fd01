"""Issue 12 replayed against a running hub, on SQLite and on PostgreSQL: each test is one finding
(or one part of it), and each failed on the code before the fix.

The world of these tests: the fleet of tests/conftest.py (grid G01: V1-V3, grid G02: V4-V5),
an admin, a coordinator of each grid (ca: G01, cb: G02) and a viewer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from seaLink.clock import FakeClock
from seaLink.domain.roles import Role
from seaLink.runtime import Hub
from seaLink.services.auth import hash_password
from seaLink.settings import Settings
from seaLink.store import users

ADMIN_PW = "sec-admin-pass-1"
PASSWORDS = {"ca": "coord-a-pass-1", "cb": "coord-b-pass-1", "view": "viewer-pass-1"}
GRIDS = {"ca": ["G01"], "cb": ["G02"], "view": []}
ROLES = {"ca": Role.COORDINATOR, "cb": Role.COORDINATOR, "view": Role.VIEWER}


@dataclass
class Site:
    hub: Hub
    base: str
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def login(self, s: aiohttp.ClientSession, who: str, password: str | None = None) -> str:
        pw = password or (ADMIN_PW if who == "admin" else PASSWORDS[who])
        r = await s.post(f"{self.base}/api/v1/auth/login", json={"username": who, "password": pw})
        assert r.status == 200, await r.text()
        self.tokens[who] = str((await r.json())["token"])
        return self.tokens[who]

    async def call(
        self, s: aiohttp.ClientSession, who: str | None, method: str, path: str, body: Any = None
    ) -> tuple[int, Any]:
        r = await s.request(
            method, self.base + path, headers=self.auth(who) if who else {}, json=body
        )
        text = await r.text()
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text


def secure_settings(registered: Settings, **api: Any) -> Settings:
    return registered.model_copy(
        update={
            "admin_password": ADMIN_PW,
            "api": registered.api.model_copy(update={"login_rate_per_min": 1000, **api}),
        }
    )


@pytest.fixture
async def site(registered: Settings) -> AsyncIterator[Site]:
    settings = secure_settings(registered)
    hub = Hub(settings, clock=FakeClock(datetime.now(UTC).replace(microsecond=0)))
    async with hub.running():
        now = hub.clock.now()
        for name, pw in PASSWORDS.items():
            await users.create_user(
                hub.db,
                username=name,
                password_hash=hash_password(pw),
                role=ROLES[name],
                grid_ids=GRIDS[name],
                now=now,
            )
        site = Site(hub, f"http://127.0.0.1:{settings.api.port}")
        async with aiohttp.ClientSession() as s:
            for name in ("admin", *PASSWORDS):
                await site.login(s, name)
        yield site


def training_body(target: dict[str, Any], now: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "title": "消防演练",
        "study_pack": "灭火器使用方法",
        "target": target,
        "starts_at": (now + timedelta(days=2)).isoformat(),
        **extra,
    }


# --- 12.5: input no handler should see answers 400 JSON, never 500 -------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


async def test_inputs_the_store_cannot_take_are_clean_400s_with_their_own_codes(site: Site) -> None:
    now = site.hub.clock.now()
    async with aiohttp.ClientSession() as s:
        status, created = await site.call(
            s, "admin", "POST", "/api/v1/trainings", training_body({"grids": ["G01"]}, now)
        )
        assert status == 201, created
        tid = created["id"]
        big = "9223372036854775807"
        # fmt: off
        cases: list[tuple[str, str, bytes | None, set[str]]] = [
            # (method, path, raw body, acceptable codes)
            ("POST", "/api/v1/auth/login", DEEP, {"too_deep"}),
            ("POST", "/api/v1/broadcasts", DEEP, {"too_deep"}),
            ("POST", "/api/v1/users", DEEP_OBJECT, {"too_deep"}),
            ("PATCH", "/api/v1/users/ca", DEEP, {"too_deep"}),
            ("POST", "/api/v1/trainings", DEEP_OBJECT, {"too_deep"}),
            ("POST", "/api/v1/auth/login", b'{"username": "\\ud800", "password": "x"}', {"bad_text"}),
            ("POST", "/api/v1/broadcasts", json.dumps({"kind": "notice", "title": "\ud800",
             "body": "x", "target": {"grids": ["G01"]}}).encode(), {"bad_text"}),
            ("POST", "/api/v1/trainings",
             json.dumps(training_body({"grids": ["G01"]}, now, title="消防\u0000演练")).encode(),
             {"bad_text"}),
            ("POST", "/api/v1/users", b'{"username": "nul", "password": "pass\\u0000word1",'
             b' "role": "viewer"}', {"bad_text"}),
            ("POST", "/api/v1/duty", b'{"grid_id": "G01\\u0000", "coordinator_id": "C01L",'
             b' "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z"}',
             {"bad_text"}),
            ("POST", "/api/v1/auth/login", b'{"username": "admin\x00", "password": "x"}',
             {"bad_text"}),
            ("POST", "/api/v1/broadcasts", b"\xff\xfe{}", {"bad_text"}),
            ("GET", "/api/v1/vessels/V1/track?since=0001-01-01T00:00:00%2B14:00", None,
             {"bad_query"}),
            ("GET", "/api/v1/vessels/V1/track?until=9999-12-31T23:59:59-14:00", None,
             {"bad_query"}),
            ("GET", f"/api/v1/trainings/{tid}/attendance?run=99999999999999999999999", None,
             {"bad_query"}),
            ("GET", f"/api/v1/trainings/{tid}/attendance?run={big}", None, {"bad_query"}),
            ("GET", f"/api/v1/trainings/{big}", None, {"not_found"}),
            ("GET", f"/api/v1/alerts/{big}", None, {"not_found"}),
            ("GET", f"/api/v1/incidents/{big}", None, {"not_found"}),
            ("GET", f"/api/v1/broadcasts/{big}", None, {"not_found"}),
            ("GET", f"/api/v1/requests/{big}", None, {"not_found"}),
            ("GET", "/api/v1/trainings/2147483648/attendance", None, {"not_found"}),
            ("GET", "/api/v1/vessels?grid=G01%00", None, {"bad_text"}),
            ("GET", "/api/v1/alerts?vessel=V1%00", None, {"bad_text"}),
            ("GET", "/api/v1/vessels/V1%00", None, {"bad_text"}),
            ("GET", "/api/v1/vessels/%ED%A0%80", None, {"bad_text", "not_found"}),
            ("PATCH", "/api/v1/users/ca%00", b'{"disabled": true}', {"bad_text"}),
            ("GET", "/api/v1/requests?state=open%00", None, {"bad_text"}),
        ]
        # fmt: on
        failed = []
        for method, path, body, codes in cases:
            r = await s.request(
                method,
                site.base + path,
                data=body,
                headers={**site.auth("admin"), "Content-Type": "application/json"},
            )
            text = await r.text()
            ok = 400 <= r.status < 500 and r.content_type == "application/json"
            answer = json.loads(text) if ok else {}
            if not ok or answer.get("error") not in codes or "request_id" not in answer:
                failed.append(f"{method} {path[:70]} -> {r.status} {r.content_type} {text[:120]}")
        assert not failed, "\n".join(failed)
        # Nothing was stored and the hub still answers.
        status, listed = await site.call(s, "admin", "GET", "/api/v1/trainings")
        assert status == 200 and listed["count"] == 1
        status, _ = await site.call(s, "admin", "GET", "/healthz")
        assert status == 200


# --- 12.3: a coordinator's training reaches his grids only ----------------------------------------


async def test_a_coordinators_training_start_notice_goes_only_to_his_grids(site: Site) -> None:
    now = site.hub.clock.now()
    async with aiohttp.ClientSession() as s:
        body = training_body({"all": True}, now, title="救生衣检查")
        status, created = await site.call(s, "ca", "POST", "/api/v1/trainings", body)
        assert status == 201, created
        assert created["grids"] == ["G01"]
        study = created["study_broadcast_id"]
        # The occurrence starts (the scheduler's job calls the same method).
        run_id = await site.hub.training.run(created["id"])
        assert run_id is not None
        status, t = await site.call(s, "admin", "GET", f"/api/v1/trainings/{created['id']}")
        [run] = t["runs"]
        assert "creator_role" not in t and "creator_grids" not in t
        for bid in (study, run["broadcast_id"]):
            status, b = await site.call(s, "admin", "GET", f"/api/v1/broadcasts/{bid}?deliveries=1")
            assert status == 200, b
            reached = {d["vessel_id"] for d in b["deliveries"]}
            assert reached == {"V1", "V2", "V3"}, f"broadcast {bid} reached {sorted(reached)}"
            assert b["broadcast"]["created_by"] == "ca"
        # An admin's training for every boat still reaches every grid.
        status, created = await site.call(s, "admin", "POST", "/api/v1/trainings", body)
        assert status == 201 and created["grids"] == ["G01", "G02"]
        run_id = await site.hub.training.run(created["id"])
        status, t = await site.call(s, "admin", "GET", f"/api/v1/trainings/{created['id']}")
        bid = t["runs"][0]["broadcast_id"]
        status, b = await site.call(s, "admin", "GET", f"/api/v1/broadcasts/{bid}?deliveries=1")
        assert {d["vessel_id"] for d in b["deliveries"]} == {"V1", "V2", "V3", "V4", "V5"}


async def test_a_database_made_before_the_creator_scope_gets_its_columns_and_a_narrow_scope(
    clean_store: str,
) -> None:
    from sqlalchemy import inspect, text

    from seaLink.services.training import creator_scope
    from seaLink.store.db import Database

    db = Database(clean_store)
    try:
        async with db.engine.begin() as conn:
            for column in ("creator_role", "creator_grids"):
                await conn.execute(text(f"ALTER TABLE training DROP COLUMN {column}"))
        await db.create_all()  # the start of a newer hub on the older database
        async with db.engine.connect() as conn:
            columns = await conn.run_sync(
                lambda c: {x["name"] for x in inspect(c).get_columns("training")}
            )
        assert {"creator_role", "creator_grids"} <= columns
    finally:
        await db.dispose()
    legacy = {"created_by": "admin", "creator_role": None, "creator_grids": None, "grid_ids": "G02"}
    who = creator_scope(legacy)
    assert who.role is Role.COORDINATOR and who.grid_ids == {"G02"}
