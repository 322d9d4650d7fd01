"""Many vessel terminals in the test's own event loop (paho on asyncio, no threads).

Each terminal does what docs/protocol.md asks: persistent session, retained online status and
will, hello, subscribe to its down topic, deduplicate by msg_id, never act on an expired message,
acknowledge (delivered, then read / acknowledged as the message asks), and send an uplink again
when its PUBACK says "no matching subscribers" (0x10). It counts every copy it
receives, so a test can check "exactly once as the terminal counts it".
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from seaLink.wire.backoff import doubling_delay
from seaLink.wire.mqtt import PahoAsyncio, parse_broker_url
from seaLink.wire.topics import Topics

NO_MATCHING_SUBSCRIBERS = 0x10  # MQTT 5 PUBACK reason: accepted, given to nobody, dropped
RESEND_FIRST_S = 2.0
RESEND_MAX_S = 30.0


@dataclass
class Terminal:
    vessel_id: str
    client: paho.Client | None = None
    # Packet id -> (topic, payload, PUBACKs "no matching subscribers" so far), until the PUBACK.
    unacked: dict[int, tuple[str, bytes, int]] = field(default_factory=dict)
    resent: int = 0  # uplinks sent again after a "no matching subscribers" (docs/protocol.md §4)
    copies: Counter[str] = field(default_factory=Counter)  # msg_id -> copies received
    shown: list[dict[str, Any]] = field(default_factory=list)  # first copies, not expired
    expired_seen: set[str] = field(default_factory=set)
    connected: asyncio.Event = field(default_factory=asyncio.Event)


class TerminalFleet:
    def __init__(
        self, url: str, prefix: str, vessel_ids: list[str], *, auto_ack: bool = True
    ) -> None:
        self.addr = parse_broker_url(url)
        self.topics = Topics(prefix)
        self.terminals = {vid: Terminal(vid) for vid in vessel_ids}
        self.auto_ack = auto_ack
        self._adapter = PahoAsyncio(misc_interval_s=0.5)

    async def connect(self, vessel_ids: list[str]) -> None:
        for vid in vessel_ids:
            self._connect_one(self.terminals[vid])
        await asyncio.wait_for(
            asyncio.gather(*(self.terminals[v].connected.wait() for v in vessel_ids)), 30
        )

    def _connect_one(self, t: Terminal) -> None:
        c = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=t.vessel_id,
            protocol=paho.MQTTv5,
        )
        c.will_set(self.topics.status(t.vessel_id), b"offline", qos=1, retain=True)
        c.on_connect = lambda cl, u, f, rc, p=None: self._on_connect(t, cl)
        c.on_message = lambda cl, u, m: self._on_message(t, m)
        c.on_publish = lambda cl, u, mid, rc, p=None: self._on_publish(t, cl, mid, rc)
        self._adapter.attach(c)
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        t.connected.clear()
        t.unacked.clear()  # packet ids of an earlier client mean nothing on this one
        c.connect(self.addr.host, self.addr.port, 30, clean_start=False, properties=props)
        t.client = c

    def _on_connect(self, t: Terminal, c: paho.Client) -> None:
        c.publish(self.topics.status(t.vessel_id), b"online", qos=1, retain=True)
        c.subscribe(self.topics.down(t.vessel_id), qos=1)
        now = datetime.now(UTC).isoformat()
        self.publish(t, self.topics.up(t.vessel_id, "hello"),
                     json.dumps({"ts": now, "terminal": "test/fleet"}).encode())  # fmt: skip
        t.connected.set()

    def publish(self, t: Terminal, topic: str, payload: bytes, no_subscribers: int = 0) -> None:
        """An uplink at QoS 1, kept until its PUBACK."""
        assert t.client is not None
        info = t.client.publish(topic, payload, qos=1)
        if info.rc in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
            t.unacked[info.mid] = (topic, payload, no_subscribers)

    def _on_publish(self, t: Terminal, c: paho.Client, mid: int, rc: Any) -> None:
        sent = t.unacked.pop(mid, None)
        if sent is None or c is not t.client or getattr(rc, "value", 0) != NO_MATCHING_SUBSCRIBERS:
            return
        # No hub had subscribed (a broker restart): nobody has it, so send it again shortly.
        topic, payload, n = sent
        t.resent += 1
        delay = doubling_delay(RESEND_FIRST_S, RESEND_MAX_S, n + 1)
        asyncio.get_running_loop().call_later(delay, self._resend, t, c, topic, payload, n + 1)

    def _resend(self, t: Terminal, c: paho.Client, topic: str, payload: bytes, n: int) -> None:
        if t.client is c:  # not if dropped meanwhile (the test decides what it sends then)
            self.publish(t, topic, payload, n)

    def _on_message(self, t: Terminal, m: paho.MQTTMessage) -> None:
        msg = json.loads(m.payload)
        mid = msg["msg_id"]
        t.copies[mid] += 1
        if t.copies[mid] > 1:
            return
        expires = msg.get("expires")
        if expires and datetime.fromisoformat(expires.replace("Z", "+00:00")) <= datetime.now(UTC):
            t.expired_seen.add(mid)
            return
        t.shown.append(msg)
        if self.auto_ack and t.client is not None:
            self.ack(t.vessel_id, mid, "delivered")
            if msg.get("ack") in ("read", "confirm"):
                self.ack(t.vessel_id, mid, "read")
            if msg.get("ack") == "confirm":
                self.ack(t.vessel_id, mid, "acknowledged")

    def ack(self, vessel_id: str, msg_id: str, state: str) -> None:
        t = self.terminals[vessel_id]
        assert t.client is not None
        body = {"msg_id": msg_id, "state": state, "ts": datetime.now(UTC).isoformat()}
        self.publish(t, self.topics.up(vessel_id, "ack"), json.dumps(body).encode())

    def drop(self, vessel_ids: list[str]) -> None:
        """Lose the link abruptly (no DISCONNECT): the broker publishes the will."""
        for vid in vessel_ids:
            t = self.terminals[vid]
            if t.client is not None:
                sock = t.client.socket()
                self._adapter.detach(t.client)
                if sock is not None:
                    asyncio.get_running_loop().remove_reader(sock)
                    asyncio.get_running_loop().remove_writer(sock)
                    sock.close()
                t.client = None
                t.connected.clear()

    async def close(self) -> None:
        for t in self.terminals.values():
            if t.client is not None:
                t.client.disconnect()
        await asyncio.sleep(0.1)
        self._adapter.close()
