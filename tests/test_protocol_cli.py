"""A vessel played with the plain mosquitto_pub / mosquitto_sub programs, using only what
docs/protocol.md says; and every JSON example in that document checked against its schema."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select

from seaLink.clock import FakeClock
from seaLink.domain.fleetgen import Fleet
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store import queries
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.tables import FisherRequest, PortEvent
from seaLink.wire.fleet_csv import VesselSpec
from seaLink.wire.schemas_export import rendered
from tests.conftest import small_fleet

DOCS = Path(__file__).parent.parent / "docs"


def test_the_published_schemas_match_the_code() -> None:
    for name, text in rendered().items():
        assert (DOCS / "schemas" / name).read_text(encoding="utf-8") == text, (
            f"docs/schemas/{name} is stale: run python -m seaLink.wire.schemas_export docs/schemas"
        )


def _json_examples() -> list[tuple[str, object, bool]]:
    """(schema name, payload, valid?) for every ```json block and `-m '...'` payload in the doc;
    the one the doc introduces as breaking the rules must be invalid."""
    text = (DOCS / "protocol.md").read_text(encoding="utf-8")
    out: list[tuple[str, object, bool]] = []
    for block in re.findall(r"```json\n(.*?)```", text, re.S):
        obj = json.loads(block)
        out.append((_kind_of(obj), obj, True))
    # A payload is one quoted string, in which §5 splices shell variables: '{"ts":"'$T'"}'.
    for m in re.finditer(r"-t (\S+)\s*\\?\s*-m '((?:[^']|'\$\w+')*)'", text, re.S):
        # §5 builds payloads with shell variables: '"'$T'"' is a time, '"'$V'"' the vessel id.
        topic = m.group(1)
        payload = re.sub(
            r"'\$(\w+)'",
            lambda v: "NA52445" if v.group(1) == "V" else "2026-11-28T04:00:00Z",
            m.group(2),
        )
        if "/up/" in topic:
            valid = "breaks the rules" not in text[max(0, m.start() - 150) : m.start()]
            out.append((topic.rsplit("/", 1)[1], json.loads(payload), valid))
    return out


def _kind_of(obj: object) -> str:
    probe = obj[0] if isinstance(obj, list) else obj
    assert isinstance(probe, dict)
    for key, kind in (
        ("report_id", "port"),
        ("distress_id", "distress"),
        ("request_id", "request"),
        ("kind", "down"),
        ("lat", "position"),
        ("state", "ack"),
        ("terminal", "hello"),
    ):
        if key in probe:
            return kind
    raise AssertionError(f"cannot tell the kind of example {obj}")


@pytest.mark.parametrize("kind,payload,valid", _json_examples())
def test_every_example_in_the_protocol_document_is_valid(
    kind: str, payload: object, valid: bool
) -> None:
    schema = json.loads((DOCS / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))
    if kind == "ack" and payload.get("msg_id") == "<msg_id>":  # type: ignore[union-attr]
        payload = dict(payload, msg_id="m-1")  # type: ignore[call-overload]
    checker = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = list(checker.iter_errors(payload))
    assert (errors == []) is valid, errors


MOSQUITTO_PUB = shutil.which("mosquitto_pub")
WORKED_SETTINGS = ("MQTT", "API", "ADMIN_PASSWORD")


def worked_session() -> str:
    """The `sh` blocks of §5, in order, as one script."""
    text = (DOCS / "protocol.md").read_text(encoding="utf-8")
    section = text[text.index("## 5. A worked session") : text.index("## 6. Gateways")]
    return "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))


def with_settings(script: str, values: dict[str, str]) -> str:
    """The script with its three setting lines given these values (nothing else changes)."""
    for name in WORKED_SETTINGS:
        script, n = re.subn(rf"^{name}=.*$", f"{name}={shlex.quote(values[name])}", script,
                            count=1, flags=re.M)  # fmt: skip
        assert n == 1, f"§5 has no setting line {name}=..."
    return script


async def test_the_worked_session_runs_as_printed(registered: Settings) -> None:
    """Every command of §5 exactly as printed, the vessel's own client id for both programs, a
    token for the API: the hub stores what it says, refuses the bad fix and answers it."""
    assert MOSQUITTO_PUB, "mosquitto-clients must be installed (scripts/bootstrap.sh does it)"
    assert shutil.which("curl"), "curl must be installed"
    db = Database(registered.store.url)
    extra = VesselSpec("NA52445", "粤南澳渔52445", "412052445", None, "G01", "G01-F1", "云澳渔港",
                       "trawl", 6, ("mqtt",))  # fmt: skip
    await import_fleet(db, Fleet(small_fleet().grids, small_fleet().coordinators, [extra]))
    await db.dispose()
    # The protocol's default prefix, as a vendor would use it; a private hub session id; the
    # hub's clock is the real one's (the session stamps its messages with `date -u`).
    settings = registered.model_copy(
        update={
            "admin_password": "worked-session-1",
            "mqtt": registered.mqtt.model_copy(
                update={"prefix": "sealink/v1", "client_id": f"hub-{uuid.uuid4().hex[:6]}"}
            ),
        }
    )
    hub = Hub(settings, clock=FakeClock(datetime.now(UTC).replace(microsecond=0)))
    port = settings.mqtt.url.rsplit(":", 1)[1]
    script = with_settings(
        worked_session(),
        {
            "MQTT": f"-h 127.0.0.1 -p {port}",
            "API": f"http://127.0.0.1:{settings.api.port}",
            "ADMIN_PASSWORD": "worked-session-1",
        },
    )
    async with hub.running():
        proc = await asyncio.create_subprocess_exec(
            "bash", "-c", "set -euo pipefail\n" + script,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        out_b, err_b = await asyncio.wait_for(proc.communicate(), 60)
        out, err = out_b.decode(), err_b.decode()
        assert proc.returncode == 0, f"the worked session failed: {err}\n{out}"
        await hub.drained()
        vessel = await queries.get_vessel(hub.db, "NA52445")
    # curl prints no line end: the vessel's JSON runs into the next output.
    shown, _end = json.JSONDecoder().raw_decode(out, out.index('{"id": "NA52445"'))
    assert shown["contact"]["state"] == "ok", shown
    assert 'sealink_uplink_rejected_total{reason="invalid_payload"} 1.0' in out
    lines = out.splitlines()
    topic, _, notice_text = lines[-1].partition(" ")
    notice = json.loads(notice_text)
    assert topic == "sealink/v1/vessels/NA52445/down"
    assert notice["kind"] == "refused" and notice["reason"] == "invalid_payload"
    assert vessel is not None
    assert vessel["contact"]["state"] == "ok" and vessel["contact"]["link_status"] == "online"
    assert vessel["last_position"]["lat"] == 23.3
    track = await _track(settings, "NA52445")
    assert [f["backfill"] for f in track] == [True, True, False]
    assert await _requests(settings) == ["NA52445-r-1"]
    # The port report is stored; the session printed the day's list (the report may still have
    # been on its way when curl asked: a typing human is slower than bash).
    assert await _port_events(settings) == [("out", "云澳渔港", 6, "terminal", "NA52445-p-1")]
    assert '{"date": ' in out and '"grids": [' in out


async def _track(settings: Settings, vid: str) -> list[dict[str, object]]:
    db = Database(settings.store.url)
    try:
        return await queries.track(db, vid)
    finally:
        await db.dispose()


async def _port_events(settings: Settings) -> list[tuple[object, ...]]:
    db = Database(settings.store.url)
    t = PortEvent.__table__  # type: ignore[attr-defined]
    try:
        async with db.engine.connect() as conn:
            rows = await conn.execute(
                select(t.c.kind, t.c.port, t.c.persons, t.c.source, t.c.report_id)
            )
            return [tuple(r) for r in rows.all()]
    finally:
        await db.dispose()


async def _requests(settings: Settings) -> list[str]:
    db = Database(settings.store.url)
    try:
        async with db.engine.connect() as conn:
            rows = await conn.execute(select(FisherRequest.request_id))  # type: ignore[call-overload]
            return [r[0] for r in rows.all()]
    finally:
        await db.dispose()
