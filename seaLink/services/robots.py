"""Group robots (群机器人) of the offices' chat tools: WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书).

Each is a webhook of a group: one robot per grid, or per escalation level, as configured
(`alerting.robots`). Messages go in each tool's own format (markdown cards), DingTalk's and
Feishu's signed when a secret is set, and carry a short-lived signed link that opens the alert in
the console, where the named person logs in and acknowledges it (audited under their name).

The formats and signatures, from the tools' documentation:
- WeCom: POST {"msgtype": "markdown", "markdown": {"content": ...}} to the robot's URL (its `key`
  in the query); answers {"errcode": 0}.
- DingTalk: POST {"msgtype": "markdown", "markdown": {"title", "text"}}; signed robots take
  `timestamp` (ms) and `sign` = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")))
  in the query; answers {"errcode": 0}.
- Feishu: POST {"msg_type": "interactive", "card": {...}}; signed robots add `timestamp` (s) and
  `sign` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", message=b"")) to the body; answers
  {"code": 0}.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import quote_plus

import aiohttp

from seaLink.services.notifiers import Notice, Recipient
from seaLink.settings import RobotSettings
from seaLink.texts import LANGS, Phrase, render


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return quote_plus(base64.b64encode(digest.digest()))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def _markdown(notice: Notice, link: str | None) -> str:
    lines = [f"**{notice.text}**"]
    if link:
        label = " ".join(render(Phrase("robot.open_link"), lang) for lang in LANGS)
        lines.append(f"[{label}]({link})")
    return "\n\n".join(lines)


class RobotChannel:
    """One group robot. It is told of an alert once per level (not once per person)."""

    def __init__(self, robot: RobotSettings, link_for: Any) -> None:
        self.robot = robot
        self.name = f"{robot.kind}"
        self._link_for = link_for  # alert id -> signed link (or None: no public URL set)

    def wants(self, grid_id: str, level: int) -> bool:
        r = self.robot
        return (not r.grids or grid_id in r.grids) and level in r.levels

    def addresses(self, r: Recipient) -> str | None:
        return self.robot.url

    async def send(self, notice: Notice, r: Recipient, address: str) -> None:
        link = self._link_for(notice.alert_id) if notice.alert_id else None
        url, body = self._request(notice, link)
        async with aiohttp.ClientSession() as s, s.post(url, json=body) as resp:
            answer = await resp.json(content_type=None)
        code = answer.get("errcode", answer.get("code", -1)) if isinstance(answer, dict) else -1
        if resp.status >= 300 or code != 0:
            raise RuntimeError(f"{self.robot.kind} robot answered {resp.status} {answer!r}"[:300])

    def _request(self, notice: Notice, link: str | None) -> tuple[str, dict[str, Any]]:
        r, text = self.robot, _markdown(notice, link)
        title = notice.text[:60]
        if r.kind == "wecom":
            return r.url, {"msgtype": "markdown", "markdown": {"content": text[:4000]}}
        if r.kind == "dingtalk":
            url = r.url
            if r.secret:
                ts = int(time.time() * 1000)
                sep = "&" if "?" in url else "?"
                url = f"{url}{sep}timestamp={ts}&sign={dingtalk_sign(r.secret, ts)}"
            return url, {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        card: dict[str, Any] = {
            "header": {"title": {"tag": "plain_text", "content": title},
                       "template": "red" if notice.severity == "critical" else "orange"},
            "elements": [{"tag": "markdown", "content": text}],
        }  # fmt: skip
        body: dict[str, Any] = {"msg_type": "interactive", "card": card}
        if r.secret:
            ts = int(time.time())
            body |= {"timestamp": str(ts), "sign": feishu_sign(r.secret, ts)}
        return r.url, body
