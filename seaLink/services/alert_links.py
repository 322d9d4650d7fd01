"""Short-lived signed links to one alert, for messages that leave the hub (group robots, SMS):
`{public_url}/a/{token}` opens the alert in the console, where the person logs in and acts under
their own name. The token names the alert and its expiry, signed with HMAC-SHA256; it grants
nothing by itself (the console still needs a login), it only must not be forged or outlive
its day."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta


class AlertLinks:
    def __init__(self, public_url: str, secret: str, ttl: timedelta) -> None:
        self._base = public_url.rstrip("/")
        self._key = (secret or secrets.token_hex(32)).encode()
        self._ttl = ttl

    def _sig(self, body: str) -> str:
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:18]).decode()

    def token(self, alert_id: int, now: datetime) -> str:
        body = f"{alert_id}.{int((now + self._ttl).timestamp())}"
        return f"{body}.{self._sig(body)}"

    def url(self, alert_id: int, now: datetime) -> str | None:
        return f"{self._base}/a/{self.token(alert_id, now)}" if self._base else None

    def alert_of(self, token: str, now: datetime) -> int | None:
        """The alert a valid, unexpired token names; None for anything else."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            return None
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._sig(body), parts[2]):
            return None
        if int(parts[1]) < now.timestamp():
            return None
        return int(parts[0])
