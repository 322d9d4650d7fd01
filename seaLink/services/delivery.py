"""Where each notification of an alert stands, per person (or group robot) and channel, like a
broadcast's deliveries: sent, failed, retrying, held for the digest, or acknowledged.

Read from the alert's notification records (every attempt is one, services/dispatch.py) and from
who acknowledged the alert: the person who did (by their login's coordinator id, or their login
name) has every channel that reached them marked acknowledged. A failed channel whose retries are
used up stays "failed"; one with a try booked is "retrying".
"""

from __future__ import annotations

from typing import Any

from seaLink.services.dispatch import HELD_NOTE, retry_booked
from seaLink.store import alert_store, users
from seaLink.store.db import Database

STATES = ("acknowledged", "sent", "retrying", "held", "failed")


async def describe(db: Database, alert: dict[str, Any], county_desk_name: str) -> None:
    """Name who was told on each of an alert's notification records (a record's recipient is
    "<id> <address>"), and add `delivery`: where each person's notification stands."""
    notes: list[dict[str, Any]] = alert.get("notifications") or []
    ids = {str(n["recipient"]).split(" ", 1)[0] for n in notes}
    names = await alert_store.coordinator_names(db, ids)
    names["county-desk"] = county_desk_name
    for n in notes:
        rid = str(n["recipient"]).split(" ", 1)[0]
        n["recipient_id"], n["recipient_name"] = rid, names.get(rid) or rid
    acker = alert.get("acked_by")
    ackers: set[str] = set()
    if acker:
        linked = await users.coordinator_of(db, str(acker))
        ackers = {str(acker), *([linked] if linked else [])}
    alert["delivery"] = delivery(notes, ackers)


def delivery(notes: list[dict[str, Any]], acked_by: set[str]) -> list[dict[str, Any]]:
    """One entry per (recipient, channel), in the order first told. `notes` are the alert's
    notification records, oldest first, each with `recipient_id` and `recipient_name` set;
    `acked_by`: the ids that stand for the person who acknowledged the alert (empty if nobody)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for n in notes:
        rid = str(n.get("recipient_id") or str(n["recipient"]).split(" ", 1)[0])
        key = (rid, str(n["channel"]))
        d = out.setdefault(key, {
            "recipient_id": rid, "recipient_name": n.get("recipient_name") or rid,
            "channel": n["channel"], "level": n["level"], "attempts": 0, "sent_at": None,
        })  # fmt: skip
        d["level"] = max(int(d["level"]), int(n["level"]))
        d["last_at"] = n["ts"]
        d["error"] = "" if n["ok"] else str(n["error"])
        if n["error"] != HELD_NOTE:
            d["attempts"] += 1
        if n["ok"]:
            d["sent_at"] = d["sent_at"] or n["ts"]
            d["state"] = "sent"
        else:  # where it stands is what the last attempt did
            d["state"] = (
                "held" if n["error"] == HELD_NOTE
                else "retrying" if retry_booked(str(n["error"]))
                else "failed"
            )  # fmt: skip
    for (rid, _channel), d in out.items():
        if rid in acked_by and d["state"] == "sent":
            d["state"] = "acknowledged"
    return list(out.values())


def counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    """How many of an alert's deliveries stand in each state."""
    return {s: sum(1 for d in entries if d["state"] == s) for s in STATES}
