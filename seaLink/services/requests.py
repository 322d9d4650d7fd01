"""Fishermen's requests: the grid's inbox, replies as tracked down messages, assignment,
resolution, and reminders (the coordinator, then the grid leader) while a request waits."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from seaLink.clock import Clock
from seaLink.domain.roles import Principal
from seaLink.errors import Refused
from seaLink.services.alerting import Alerting
from seaLink.services.auth import principal_of
from seaLink.services.deadlines import DeadlineLoop
from seaLink.services.events import EventBus
from seaLink.services.outbox import Outbox
from seaLink.settings import RequestSettings
from seaLink.store import request_store
from seaLink.store.db import Database
from seaLink.store.phrases import BOAT_LANG
from seaLink.store.tables import UserAccount
from seaLink.store.users import audit
from seaLink.texts import Phrase, render
from seaLink.wire.payloads import DownKind, DownMessage

log = logging.getLogger(__name__)
_users: Any = UserAccount.__table__  # type: ignore[attr-defined]


class RequestService(DeadlineLoop):
    name = "requests"

    def __init__(self, *, db: Database, clock: Clock, outbox: Outbox, alerting: Alerting, events: EventBus,
                 settings: RequestSettings) -> None:  # fmt: skip
        super().__init__(clock)
        self._db = db
        self._outbox = outbox
        self._alerting = alerting
        self._events = events
        self._settings = settings

    async def load(self) -> None:
        for rid, due, reminded in await request_store.waiting(self._db):
            at = due if reminded == 0 else due + self._leader_gap() if reminded == 1 else None
            if at is not None:
                self.book(at, rid)

    def _leader_gap(self) -> timedelta:
        return timedelta(
            seconds=max(0, self._settings.leader_after_s - self._settings.answer_within_s)
        )

    def arrived(self, request_ids: list[int], due: datetime, grid_by_id: dict[int, str]) -> None:
        for rid in request_ids:
            self.book(due, rid)
            self._events.publish(
                "request", {"request_pk": rid, "grid_id": grid_by_id.get(rid), "action": "received"}
            )
        self.kick()

    async def _due(self, rid: int, now: datetime) -> None:
        """A request has waited too long: remind the coordinator, then the grid leader."""
        r = await request_store.get_request(self._db, rid)
        if r is None or r["state"] != "open" or r["reminded"] >= 2:
            return
        level = int(r["reminded"]) + 1
        waited = int((now - _dt(r["received_at"])).total_seconds() // 60)
        text = render(Phrase("notify.request", {"vessel": r["hull_name"], "category": r["category"],
                                                "text": str(r["text"])[:60], "minutes": waited}))  # fmt: skip
        told = await self._alerting.remind(
            r["grid_id"], level - 1, text, {"request_pk": rid, "vessel_id": r["vessel_id"]}
        )
        await request_store.add_log(
            self._db,
            rid,
            now,
            "system",
            "reminded",
            render(
                Phrase(
                    "request.reminded", {"level": level - 1, "who": "、".join(told) or r["grid_id"]}
                )
            ),
            reminded=level,
        )
        self._events.publish(
            "request",
            {
                "request_pk": rid,
                "grid_id": r["grid_id"],
                "action": "reminded",
                "level": level,
                "text": text,
            },
        )
        if level == 1:
            self.book(now + self._leader_gap(), rid)

    async def _visible(self, rid: int, who: Principal, write: bool) -> dict[str, object]:
        r = await request_store.get_request(self._db, rid)
        ok = r is not None and (
            who.can_write_grid(str(r["grid_id"])) if write else who.can_read_grid(str(r["grid_id"]))
        )
        if r is None or not ok:
            raise Refused("not_found", f"no request {rid} in your grids")
        return r

    async def inbox(self, who: Principal, state: str | None) -> list[dict[str, Any]]:
        if state not in (None, "open", "answered", "resolved"):
            raise Refused("bad_query", "state must be open, answered or resolved")
        return await request_store.list_requests(self._db, who.grid_filter(), state)

    async def _audit(self, who: Principal, action: str, rid: int, detail: str) -> None:
        await audit(
            self._db,
            ts=self._clock.now(),
            username=who.username,
            action=action,
            target=f"request/{rid}",
            detail=detail,
        )

    async def get(self, rid: int, who: Principal) -> dict[str, object]:
        return await self._visible(rid, who, write=False)

    async def reply(self, rid: int, who: Principal, text: str) -> str:
        r = await self._visible(rid, who, write=True)
        now = self._clock.now()
        msg_id = f"rq{rid}-{int(str(r['replies'])) + 1}"
        msg = DownMessage(msg_id=msg_id, kind=DownKind.REPLY, priority=3,
                          title=render(Phrase("down.reply.title", {"category": r["category"]}), BOAT_LANG), body=text, issued=now,
                          expires=now + timedelta(days=3), ack="read", in_reply_to=r["request_id"])  # fmt: skip
        delivery = {"msg_id": msg_id, "vessel_id": r["vessel_id"], "grid_id": r["grid_id"], "kind": "reply",
                    "priority": 3, "payload": msg.model_dump_json(exclude_none=True), "state": "queued", "rank": 0,
                    "attempts": 0, "next_attempt_at": now, "queued_at": now, "expires_at": now + timedelta(days=3),
                    "last_error": ""}  # fmt: skip
        await request_store.reply(self._db, rid, now, who.username, text, delivery)
        await self._audit(who, "request.reply", rid, text[:200])
        self._outbox.kick()
        self._events.publish(
            "request", {"request_pk": rid, "grid_id": r["grid_id"], "action": "replied"}
        )
        return msg_id

    async def assign(self, rid: int, who: Principal, username: str) -> None:
        """Give the request to a person who may act on it: an enabled account that may write
        the request's grid (a coordinator of that grid, or an admin)."""
        r = await self._visible(rid, who, write=True)
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(_users).where(_users.c.username == username))).first()
        assignee = principal_of(row) if row is not None and not row.disabled else None
        if assignee is None or not assignee.can_write_grid(str(r["grid_id"])):
            raise Refused(
                "bad_assignee",
                f"{username!r} is not an enabled account that may act on grid {r['grid_id']}",
            )
        await request_store.add_log(
            self._db,
            rid,
            self._clock.now(),
            who.username,
            "assigned",
            username,
            assigned_to=username,
        )
        await self._audit(who, "request.assign", rid, username)
        self._events.publish(
            "request",
            {
                "request_pk": rid,
                "grid_id": r["grid_id"],
                "action": "assigned",
                "assigned_to": username,
            },
        )

    async def resolve(self, rid: int, who: Principal, note: str) -> None:
        r = await self._visible(rid, who, write=True)
        if r["state"] == "resolved":
            raise Refused("resolved", f"request {rid} is already resolved")
        now = self._clock.now()
        await request_store.add_log(
            self._db,
            rid,
            now,
            who.username,
            "resolved",
            note,
            state="resolved",
            resolved_at=now,
            resolved_by=who.username,
        )
        await self._audit(who, "request.resolve", rid, note[:200])
        self._events.publish(
            "request", {"request_pk": rid, "grid_id": r["grid_id"], "action": "resolved"}
        )


def _dt(value: object) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
