"""What each route of API v1 answers: the success body's model and media type, the refusals it
can give besides the ones every route shares, and its query parameters.

The shared refusals are added by the document builder: 401 on every route behind a token, 403
on every write (a viewer may not change anything) and 400 on every route with a request body.
A route missing here is documented with its success status only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seaLink.api import responses as r

JSON = "application/json"
GEOJSON = "application/geo+json"


@dataclass(frozen=True)
class Query:
    name: str
    schema: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class RouteDoc:
    ok: type[r.Out] | None = None
    media: str = JSON
    # Other bodies of the success status: media type -> JSON schema (e.g. a CSV export).
    alternatives: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    # Refusals whose body is not the usual error body: status -> model.
    error_models: dict[int, type[r.Out]] = field(default_factory=dict)
    query: tuple[Query, ...] = ()


_INT = {"type": "integer"}
_STR = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_GRID = Query("grid", _STR, "only this grid (it must be one of yours: else 403)")
_NOT_FOUND = "not found in your grids (another grid's objects are not found either)"
_SCOPE = "the grid asked for is outside your grids"

DOCS: dict[tuple[str, str], RouteDoc] = {
    ("GET", "/healthz"): RouteDoc(
        r.HealthOut,
        errors={503: "the broker link is down (the same body, status degraded)"},
        error_models={503: r.HealthOut},
    ),
    ("GET", "/readyz"): RouteDoc(
        r.ReadyOut,
        errors={503: "a part is down: `down` names it (the same body, status not_ready)"},
        error_models={503: r.ReadyOut},
    ),
    ("GET", "/metrics"): RouteDoc(media="text/plain", alternatives={}),
    ("GET", "/api/v1/openapi.json"): RouteDoc(),
    ("GET", "/api/v1/docs"): RouteDoc(media="text/html"),
    ("GET", "/api/v1/texts"): RouteDoc(),
    ("GET", "/a/{token}"): RouteDoc(errors={410: "the link is forged or has expired"}),
    ("POST", "/api/v1/auth/login"): RouteDoc(
        r.LoginOut,
        errors={
            401: "wrong username or password (the same answer for a name that does not exist)",
            429: "too many attempts from this address (too_many_attempts), or too many failed"
            " logins for this name from this address (slow_down: wait retry_after_s seconds,"
            " also in Retry-After)",
        },
        error_models={429: r.LockedOut},
    ),
    ("POST", "/api/v1/auth/logout"): RouteDoc(r.OkOut),
    ("GET", "/api/v1/auth/me"): RouteDoc(r.MeOut),
    ("GET", "/api/v1/events"): RouteDoc(
        errors={400: "last_event_id is not an integer"},
        query=(
            Query("token", {"type": "string"}, "the bearer token (browsers cannot set headers)"),
            Query("last_event_id", _INT, "resume after this event"),
        ),
    ),
    ("GET", "/api/v1/vessels"): RouteDoc(
        r.VesselPageOut,
        errors={400: "a bad limit or cursor", 403: _SCOPE},
        query=(
            _GRID,
            Query("contact", _STR, "only vessels in this contact state"),
            Query("limit", _INT, "at most this many (1-5000); without it, every vessel"),
            Query("cursor", {"type": "string", "maxLength": 64}, "next_cursor of the page before"),
        ),
    ),
    ("GET", "/api/v1/vessels/{vid}"): RouteDoc(r.VesselOut, errors={404: _NOT_FOUND}),
    ("GET", "/api/v1/vessels/{vid}/track"): RouteDoc(
        r.FeatureCollectionOut,
        media=GEOJSON,
        errors={400: "a bad time or limit", 404: _NOT_FOUND},
        query=(
            Query("since", _TIME, "ISO 8601 with a UTC offset"),
            Query("until", _TIME, "ISO 8601 with a UTC offset"),
            Query("limit", _INT, "at most this many fixes, the newest"),
        ),
    ),
    ("GET", "/api/v1/alerts"): RouteDoc(
        r.AlertListOut,
        errors={400: "state is neither open nor all", 403: _SCOPE},
        query=(
            Query("state", {"type": "string", "enum": ["open", "all"]}),
            _GRID,
            Query("vessel", _STR, "only this vessel's alerts"),
        ),
    ),
    ("GET", "/api/v1/alerts/{aid}"): RouteDoc(r.AlertDetailOut, errors={404: _NOT_FOUND}),
    ("GET", "/api/v1/alerts/{aid}/assignees"): RouteDoc(r.AssigneesOut, errors={404: _NOT_FOUND}),
    ("POST", "/api/v1/alerts/{aid}/ack"): RouteDoc(
        r.AlertDetailOut, errors={404: _NOT_FOUND, 409: "the alert is not waiting for that"}
    ),
    ("POST", "/api/v1/alerts/{aid}/resolve"): RouteDoc(
        r.AlertDetailOut, errors={404: _NOT_FOUND, 409: "the alert is already resolved"}
    ),
    ("POST", "/api/v1/acknowledgements"): RouteDoc(
        r.BulkAckOut, errors={404: "one of the alerts is not in your grids (nothing was done)"}
    ),
    ("POST", "/api/v1/alerts/{aid}/silence"): RouteDoc(
        r.AlertDetailOut, errors={404: _NOT_FOUND, 409: "the alert is already resolved"}
    ),
    ("POST", "/api/v1/alerts/{aid}/assign"): RouteDoc(
        r.AlertDetailOut,
        errors={
            400: "that person cannot act on the alert's grid",
            404: _NOT_FOUND,
            409: "the alert is already resolved",
        },
    ),
    ("POST", "/api/v1/alerts/{aid}/comment"): RouteDoc(r.AlertDetailOut, errors={404: _NOT_FOUND}),
    ("POST", "/api/v1/drills"): RouteDoc(r.DrillOut, errors={404: "no such vessel in your grids"}),
    ("GET", "/api/v1/incidents/{iid}"): RouteDoc(r.IncidentOut, errors={404: _NOT_FOUND}),
    ("GET", "/api/v1/incidents/{iid}/nearest"): RouteDoc(
        r.NearestOut,
        errors={400: "limit is not an integer", 404: _NOT_FOUND, 409: "no position to rank by"},
        query=(Query("limit", _INT, "how many boats of each part, ready and apart (1-50)"),),
    ),
    ("POST", "/api/v1/incidents/{iid}/task"): RouteDoc(
        r.TaskedOut,
        errors={
            400: "the body breaks the schema, names an unknown vessel, or neither vessels nor top",
            403: "the role or scope does not allow it: another grid's boat that the incident's"
            " nearest list does not show",
            404: _NOT_FOUND,
            409: "the incident is closed or has no position, or no boat is ready for top N",
        },
    ),
    ("POST", "/api/v1/incidents/{iid}/sitrep"): RouteDoc(
        r.SitrepOut, errors={404: _NOT_FOUND, 409: "the incident is closed"}
    ),
    ("GET", "/api/v1/incidents/{iid}/cap"): RouteDoc(
        media="application/cap+xml", errors={404: _NOT_FOUND}
    ),
    ("GET", "/api/v1/duty"): RouteDoc(r.DutyListOut),
    ("POST", "/api/v1/duty"): RouteDoc(r.OkOut),
    ("GET", "/api/v1/grids"): RouteDoc(r.GridListOut),
    ("GET", "/api/v1/broadcasts"): RouteDoc(
        r.BroadcastListOut,
        errors={400: "rollup is neither 0 nor 1"},
        query=(Query("rollup", {"type": "string", "enum": ["0", "1"]}, "1: each with its counts"),),
    ),
    ("POST", "/api/v1/broadcasts"): RouteDoc(r.BroadcastDetailOut),
    ("GET", "/api/v1/broadcasts/{bid}"): RouteDoc(
        r.BroadcastDetailOut,
        errors={400: "deliveries is neither 0 nor 1", 404: _NOT_FOUND},
        query=(Query("deliveries", {"type": "string", "enum": ["0", "1"]}, "1: every delivery"),),
    ),
    ("POST", "/api/v1/broadcasts/{bid}/resend"): RouteDoc(r.RearmedOut, errors={404: _NOT_FOUND}),
    ("GET", "/api/v1/broadcasts/{bid}/recall"): RouteDoc(
        r.RecallBoardOut,
        alternatives={
            "text/csv": {"type": "string"},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "type": "string",
                "format": "binary",
            },
        },
        errors={400: "an unknown format, or at is not a time with its offset", 404: _NOT_FOUND},
        query=(
            Query("at", {"type": "string", "format": "date-time"}, "the board as it stood then"),
            Query("format", {"type": "string", "enum": ["json", "csv", "xlsx"]}),
            Query("lang", {"type": "string"}, "zh-CN (default) or en, for the export"),
        ),
    ),
    ("POST", "/api/v1/broadcasts/{bid}/recall/{vid}/ashore"): RouteDoc(
        r.AshoreOut,
        errors={404: "no such vessel in the recall in your grids", 400: "more than aboard"},
    ),
    ("GET", "/api/v1/ports/log"): RouteDoc(
        r.PortLogOut,
        alternatives={"text/csv": {"type": "string"}},
        errors={400: "date is not YYYY-MM-DD, or an unknown format", 403: "a grid not yours"},
        query=(
            Query("date", {"type": "string", "format": "date"}, "Beijing day (default today)"),
            Query("grid", {"type": "string"}),
            Query("port", {"type": "string"}),
            Query("format", {"type": "string", "enum": ["json", "csv"]}),
        ),
    ),
    ("POST", "/api/v1/typhoons"): RouteDoc(
        r.TyphoonOut,
        errors={400: "not a forecast (specific message)", 403: "admins only", 413: "over 256 KiB"},
    ),
    ("GET", "/api/v1/typhoons"): RouteDoc(r.TyphoonListOut),
    ("GET", "/api/v1/typhoons/{fid}"): RouteDoc(r.TyphoonOut, errors={404: _NOT_FOUND}),
    ("GET", "/api/v1/zones"): RouteDoc(r.FeatureCollectionOut, media=GEOJSON),
    ("POST", "/api/v1/zones"): RouteDoc(r.CreatedOut),
    ("DELETE", "/api/v1/zones/{zid}"): RouteDoc(r.RetiredOut, errors={404: "no such zone"}),
    ("POST", "/api/v1/zones/{zid}/permits"): RouteDoc(r.PermitOut, errors={404: "no such zone"}),
    ("GET", "/api/v1/requests"): RouteDoc(
        r.RequestListOut,
        errors={400: "an unknown state"},
        query=(Query("state", {"type": "string", "enum": ["open", "answered", "resolved"]}),),
    ),
    ("GET", "/api/v1/requests/{rid}"): RouteDoc(r.RequestDetailOut, errors={404: _NOT_FOUND}),
    ("POST", "/api/v1/requests/{rid}/reply"): RouteDoc(r.MsgIdOut, errors={404: _NOT_FOUND}),
    ("POST", "/api/v1/requests/{rid}/assign"): RouteDoc(r.AssignedOut, errors={404: _NOT_FOUND}),
    ("POST", "/api/v1/requests/{rid}/resolve"): RouteDoc(
        r.ResolvedOut, errors={404: _NOT_FOUND, 409: "already resolved"}
    ),
    ("GET", "/api/v1/trainings"): RouteDoc(r.TrainingListOut),
    ("POST", "/api/v1/trainings"): RouteDoc(r.TrainingOut),
    ("GET", "/api/v1/trainings/{tid}"): RouteDoc(r.TrainingOut, errors={404: _NOT_FOUND}),
    ("GET", "/api/v1/trainings/{tid}/attendance"): RouteDoc(
        r.AttendanceOut,
        alternatives={"text/csv": {"type": "string"}},
        errors={400: "run is not an integer, or an unknown format", 404: _NOT_FOUND},
        query=(
            Query("run", _INT, "one run (else the latest)"),
            Query("format", {"type": "string", "enum": ["json", "csv"]}),
        ),
    ),
    ("GET", "/api/v1/users"): RouteDoc(r.UserListOut, errors={403: "admins only"}),
    ("POST", "/api/v1/users"): RouteDoc(r.UsernameOut, errors={409: "the username is taken"}),
    ("PATCH", "/api/v1/users/{username}"): RouteDoc(
        r.UserOut,
        errors={
            400: "nothing to change, an unknown grid, or a coordinator left without a grid",
            403: "admins only",
            404: "no such user",
            409: "the last enabled admin would be demoted or disabled",
        },
    ),
    ("GET", "/api/v1/audit"): RouteDoc(r.AuditListOut, errors={403: "admins only"}),
    ("GET", "/api/v1/stats/contact"): RouteDoc(
        r.ContactStatsOut,
        errors={400: "a value out of range, or too many points", 403: _SCOPE},
        query=(
            Query("hours", {"type": "integer", "minimum": 1, "maximum": 72}),
            Query("step_min", {"type": "integer", "minimum": 5, "maximum": 240}),
            _GRID,
        ),
    ),
    ("GET", "/api/v1/stats/response"): RouteDoc(
        r.ResponseStatsOut,
        errors={400: "days out of range", 403: _SCOPE},
        query=(Query("days", {"type": "integer", "minimum": 1, "maximum": 90}), _GRID),
    ),
}

# Path parameters that are numbers in the server (anything else is simply not found).
INT_PARAMS = frozenset({"aid", "iid", "bid", "rid", "tid", "zid", "fid"})
