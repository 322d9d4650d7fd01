"""The OpenAPI document as a page people can read, served by the hub itself at `/api/v1/docs`:
plain HTML built from the same document as `/api/v1/openapi.json`, with nothing fetched from
the internet (a hub ashore may have none) and no script or inline style (the console's CSP)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")


def render(doc: dict[str, Any]) -> str:
    info = doc["info"]
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(info['title'])} {escape(info['version'])}</title></head><body>",
        f"<h1>{escape(info['title'])} <small>{escape(info['version'])}</small></h1>",
        f"<p>{escape(info.get('description', ''))}</p>",
        '<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> '
        "(OpenAPI 3.1). Log in with <code>POST /api/v1/auth/login</code> and send the token as "
        "<code>Authorization: Bearer &lt;token&gt;</code>.</p>",
        "<h2>Contents</h2><ul>",
    ]
    ops = [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in _METHODS
    ]
    for path, method, op in ops:
        out.append(
            f'<li><a href="#{escape(op["operationId"])}"><code>{method.upper()} '
            f"{escape(path)}</code></a> {escape(op.get('summary', ''))}</li>"
        )
    out.append('<li><a href="#websocket-events">WebSocket events</a></li></ul>')
    for path, method, op in ops:
        out += _operation(path, method, op)
    out += _events(doc.get("x-websocket-events", {}))
    out.append("<h2>Schemas</h2>")
    for name, schema in doc["components"]["schemas"].items():
        out.append(f'<details id="schema-{escape(name)}"><summary>{escape(name)}</summary>')
        out.append(f"<pre>{escape(json.dumps(schema, indent=2, ensure_ascii=False))}</pre>")
        out.append("</details>")
    out.append("</body></html>")
    return "\n".join(out)


def _operation(path: str, method: str, op: dict[str, Any]) -> list[str]:
    out = [
        f'<h3 id="{escape(op["operationId"])}"><code>{method.upper()} {escape(path)}</code></h3>',
        f"<p>{escape(op.get('summary', ''))}</p>",
        "<p>" + ("Public (no token)." if op.get("security") == [] else "Bearer token.") + "</p>",
    ]
    params = op.get("parameters", [])
    if params:
        out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>meaning</th></tr>")
        for p in params:
            out.append(
                f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
                f"<td>{escape(json.dumps(p.get('schema', {})))}</td>"
                f"<td>{escape(p.get('description', ''))}</td></tr>"
            )
        out.append("</table>")
    body = op.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        out.append(f"<p>Body ({escape(media)}): {_schema_link(content.get('schema', {}))}</p>")
    out.append("<table><tr><th>status</th><th>meaning</th><th>body</th></tr>")
    for code, response in op["responses"].items():
        bodies = ", ".join(
            f"{escape(media)} {_schema_link(c.get('schema', {}))}"
            for media, c in response.get("content", {}).items()
        )
        out.append(
            f"<tr><td>{escape(code)}</td><td>{escape(response.get('description', ''))}</td>"
            f"<td>{bodies}</td></tr>"
        )
    out.append("</table>")
    return out


def _schema_link(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    return f"<code>{escape(json.dumps(schema))}</code>"


def _events(events: dict[str, Any]) -> list[str]:
    out = [
        '<h2 id="websocket-events">WebSocket events</h2>',
        "<p>Connect to <code>/api/v1/events?token=&lt;token&gt;</code> (add "
        "<code>&amp;last_event_id=N</code> to resume). Every message is "
        '<code>{"id", "type", "data"}</code>; durable events carry an increasing '
        "<code>id</code>. The socket is closed with code 4401 when the token expires.</p>",
    ]
    for name, event in events.items():
        out.append(f'<h3 id="event-{escape(name)}"><code>{escape(name)}</code></h3>')
        out.append(f"<p>{escape(event['description'])}</p>")
        if event["data"]:
            out.append("<table><tr><th>data field</th><th>meaning</th></tr>")
            for field, meaning in event["data"].items():
                out.append(
                    f"<tr><td><code>{escape(field)}</code></td><td>{escape(meaning)}</td></tr>"
                )
            out.append("</table>")
    return out
