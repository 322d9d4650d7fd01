"""The shipped Mosquitto ACL on a real broker: a vessel speaks and listens only as itself, and a
gateway cannot publish as a vessel."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from seaLink.testing.mosquitto import Mosquitto

DEPLOY = Path(__file__).parent.parent / "deploy" / "mosquitto"


def creds(kind: str, name: str, passwd: Path, acl: Path) -> str:
    out = subprocess.run([sys.executable, "-m", "seaLink.cli", "credentials", kind, name, "--passwd", str(passwd),
                          "--acl", str(acl)], capture_output=True, text=True, check=True).stdout  # fmt: skip
    return out.split("password: ")[1].strip()


class Client:
    def __init__(
        self, port: int, username: str, password: str, client_id: str | None = None
    ) -> None:
        self.got: queue.Queue[str] = queue.Queue()
        self.suback: list[int] = []
        self.c = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id or username,
                             protocol=paho.MQTTv5)  # fmt: skip
        self.c.username_pw_set(username, password)
        self.c.on_message = lambda c, u, m: self.got.put(m.topic)
        self.c.on_subscribe = lambda c, u, mid, rcs, p=None: self.suback.extend(
            int(rc.value) for rc in rcs
        )
        ok = threading.Event()
        self.c.on_connect = lambda c, u, f, rc, p=None: ok.set() if not rc.is_failure else None
        self.c.connect("127.0.0.1", port, 30)
        self.c.loop_start()
        assert ok.wait(10), f"{username} could not log in"

    def sub(self, topic: str) -> None:
        self.c.subscribe(topic, qos=1)
        deadline = time.monotonic() + 5
        while not self.suback and time.monotonic() < deadline:
            time.sleep(0.02)

    def pub(self, topic: str, payload: bytes = b"{}") -> None:
        self.c.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def test_vessels_and_gateways_only_speak_as_themselves(tmp_path: Path) -> None:
    assert shutil.which("mosquitto_passwd")
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    acl.write_text((DEPLOY / "sealink.acl").read_text())
    pw = {name: creds(kind, name, passwd, acl) for kind, name in
          (("hub", "hub", ), ("vessel", "NA00001"), ("vessel", "NA00002"), ("gateway", "ais-1"))}  # fmt: skip
    broker = Mosquitto(tmp_path / "broker")
    broker.conf.write_text(
        f"listener {broker.port} 127.0.0.1\nallow_anonymous false\npassword_file {passwd}\nacl_file {acl}\n"
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    broker.start()
    try:
        hub = Client(broker.port, "sealink-hub", pw["hub"], "hub-test")
        hub.sub("sealink/v1/#")
        a = Client(broker.port, "NA00001", pw["NA00001"])
        gw = Client(broker.port, "gw-ais-1", pw["ais-1"])
        a.pub("sealink/v1/vessels/NA00001/up/position")  # its own: allowed
        a.pub("sealink/v1/vessels/NA00002/up/position")  # as another vessel: dropped
        a.pub("sealink/v1/gateways/ais-1/ais")  # as a gateway: dropped
        gw.pub("sealink/v1/gateways/ais-1/ais")  # its own: allowed
        gw.pub("sealink/v1/vessels/NA00001/up/position")  # as a vessel: dropped
        a.sub(
            "sealink/v1/vessels/NA00002/down"
        )  # mosquitto grants it, but never delivers (ACL read)
        own = Client(broker.port, "NA00002", pw["NA00002"])
        own.sub("sealink/v1/vessels/NA00002/down")
        hub.pub("sealink/v1/vessels/NA00002/down")
        time.sleep(0.5)
        seen = []
        while not hub.got.empty():
            seen.append(hub.got.get())
        assert sorted(seen) == ["sealink/v1/gateways/ais-1/ais", "sealink/v1/vessels/NA00001/up/position",
                                "sealink/v1/vessels/NA00002/down"]  # fmt: skip
        assert own.got.get(timeout=2) == "sealink/v1/vessels/NA00002/down"
        assert a.got.empty(), "vessel NA00001 read a message for NA00002"
        for c in (hub, a, gw, own):
            c.close()
        bad = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id="x", protocol=paho.MQTTv5
        )
        bad.username_pw_set("NA00001", "wrong-password")
        refused = threading.Event()
        bad.on_connect = lambda c, u, f, rc, p=None: refused.set() if rc.is_failure else None
        bad.connect("127.0.0.1", broker.port, 30)
        bad.loop_start()
        assert refused.wait(5), "a wrong password must be refused"
        bad.loop_stop()
    finally:
        broker.stop()
