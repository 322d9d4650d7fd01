"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json.

Request bodies come from the same pydantic models that validate them, response bodies from the
models the handlers answer through (`responses.py`, described per route in `route_docs.py`); a
test checks that every route the server answers is in the document and nothing else is, and a
property-based run checks that every answer matches it.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from seaLink import __version__
from seaLink.api.alerts_api import (
    AckIn,
    BulkAckIn,
    CommentIn,
    DrillIn,
    DutyIn,
    ResolveIn,
    SilenceIn,
    SitrepIn,
    TaskIn,
)
from seaLink.api.alerts_api import AssignIn as AlertAssignIn
from seaLink.api.event_docs import openapi_events
from seaLink.api.models import AshoreIn, BroadcastIn
from seaLink.api.requests_api import AssignIn, ReplyIn
from seaLink.api.requests_api import ResolveIn as RequestResolveIn
from seaLink.api.responses import ErrorOut
from seaLink.api.route_docs import DOCS, INT_PARAMS, JSON, RouteDoc
from seaLink.api.trainings_api import TrainingIn
from seaLink.api.users_api import UserChangeIn, UserIn
from seaLink.api.zones_api import PermitIn, ZoneIn


class LoginIn(BaseModel):
    username: str
    password: str


# (method, path) -> (summary, request body model, success status)
ROUTES: dict[tuple[str, str], tuple[str, type[BaseModel] | None, int]] = {
    ("GET", "/healthz"): ("Liveness and broker connection", None, 200),
    ("GET", "/readyz"): (
        "Readiness: store, broker, ingest, start; names the part that is down",
        None,
        200,
    ),
    ("GET", "/metrics"): ("Prometheus metrics", None, 200),
    ("GET", "/api/v1/openapi.json"): ("This document", None, 200),
    ("GET", "/api/v1/docs"): ("This document as a page to read (HTML)", None, 200),
    ("GET", "/a/{token}"): (
        "Open an alert from a signed link in a message: 302 to the console (login there)",
        None,
        302,
    ),
    ("GET", "/api/v1/texts"): (
        "The hub's text catalogue (phrases and word tables, zh-CN and en)",
        None,
        200,
    ),
    ("POST", "/api/v1/auth/login"): ("Log in; returns a bearer token", LoginIn, 200),
    ("POST", "/api/v1/auth/logout"): ("Log out: the token of this request ends", None, 200),
    ("GET", "/api/v1/auth/me"): ("Who the token belongs to", None, 200),
    ("GET", "/api/v1/events"): (
        "Live events (WebSocket; ?token=&last_event_id=); closed with 4401 token_expired",
        None,
        101,
    ),
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
    ("GET", "/api/v1/alerts/{aid}/assignees"): (
        "Who the alert may be given to (its grid's coordinators, the admins)",
        None,
        200,
    ),
    ("POST", "/api/v1/alerts/{aid}/ack"): (
        "Acknowledge an alert (stops its escalation)",
        AckIn,
        200,
    ),
    ("POST", "/api/v1/alerts/{aid}/resolve"): ("Resolve an alert with an outcome", ResolveIn, 200),
    ("POST", "/api/v1/acknowledgements"): (
        "Acknowledge several alerts at once (e.g. a filtered list)",
        BulkAckIn,
        200,
    ),
    ("POST", "/api/v1/alerts/{aid}/silence"): (
        "Silence an alert's sound for a while (it stays unacknowledged)",
        SilenceIn,
        200,
    ),
    ("POST", "/api/v1/alerts/{aid}/assign"): (
        "Give an alert to a coordinator of its grid",
        AlertAssignIn,
        200,
    ),
    ("POST", "/api/v1/alerts/{aid}/comment"): ("Add a comment to an alert's trail", CommentIn, 200),
    ("POST", "/api/v1/drills"): (
        "Ask a boat's crew to run a drill (演练): marked EXERCISE end to end, never counted",
        DrillIn,
        201,
    ),
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
    ("POST", "/api/v1/broadcasts/{bid}/recall/{vid}/ashore"): (
        "Persons ashore, as a coordinator checked",
        AshoreIn,
        200,
    ),
    ("POST", "/api/v1/typhoons"): ("Import a typhoon forecast (GeoJSON, or text/plain)", None, 201),
    ("GET", "/api/v1/typhoons"): ("The newest forecast of each typhoon", None, 200),
    ("GET", "/api/v1/typhoons/{fid}"): (
        "A forecast: danger area, boats in danger, proposed recall",
        None,
        200,
    ),
    ("GET", "/api/v1/ports/log"): (
        "Port entries and exits of a day (?date=&grid=&port=&format=csv)",
        None,
        200,
    ),
    ("GET", "/api/v1/broadcasts/{bid}/recall"): (
        "The typhoon recall board (?at=&format=csv|xlsx)",
        None,
        200,
    ),
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
        "Change a password, the role or the grids; disable or enable (admin; a change of role"
        " or grids ends the account's sessions)",
        UserChangeIn,
        200,
    ),
    ("GET", "/api/v1/audit"): ("The audit log of every action (admin)", None, 200),
    ("GET", "/api/v1/stats/contact"): (
        "Vessels per contact state over time, per grid (?hours=&step_min=&grid=)",
        None,
        200,
    ),
    ("GET", "/api/v1/stats/response"): (
        "Alert response times: per alert and per day (?days=&grid=)",
        None,
        200,
    ),
}
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/auth/login",
    "/a/{token}",
}

_DEFAULT_ERRORS = {
    400: "the body breaks the schema (the message names the field), or the path, query or body"
    " holds what no field may (bad_text: NUL, a control character, an unpaired surrogate;"
    " too_deep: JSON nested deeper than 64 levels; bad_query: a number or time out of range)",
    401: "no token, or an unknown or expired one",
    403: "the role or the grid scope does not allow it",
    413: "the body is larger than 1 MiB",
}


class _Schemas:
    """components/schemas, filled from pydantic models as the operations name them."""

    def __init__(self) -> None:
        self.all: dict[str, Any] = {}
        self._models: dict[str, type[BaseModel]] = {}

    def ref(self, model: type[BaseModel], mode: str) -> dict[str, str]:
        name = model.__name__
        if self._models.setdefault(name, model) is not model:
            # Two modules' models share a name (alerts' and requests' ResolveIn): qualify it.
            name = f"{model.__module__.rsplit('.', 1)[-1]}.{name}"
            self._models[name] = model
        schema = model.model_json_schema(
            ref_template="#/components/schemas/{model}",
            mode=mode,  # type: ignore[arg-type]
        )
        for sub_name, sub in schema.pop("$defs", {}).items():
            self.all.setdefault(sub_name, sub)
        self.all[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas = _Schemas()
    error_ref = schemas.ref(ErrorOut, "serialization")
    for (method, path), (summary, body, status) in ROUTES.items():
        doc = DOCS.get((method, path), RouteDoc())
        op: dict[str, Any] = {
            "summary": summary,
            "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{method}_{path}").strip("_").lower(),
            "responses": {str(status): _success(doc, schemas)},
        }
        params = [
            {
                "name": p,
                "in": "path",
                "required": True,
                "schema": {"type": "integer"} if p in INT_PARAMS else {"type": "string"},
            }
            for p in re.findall(r"{(\w+)}", path)
        ]
        params += [
            {"name": q.name, "in": "query", "required": False, "schema": q.schema}
            | ({"description": q.description} if q.description else {})
            for q in doc.query
        ]
        if params:
            op["parameters"] = params
        errors: dict[int, str] = {400: _DEFAULT_ERRORS[400]}
        if body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {JSON: {"schema": schemas.ref(body, "validation")}},
            }
            errors[413] = _DEFAULT_ERRORS[413]
        if path in PUBLIC:
            op["security"] = []
        else:
            op["security"] = [{"bearer": []}]
            errors[401] = _DEFAULT_ERRORS[401]
            if method != "GET":
                errors[403] = _DEFAULT_ERRORS[403]
        errors |= doc.errors
        for code, description in sorted(errors.items()):
            model = doc.error_models.get(code) or ErrorOut
            ref = error_ref if model is ErrorOut else schemas.ref(model, "serialization")
            op["responses"][str(code)] = {
                "description": description,
                "content": {JSON: {"schema": ref}},
            }
        paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SeaLink API",
            "version": __version__,
            "description": "The shore hub's REST API v1. Times are UTC (ISO 8601), positions "
            "WGS-84. Every refusal is a JSON body {error, message}: `error` is a machine code, "
            "`message` a sentence for people.",
        },
        "paths": paths,
        # The live event stream's messages (GET /api/v1/events is a WebSocket: OpenAPI has no
        # words for its frames).
        "x-websocket-events": openapi_events(),
        "components": {
            "schemas": schemas.all,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "POST /api/v1/auth/login returns the token; it expires.",
                }
            },
        },
    }


def _success(doc: RouteDoc, schemas: _Schemas) -> dict[str, Any]:
    out: dict[str, Any] = {"description": "success"}
    content: dict[str, Any] = {}
    if doc.ok is not None:
        content[doc.media] = {"schema": schemas.ref(doc.ok, "serialization")}
    elif doc.media != JSON:
        content[doc.media] = {"schema": {"type": "string"}}
    for media, schema in doc.alternatives.items():
        content[media] = {"schema": schema}
    if content:
        out["content"] = content
    return out
