"""Channels that tell people about alerts: the console, a webhook, e-mail, an SMS gateway.

Each channel is tried on its own with a time limit; a failing channel is recorded and never holds
up the others.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

import aiohttp

from seaLink.services.events import EventBus
from seaLink.texts import in_every_language


@dataclass(frozen=True, slots=True)
class Recipient:
    id: str
    name: str
    phone: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Notice:
    alert_id: int
    grid_id: str
    vessel_id: str
    type: str
    severity: str
    level: int
    text: str  # in the notifications' language (`alerting.language`)
    data: dict[str, Any]
    phrase: dict[str, Any] | None = None  # the same, as a phrase the console words itself


class Channel(Protocol):
    name: str

    def addresses(self, r: Recipient) -> str | None:
        """The recipient's address on this channel, or None if they have none."""
        ...

    async def send(self, notice: Notice, r: Recipient, address: str) -> None: ...


class ConsoleChannel:
    """The live console: every coordinator of the grid sees it; the recipient is named."""

    name = "console"

    def __init__(self, events: EventBus) -> None:
        self._events = events

    def addresses(self, r: Recipient) -> str | None:
        return r.id

    async def send(self, notice: Notice, r: Recipient, address: str) -> None:
        self._events.publish(
            "alert_notify",
            {
                "alert_id": notice.alert_id,
                "grid_id": notice.grid_id,
                "vessel_id": notice.vessel_id,
                "type": notice.type,
                "severity": notice.severity,
                "level": notice.level,
                "recipient": r.id,
                "recipient_name": r.name,
                "text": notice.text,
                "phrase": notice.phrase,
                "texts": in_every_language(notice.phrase or notice.text),
                "sound": notice.severity == "critical",
            },
        )


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str) -> None:
        self._url = url

    def addresses(self, r: Recipient) -> str | None:
        return self._url

    async def send(self, notice: Notice, r: Recipient, address: str) -> None:
        body = {
            "alert_id": notice.alert_id,
            "grid_id": notice.grid_id,
            "vessel_id": notice.vessel_id,
            "type": notice.type,
            "severity": notice.severity,
            "level": notice.level,
            "recipient": {"id": r.id, "name": r.name, "phone": r.phone, "email": r.email},
            "text": notice.text,
            "data": notice.data,
        }
        async with aiohttp.ClientSession() as s, s.post(address, json=body) as resp:
            if resp.status >= 300:
                raise RuntimeError(f"webhook answered {resp.status}")


class SmsChannel:
    name = "sms"

    def __init__(self, url: str) -> None:
        self._url = url

    def addresses(self, r: Recipient) -> str | None:
        return r.phone or None

    async def send(self, notice: Notice, r: Recipient, address: str) -> None:
        async with (
            aiohttp.ClientSession() as s,
            s.post(self._url, json={"to": address, "text": notice.text}) as resp,
        ):
            if resp.status >= 300:
                raise RuntimeError(f"SMS gateway answered {resp.status}")


class EmailChannel:
    name = "email"

    def __init__(self, host: str, port: int, sender: str) -> None:
        self._host, self._port, self._sender = host, port, sender

    def addresses(self, r: Recipient) -> str | None:
        return r.email or None

    async def send(self, notice: Notice, r: Recipient, address: str) -> None:
        msg = EmailMessage()
        msg["From"] = self._sender
        msg["To"] = address
        msg["Subject"] = notice.text[:120]
        msg.set_content(notice.text)

        def deliver() -> None:
            with smtplib.SMTP(self._host, self._port, timeout=10) as smtp:
                smtp.send_message(msg)

        await asyncio.to_thread(deliver)
