"""A test vessel: a real paho client (its own network thread) publishing protocol v1 uplinks."""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from seaLink.wire.mqtt import parse_broker_url
from seaLink.wire.topics import Topics


class TestVessel:
    __test__ = False

    def __init__(
        self, url: str, vessel_id: str, *, client_id: str | None = None, prefix: str = "sealink/v1"
    ) -> None:
        self.vessel_id = vessel_id
        self.topics = Topics(prefix)
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self._connected = threading.Event()
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id or vessel_id,
            protocol=paho.MQTTv5,
        )
        self.client.max_inflight_messages_set(1000)
        self.client.on_connect = lambda c, u, f, rc, p=None: self._on_connect(c)
        self.client.on_message = lambda c, u, m: self.received.put(json.loads(m.payload))
        addr = parse_broker_url(url)
        if addr.username:  # the vessel's own account
            self.client.username_pw_set(addr.username, addr.password)
        self.client.will_set(self.topics.status(vessel_id), b"offline", qos=1, retain=True)
        self.client.connect(addr.host, addr.port, 30)
        self.client.loop_start()
        if not self._connected.wait(10):
            raise RuntimeError("test vessel could not connect")

    def _on_connect(self, client: paho.Client) -> None:
        client.subscribe(self.topics.down(self.vessel_id), qos=1)
        self._connected.set()

    def publish_raw(
        self, topic: str, payload: bytes | str, *, sender: str | None = None, qos: int = 1
    ) -> None:
        props = None
        if sender is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.UserProperty = [("sender", sender)]
        info = self.client.publish(topic, payload, qos=qos, properties=props)
        info.wait_for_publish(10)

    def publish(self, kind: str, payload: Any, *, sender: str | None = None) -> None:
        self.publish_raw(
            self.topics.up(self.vessel_id, kind),
            json.dumps(payload, ensure_ascii=False),
            sender=sender,
        )

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def announce_gateway(pub: TestVessel, prefix: str, gateway_id: str, kind: str) -> None:
    """Publish a gateway's retained status, as a gateway does first: the hub takes AIS only from
    an AIS gateway and beidou/* only from a Beidou gateway."""
    status = {"gateway_id": gateway_id, "kind": kind, "state": "online"}
    pub.client.publish(
        f"{prefix}/gateways/{gateway_id}/status", json.dumps(status), qos=1, retain=True
    ).wait_for_publish(10)
