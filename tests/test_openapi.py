"""The OpenAPI document lists exactly the routes the server answers, with valid body schemas,
a response schema for each status a route can give, and the bearer scheme where it applies."""

from __future__ import annotations

import html
import re
from pathlib import Path

import aiohttp
import jsonschema

from seaLink.api.app import build_app
from seaLink.api.event_docs import EVENTS
from seaLink.api.openapi import PUBLIC, ROUTES, document
from seaLink.api.route_docs import DOCS
from seaLink.runtime import Hub
from seaLink.settings import Settings


async def test_the_document_matches_the_route_table(registered: Settings) -> None:
    hub = Hub(registered)
    app = build_app(hub.api)
    served = {
        (r.method, r.resource.canonical)  # type: ignore[union-attr]
        for r in app.router.routes()
        if r.method != "HEAD"
        and r.resource is not None
        and not r.resource.canonical.startswith("/console")
        and r.resource.canonical != "/"
    }
    assert served == set(ROUTES), (
        f"missing from the document: {served - set(ROUTES)}; extra: {set(ROUTES) - served}"
    )
    doc = document()
    assert doc["openapi"] == "3.1.0"
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema), name
    for path, ops in doc["paths"].items():
        for op in ops.values():
            ref = (
                op.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
                .get("$ref")
            )
            if ref:
                assert ref.rsplit("/", 1)[1] in doc["components"]["schemas"], (path, ref)


async def test_the_document_is_served_without_a_token(registered: Settings) -> None:
    hub = Hub(registered)
    async with hub.running(), aiohttp.ClientSession() as s:
        r = await s.get(f"http://127.0.0.1:{registered.api.port}/api/v1/openapi.json")
        assert r.status == 200
        body = await r.json()
    assert "/api/v1/broadcasts" in body["paths"]
    assert body["paths"]["/api/v1/broadcasts"]["post"]["security"] == [{"bearer": []}]


def test_every_operation_documents_its_answers_and_its_security() -> None:
    doc = document()
    assert set(DOCS) <= set(ROUTES), f"documented but not routed: {set(DOCS) - set(ROUTES)}"
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"],
    }
    schemas = doc["components"]["schemas"]

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if "$ref" in node else []
            return own + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for (method, path), (_summary, body, status) in ROUTES.items():
        op = doc["paths"][path][method.lower()]
        codes = set(op["responses"])
        assert str(status) in codes, (method, path)
        if path in PUBLIC:
            assert op["security"] == [], path
        else:
            assert op["security"] == [{"bearer": []}], path
            assert "401" in codes, (method, path)
            if method != "GET":
                assert "403" in codes, (method, path)
        if body is not None:
            assert "400" in codes and "requestBody" in op, (method, path)
        for code, answer in op["responses"].items():
            if code.startswith(("4", "5")):
                [(media, content)] = answer["content"].items()
                assert media == "application/json" and "$ref" in content["schema"], (path, code)
        if (method, path) in DOCS and DOCS[(method, path)].ok is not None:
            content = op["responses"][str(status)]["content"]
            assert any("$ref" in c["schema"] for c in content.values()), (method, path)


def test_two_request_models_with_one_name_keep_their_own_schemas() -> None:
    doc = document()
    alert = doc["paths"]["/api/v1/alerts/{aid}/resolve"]["post"]["requestBody"]
    request = doc["paths"]["/api/v1/requests/{rid}/resolve"]["post"]["requestBody"]
    a_ref = alert["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    r_ref = request["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert a_ref != r_ref
    schemas = doc["components"]["schemas"]
    assert "outcome" in schemas[a_ref]["required"]
    assert "outcome" not in schemas[r_ref]["properties"]


async def test_the_document_is_a_page_to_read_served_by_the_hub_itself(
    registered: Settings,
) -> None:
    """Issue 15: a readable page at /api/v1/docs, without a token and without the internet (no
    script, no style sheet, nothing from another origin), listing every operation and every
    message of the WebSocket event stream."""
    hub = Hub(registered)
    async with hub.running(), aiohttp.ClientSession() as s:
        r = await s.get(f"http://127.0.0.1:{registered.api.port}/api/v1/docs")
        assert r.status == 200 and r.content_type == "text/html"
        page = await r.text()
    for method, path in ROUTES:
        assert f"<code>{method} {html.escape(path)}</code>" in page, (method, path)
    for name in EVENTS:
        assert f'id="event-{name}"' in page, name
    assert "<script" not in page and "<link" not in page and "style=" not in page
    assert re.findall(r'(?:href|src)="(?!/|#)', page) == []  # nothing outside the hub


def test_every_event_the_hub_publishes_is_documented() -> None:
    source = Path(__file__).parent.parent / "seaLink"
    published = set()
    for path in source.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        published |= set(re.findall(r'events\.publish\(\s*"(\w+)"', text))
        if path.name == "events_ws.py":
            published |= set(re.findall(r'"type": "(\w+)"', text))
    assert published and published == set(EVENTS), published ^ set(EVENTS)
    assert document()["x-websocket-events"].keys() == EVENTS.keys()
