"""The coordinator's side of the chaos run, through the REST API only: send broadcasts and
acknowledge distress alerts, whichever hub is alive, retrying while hubs are being killed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger("chaos.coordinator")


class ApiUnavailable(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class SentBroadcast:
    id: int
    tag: str
    target: dict[str, Any]  # as posted: {"all": true} or {"grids": [...]}


class Coordinator:
    def __init__(self, apis: Callable[[], list[str]], password: str) -> None:
        self._apis = apis  # the base URLs of the hubs, live ones first
        self._password = password
        self._token = ""
        self._session: aiohttp.ClientSession | None = None
        self._turn = 0
        self.acked_alerts: set[int] = set()
        self.api_retries = 0

    async def __aenter__(self) -> Coordinator:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        body = {"username": "admin", "password": self._password}
        self._token = (await self.call("POST", "/api/v1/auth/login", body))["token"]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(
        self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = (200, 201)
    ) -> Any:
        """One request to whichever hub answers; a dead or restarting hub means: try the next."""
        assert self._session is not None
        deadline = time.monotonic() + 180
        while True:
            apis = self._apis()
            base = apis[self._turn % len(apis)]
            self._turn += 1
            headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
            try:
                async with self._session.request(
                    method, base + path, json=body, headers=headers
                ) as r:
                    data = await r.json(content_type=None)
                    if r.status in ok:
                        return data
                    if r.status < 500:
                        return {"_status": r.status, **(data or {})}
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                log.debug("%s %s on %s: %s", method, path, base, exc)
                if method != "GET":
                    raise ApiUnavailable(f"{method} {path}: {exc}") from exc
            self.api_retries += 1
            if time.monotonic() > deadline:
                raise ApiUnavailable(f"{method} {path}: no hub answered for 180 s")
            await asyncio.sleep(0.5)

    async def broadcast(self, tag: str, target: dict[str, Any]) -> SentBroadcast:
        """Send a broadcast once, even if the hub dies while answering: a POST whose answer was
        lost is looked up by its unique title before it is sent again."""
        title = f"渔政通知 {tag} / notice {tag}"
        body = {
            "kind": "notice",
            "title": title,
            "body": f"混沌测试广播 {tag}：请确认收到。Chaos run broadcast {tag}: please confirm.",
            "reply": "confirm",
            "target": target,
        }
        while True:
            try:
                created = await self.call("POST", "/api/v1/broadcasts", body)
                return SentBroadcast(int(created["broadcast"]["id"]), tag, target)
            except ApiUnavailable:
                self.api_retries += 1
                await asyncio.sleep(1.0)
                listed = await self.call("GET", "/api/v1/broadcasts")
                for b in listed["broadcasts"]:
                    if b["title"] == title:
                        return SentBroadcast(int(b["id"]), tag, target)

    async def acknowledge_distresses(self) -> int:
        """Acknowledge every open distress alert not yet acknowledged; returns how many now."""
        alerts = (await self.call("GET", "/api/v1/alerts?state=open"))["alerts"]
        n = 0
        for a in alerts:
            if a["type"] != "distress" or a["state"] != "raised":
                continue
            try:
                r = await self.call(
                    "POST", f"/api/v1/alerts/{a['id']}/ack", {"note": "值班员已确认 (chaos)"}
                )
            except ApiUnavailable:
                continue  # the next round tries again
            if "_status" not in r:
                self.acked_alerts.add(int(a["id"]))
                n += 1
        return n
