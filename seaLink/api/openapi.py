"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json.

Request bodies come from the same pydantic models that validate them; a test checks that every
route the server answers is in the document and nothing else is.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from seaLink import __version__
from seaLink.api.alerts_api import AckIn, DutyIn, ResolveIn, SitrepIn, TaskIn
from seaLink.api.models import BroadcastIn
from seaLink.api.requests_api import AssignIn, ReplyIn
from seaLink.api.requests_api import ResolveIn as RequestResolveIn
from seaLink.api.trainings_api import TrainingIn
from seaLink.api.users_api import UserChangeIn, UserIn
from seaLink.api.zones_api import PermitIn, ZoneIn


class LoginIn(BaseModel):
    username: str
    password: str


# (method, path) -> (summary, request body model, success status)
ROUTES: dict[tuple[str, str], tuple[str, type[BaseModel] | None, int]] = {
    ("GET", "/healthz"): ("Liveness and broker connection", None, 200),
    ("GET", "/metrics"): ("Prometheus metrics", None, 200),
    ("GET", "/api/v1/openapi.json"): ("This document", None, 200),
    ("POST", "/api/v1/auth/login"): ("Log in; returns a bearer token", LoginIn, 200),
    ("GET", "/api/v1/auth/me"): ("Who the token belongs to", None, 200),
    ("GET", "/api/v1/events"): ("Live events (WebSocket; ?token=&last_event_id=)", None, 101),
    ("GET", "/api/v1/vessels"): (
        "Vessels with contact state and last position (?grid=&contact=)",
        None,
        200,
    ),
    ("GET", "/api/v1/vessels/{vid}"): ("One vessel", None, 200),
    ("GET", "/api/v1/vessels/{vid}/track"): (
        "A vessel's track as GeoJSON (?since=&until=&limit=)",
        None,
        200,
    ),
    ("GET", "/api/v1/alerts"): ("Alerts (?state=open|all&grid=&vessel=)", None, 200),
    ("GET", "/api/v1/alerts/{aid}"): ("One alert with its trail and notifications", None, 200),
    ("POST", "/api/v1/alerts/{aid}/ack"): (
        "Acknowledge an alert (stops its escalation)",
        AckIn,
        200,
    ),
    ("POST", "/api/v1/alerts/{aid}/resolve"): ("Resolve an alert with an outcome", ResolveIn, 200),
    ("GET", "/api/v1/incidents/{iid}"): ("An incident with its log", None, 200),
    ("GET", "/api/v1/incidents/{iid}/nearest"): (
        "Boats ranked by time to the scene (?limit=)",
        None,
        200,
    ),
    ("POST", "/api/v1/incidents/{iid}/task"): ("Task boats with a rescue_task", TaskIn, 201),
    ("POST", "/api/v1/incidents/{iid}/sitrep"): ("Issue the next numbered SITREP", SitrepIn, 201),
    ("GET", "/api/v1/incidents/{iid}/cap"): ("The incident as a CAP 1.2 alert (XML)", None, 200),
    ("GET", "/api/v1/duty"): ("Duty roster", None, 200),
    ("POST", "/api/v1/duty"): ("Add a duty shift", DutyIn, 201),
    ("GET", "/api/v1/grids"): ("Grids with vessel counts", None, 200),
    ("GET", "/api/v1/broadcasts"): ("Broadcasts", None, 200),
    ("POST", "/api/v1/broadcasts"): ("Send a tracked broadcast", BroadcastIn, 201),
    ("GET", "/api/v1/broadcasts/{bid}"): (
        "A broadcast with its roll-up (?deliveries=1)",
        None,
        200,
    ),
    ("POST", "/api/v1/broadcasts/{bid}/resend"): ("Send again what is not delivered", None, 200),
    ("GET", "/api/v1/broadcasts/{bid}/recall"): ("The typhoon recall board", None, 200),
    ("GET", "/api/v1/zones"): ("Zones in force (GeoJSON)", None, 200),
    ("POST", "/api/v1/zones"): ("Add a zone (admin)", ZoneIn, 201),
    ("DELETE", "/api/v1/zones/{zid}"): ("Retire a zone (admin)", None, 200),
    ("POST", "/api/v1/zones/{zid}/permits"): ("Exempt a vessel from a zone (admin)", PermitIn, 201),
    ("GET", "/api/v1/requests"): ("Fishermen's requests (?state=)", None, 200),
    ("GET", "/api/v1/requests/{rid}"): ("One request with its log", None, 200),
    ("POST", "/api/v1/requests/{rid}/reply"): ("Reply (a tracked down message)", ReplyIn, 201),
    ("POST", "/api/v1/requests/{rid}/assign"): ("Assign to a coordinator", AssignIn, 200),
    ("POST", "/api/v1/requests/{rid}/resolve"): ("Resolve", RequestResolveIn, 200),
    ("GET", "/api/v1/trainings"): ("Training sessions", None, 200),
    ("POST", "/api/v1/trainings"): (
        "Create a training (the study pack goes out at once)",
        TrainingIn,
        201,
    ),
    ("GET", "/api/v1/trainings/{tid}"): ("One training with its runs", None, 200),
    ("GET", "/api/v1/trainings/{tid}/attendance"): ("Attendance (?run=&format=csv)", None, 200),
    ("GET", "/api/v1/users"): ("Accounts (admin)", None, 200),
    ("POST", "/api/v1/users"): ("Create an account (admin)", UserIn, 201),
    ("PATCH", "/api/v1/users/{username}"): (
        "Change a password, disable or enable (admin)",
        UserChangeIn,
        200,
    ),
    ("GET", "/api/v1/audit"): ("The audit log of every action (admin)", None, 200),
}
PUBLIC = {"/healthz", "/metrics", "/api/v1/openapi.json", "/api/v1/auth/login"}

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": _ERROR}
    for (method, path), (summary, body, status) in ROUTES.items():
        op: dict[str, Any] = {
            "summary": summary,
            "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{method}_{path}").strip("_").lower(),
            "responses": {str(status): {"description": "success"}},
        }
        params = re.findall(r"{(\w+)}", path)
        if params:
            op["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                for p in params
            ]
        if body is not None:
            schema = body.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[body.__name__] = schema
            op["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{body.__name__}"}
                    }
                },
            }
            op["responses"]["400"] = _error_response(
                "the body breaks the schema; the message names the field"
            )
        if path not in PUBLIC:
            op["security"] = [{"bearer": []}]
            op["responses"]["401"] = _error_response("no token, or an expired one")
            if method != "GET":
                op["responses"]["403"] = _error_response(
                    "the role or the grid scope does not allow it"
                )
        if params:
            op["responses"]["404"] = _error_response("not found in your grids")
        paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SeaLink API",
            "version": __version__,
            "description": "The shore hub's REST API v1. Times are UTC (ISO 8601), positions WGS-84.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}  # fmt: skip
