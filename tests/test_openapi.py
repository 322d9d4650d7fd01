"""The OpenAPI document lists exactly the routes the server answers, with valid body schemas."""

from __future__ import annotations

import aiohttp
import jsonschema

from seaLink.api.app import build_app
from seaLink.api.openapi import ROUTES, document
from seaLink.runtime import Hub
from seaLink.settings import Settings


async def test_the_document_matches_the_route_table(registered: Settings) -> None:
    hub = Hub(registered)
    app = build_app(hub)
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
