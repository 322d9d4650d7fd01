"""The messages of the live event stream (WebSocket `/api/v1/events`), documented for people and
for the OpenAPI document (`x-websocket-events`). Every frame is `{"id", "type", "data"}`; `id` is
null for the stream's own and for volatile messages. A test keeps this list equal to the event
types the hub publishes."""

from __future__ import annotations

from typing import Any

# type -> (what it says, its data fields -> meaning)
EVENTS: dict[str, tuple[str, dict[str, str]]] = {
    "hello": (
        "The first frame of every connection (id null).",
        {"last_event_id": "the newest durable event id now", "now": "the hub's clock (UTC)"},
    ),
    "resync": (
        "The hub cannot replay from last_event_id (too far back, or this client fell behind): "
        "re-read the REST resources (id null).",
        {},
    ),
    "positions": (
        "Newest positions, coalesced per vessel, at most once a second (id null).",
        {"positions": "a list of `position` data objects"},
    ),
    "position": (
        "A vessel's newest fix (volatile: delivered inside `positions`).",
        {
            "vessel_id": "vessel id", "grid_id": "its grid", "ts": "time of the fix (UTC)",
            "lat": "WGS-84", "lon": "WGS-84", "sog": "knots or null", "cog": "degrees or null",
            "backfill": "a fix kept while out of coverage", "state": "fishing, steaming... or null",
        },
    ),
    "alert": (
        "An alert was raised or changed (any kind: distress, contact, zone...).",
        {
            "alert_id": "alert number", "vessel_id": "vessel id", "grid_id": "grid",
            "type": "distress, lost_contact, zone...",
            "action": "raised, repeat, cancel_requested, escalated, acknowledged, resolved, "
            "silenced, assigned, commented...",
            "phase": "SAR phase", "severity": "critical, warning, info", "at": "UTC time",
            "exercise": "a drill", "incident_id": "distress: its incident",
            "sound": "distress raised: sound the alarm", "level": "escalated: the level",
            "by": "who acted", "outcome": "resolved: the outcome", "until": "silenced until",
            "to": "assigned to", "text": "commented: the comment",
        },
    ),
    "alert_notify": (
        "A person was notified of an alert (SMS, webhook, console).",
        {
            "alert_id": "alert number", "grid_id": "grid", "vessel_id": "vessel id",
            "type": "alert type", "severity": "severity", "level": "escalation level",
            "recipient": "recipient id", "recipient_name": "name", "text": "the message sent",
            "phrase": "the message as a phrase (key and arguments)",
            "texts": "the message in every language", "sound": "critical: sound the alarm",
        },
    ),
    "contact": (
        "A vessel's contact state changed.",
        {
            "vessel_id": "vessel id", "grid_id": "grid",
            "state": "ok, overdue, lost, in_port, unknown", "phase": "SAR phase",
            "at": "UTC time", "last_heard": "UTC time or null",
        },
    ),
    "incident_log": (
        "A line was added to a rescue incident's log.",
        {
            "incident_id": "incident number", "ts": "UTC time", "actor": "who",
            "kind": "what kind of entry", "text": "the entry", "texts": "in every language",
            "grid_ids": "grids that may see it",
        },
    ),
    "broadcast_progress": (
        "How far a broadcast got (delivered, read, confirmed), per grid.",
        {
            "broadcast_id": "broadcast number", "grid_ids": "grids", "total": "vessels",
            "done": "vessels that answered as asked", "states": "vessels per delivery state",
            "grids": "the same per grid",
        },
    ),
    "recall": (
        "A typhoon recall board changed (boats in port, returning, sheltering, unaccounted).",
        {
            "broadcast_id": "the recall order's broadcast", "grid_ids": "grids",
            "grids": "the board per grid", "total": "the board's totals", "at": "UTC time",
        },
    ),
    "request": (
        "A fisherman's request was received, reminded, replied, assigned or resolved.",
        {
            "request_pk": "request number", "grid_id": "grid",
            "action": "received, reminded, replied, assigned, resolved",
            "level": "reminded: 1 coordinator, 2 grid leader", "text": "reminded: the reminder",
            "assigned_to": "assigned: the account",
        },
    ),
}  # fmt: skip


def openapi_events() -> dict[str, Any]:
    """The `x-websocket-events` extension of the OpenAPI document."""
    return {
        name: {"description": text, "data": dict(fields)} for name, (text, fields) in EVENTS.items()
    }
