"""A vessel played with the plain mosquitto_pub / mosquitto_sub programs, using only what
docs/protocol.md says; and every JSON example in that document checked against its schema."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store import queries
from seaLink.wire.schemas_export import rendered
from tests.test_ingest import wait_for

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
    for m in re.finditer(r"-t (\S+)\s*\\?\s*-m '(.*?)'", text, re.S):
        topic, payload = m.group(1), m.group(2)
        if "/up/" in topic:
            valid = "breaks the rules" not in text[max(0, m.start() - 150) : m.start()]
            out.append((topic.rsplit("/", 1)[1], json.loads(payload), valid))
    return out


def _kind_of(obj: object) -> str:
    probe = obj[0] if isinstance(obj, list) else obj
    assert isinstance(probe, dict)
    for key, kind in (
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


async def _sh(*args: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _out, err = await proc.communicate()
    assert proc.returncode == 0, f"{args[0]} failed: {err.decode()}"


async def test_a_vessel_played_with_mosquitto_pub_and_sub(registered: Settings) -> None:
    assert MOSQUITTO_PUB, "mosquitto-clients must be installed (scripts/bootstrap.sh does it)"
    # The protocol's default prefix, as a vendor would use it; a private hub session id.
    settings = registered.model_copy(
        update={
            "mqtt": registered.mqtt.model_copy(
                update={"prefix": "sealink/v1", "client_id": f"hub-{uuid.uuid4().hex[:6]}"}
            )
        }
    )
    clock = FakeClock()
    clock.set(clock.now().replace(year=2026, month=11, day=28, hour=4, minute=5))
    hub = Hub(settings, clock=clock)
    port = settings.mqtt.url.rsplit(":", 1)[1]
    h = ["-h", "127.0.0.1", "-p", port, "-q", "1"]
    async with hub.running():
        sub = await asyncio.create_subprocess_exec(
            "mosquitto_sub", *h, "-V", "mqttv5", "-i", "V1-rx", "-c", "-x", "604800",
            "-t", "sealink/v1/vessels/V1/down", "-v", "-W", "30",
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            await _sh(
                "mosquitto_pub",
                *h,
                "-i",
                "V1",
                "-r",
                "-t",
                "sealink/v1/vessels/V1/status",
                "-m",
                "online",
            )
            await _sh("mosquitto_pub", *h, "-i", "V1", "-t", "sealink/v1/vessels/V1/up/hello",
                      "-m", '{"ts":"2026-11-28T04:00:00Z","terminal":"shell/mosquitto_pub/1"}')  # fmt: skip
            await _sh("mosquitto_pub", *h, "-i", "V1", "-t", "sealink/v1/vessels/V1/up/position",
                      "-m", '{"ts":"2026-11-28T04:00:00Z","lat":23.2871,"lon":117.2146,"sog":3.2,"cog":218,"state":"fishing"}')  # fmt: skip
            await _sh("mosquitto_pub", *h, "-i", "V1", "-t", "sealink/v1/vessels/V1/up/position", "-m",
                      '[{"ts":"2026-11-28T02:00:00Z","lat":23.10,"lon":117.40,"backfill":true},\n'
                      ' {"ts":"2026-11-28T02:10:00Z","lat":23.11,"lon":117.39,"backfill":true}]')  # fmt: skip
            await _sh("mosquitto_pub", *h, "-i", "V1", "-t", "sealink/v1/vessels/V1/up/position",
                      "-m", '{"ts":"2026-11-28T04:00:00Z","lat":"23.2"}')  # fmt: skip
            await wait_for(lambda: _stored(hub, 3))
            await hub.drained()
        finally:
            sub.terminate()
            await sub.wait()
        vessel = await queries.get_vessel(hub.db, "V1")
        assert vessel is not None
        assert vessel["contact"]["state"] == "ok"
        assert vessel["contact"]["link_status"] == "online"
        assert vessel["last_position"]["lat"] == 23.2871
        track = await queries.track(hub.db, "V1")
        assert [f["backfill"] for f in track] == [True, True, False]
        assert await queries.dead_letter_counts(hub.db) == {"invalid_payload": 1}
        clock.advance(timedelta(minutes=1))


async def _stored(hub: Hub, n: int) -> bool:
    return await queries.count_positions(hub.db, "V1") >= n
