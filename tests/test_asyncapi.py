"""docs/asyncapi.yaml (AsyncAPI 3.0) describes the vessel protocol the hub speaks: its channels are
the hub's topics, its payloads are the JSON Schemas in docs/schemas (every one of them), every
reference in it resolves, and every example in it is valid against its schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from seaLink.wire.topics import Topics, UplinkKind

DOCS = Path(__file__).parent.parent / "docs"


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((DOCS / "asyncapi.yaml").read_text(encoding="utf-8"))
    return doc


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def _schema(ref: str) -> dict[str, Any]:
    path = (DOCS / ref).resolve()
    assert path.parent == (DOCS / "schemas").resolve() and path.exists(), ref
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def test_the_document_is_asyncapi_3_with_its_required_parts() -> None:
    doc = _doc()
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    for name, server in doc["servers"].items():
        assert {"host", "protocol"} <= server.keys(), name
        assert server["protocol"] in ("mqtt", "mqtts"), name
    for name, op in doc["operations"].items():
        assert op["action"] in ("send", "receive"), name
        channel = _resolve(doc, op["channel"]["$ref"])
        for message in op["messages"]:
            assert _resolve(doc, message["$ref"]) in channel["messages"].values(), name


def test_the_channels_are_the_hubs_topics() -> None:
    doc, topics = _doc(), Topics()  # the protocol's default prefix
    want = {k.value: topics.up("{vid}", k) for k in UplinkKind if k is not UplinkKind.STATUS}
    want |= {"status": topics.status("{vid}"), "down": topics.down("{vid}")}
    got = {name: ch["address"] for name, ch in doc["channels"].items()}
    assert got == want
    for name, channel in doc["channels"].items():
        assert set(channel["parameters"]) == {"vid"}, name
    actions = {op["channel"]["$ref"].rsplit("/", 1)[1]: op["action"]
               for op in doc["operations"].values()}  # fmt: skip
    assert actions == {name: "receive" if name == "down" else "send" for name in want}


def test_every_schema_is_used_and_every_example_is_valid() -> None:
    doc = _doc()
    used = set()
    for name, message in doc["components"]["messages"].items():
        ref = message["payload"]["schema"]["$ref"]
        schema = _schema(ref)
        used.add(Path(ref).name)
        checker = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        assert message["examples"], name
        for example in message["examples"]:
            errors = list(checker.iter_errors(example["payload"]))
            assert errors == [], (name, errors)
    assert used == {p.name for p in (DOCS / "schemas").glob("*.schema.json")}
