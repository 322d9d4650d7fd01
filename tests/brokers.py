"""Private brokers for tests: the helper shared with the benchmarks, and a Mosquitto that runs the
shipped configuration (deploy/mosquitto/mosquitto.conf) with accounts made by `sealink
credentials`, as an operator makes them."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, cast

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from seaLink.testing.mosquitto import Mosquitto, free_port

__all__ = ["Mosquitto", "Probe", "ShippedMosquitto", "free_port", "refused"]

SHIPPED_CONF = Path(__file__).resolve().parent.parent / "deploy" / "mosquitto" / "mosquitto.conf"
# Lines of the shipped file that name this machine's ports, certificates and folders: the private
# broker has its own.
LOCAL_ONLY = {"listener", "certfile", "keyfile", "protocol", "persistence_location"}


def shipped_settings(dynsec_file: Path) -> str:
    """Every other line of the shipped configuration, with the plugin's file at `dynsec_file`."""
    kept = []
    for line in SHIPPED_CONF.read_text(encoding="utf-8").splitlines():
        words = line.split(maxsplit=1)
        if not words or words[0].startswith("#") or words[0] in LOCAL_ONLY:
            continue
        if words[0] == "plugin":
            assert Path(words[1]).is_file(), f"the shipped plugin path {words[1]} is missing"
        if words[0] == "plugin_opt_config_file":
            line = f"plugin_opt_config_file {dynsec_file}"
        kept.append(line)
    assert any(line.startswith("plugin_opt_config_file") for line in kept)
    return "\n".join(kept)


class ShippedMosquitto(Mosquitto):
    """A private Mosquitto with the shipped security settings and a new accounts file.

    `credentials(...)` runs `sealink credentials` against it and returns the password it printed.
    """

    def __init__(
        self,
        workdir: Path,
        websockets: bool = False,
        log_all: bool = False,
        init_args: tuple[str, ...] = (),
    ) -> None:
        self.dynsec = workdir / "dynamic-security.json"
        self.admin_password_file = workdir / "sealink-admin.password"
        extra = shipped_settings(self.dynsec) + ("\nlog_type all" if log_all else "")
        super().__init__(workdir, extra_conf=extra, websockets=websockets, anonymous=False)
        self.init_output = self.sealink("init", "--dynsec", str(self.dynsec), *init_args).stdout

    def sealink(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`sealink credentials <args>` with this broker's admin password file."""
        done = subprocess.run(
            [sys.executable, "-m", "seaLink.cli", "credentials", *args,
             "--admin-password-file", str(self.admin_password_file)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert not check or done.returncode == 0, f"sealink credentials {args}: {done.stderr}"
        return done

    def credentials(self, kind: str, *args: str) -> str:
        out = self.sealink(kind, *args, "--broker", self.url).stdout
        return out.split("password: ")[1].split()[0]


class Probe:
    """One MQTT client for broker tests, on paho's thread, that never reconnects by itself and
    records what the broker told it: CONNACK, disconnects, messages, SUBACK and PUBACK codes."""

    def __init__(
        self,
        port: int,
        username: str | None,
        password: str | None,
        client_id: str,
        *,
        mqtt5: bool = True,
        websocket: bool = False,
        persistent: bool = False,
        will: str | None = None,
    ) -> None:
        self.client_id = client_id
        self.connack: queue.Queue[ReasonCode] = queue.Queue()
        self.disconnects: list[ReasonCode] = []
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._acks: dict[int, queue.Queue[Any]] = {}
        self._up = False
        self._lock = threading.Lock()
        c = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv5 if mqtt5 else paho.MQTTv311,
            clean_session=None if mqtt5 else not persistent,
            transport="websockets" if websocket else "tcp",
            reconnect_on_failure=False,
        )
        if username is not None:
            c.username_pw_set(username, password)
        if will is not None:
            c.will_set(will, b"offline", qos=1, retain=True)
        c.on_connect = lambda _c, _u, _f, rc, _p=None: self._connected(rc)
        c.on_disconnect = lambda _c, _u, _f, rc, _p=None: self._disconnected(rc)
        c.on_message = lambda _c, _u, m: self.messages.put((m.topic, m.payload))
        c.on_subscribe = lambda _c, _u, mid, rcs, _p=None: self._ack(mid, list(rcs))
        c.on_publish = lambda _c, _u, mid, rc, _p=None: self._ack(mid, rc)
        self.c = c
        self._port = port
        self._mqtt5 = mqtt5
        self._persistent = persistent

    def _connected(self, rc: ReasonCode) -> None:
        self._up = not rc.is_failure
        self.connack.put(rc)

    def _disconnected(self, rc: ReasonCode) -> None:
        self._up = False
        self.disconnects.append(rc)

    def _box(self, mid: int) -> queue.Queue[Any]:
        with self._lock:
            return self._acks.setdefault(mid, queue.Queue())

    def _ack(self, mid: int, value: Any) -> None:
        self._box(mid).put(value)

    def connect(self, timeout: float = 10) -> ReasonCode:
        """Connect and wait for the CONNACK; a refused probe is left closed."""
        properties = None
        if self._mqtt5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = 3600 if self._persistent else 0
        clean = {} if not self._mqtt5 else {"clean_start": not self._persistent}
        self.c.connect("127.0.0.1", self._port, 30, properties=properties, **clean)
        self.c.loop_start()
        rc = self.connack.get(timeout=timeout)
        if rc.is_failure:
            self.c.loop_stop()
        return rc

    @property
    def connected(self) -> bool:
        """Connected and not disconnected since (paho's own flag misses a server's DISCONNECT)."""
        return self._up

    def sub(self, topic: str, timeout: float = 5) -> ReasonCode:
        _, mid = self.c.subscribe(topic, qos=1)
        (rc,) = self._box(mid).get(timeout=timeout)
        return cast(ReasonCode, rc)

    def pub(self, topic: str, payload: bytes = b"{}", retain: bool = False) -> ReasonCode:
        """Publish at QoS 1 and return the PUBACK's reason code (MQTT 5)."""
        info = self.c.publish(topic, payload, qos=1, retain=retain)
        return cast(ReasonCode, self._box(info.mid).get(timeout=5))

    def drain(self) -> list[tuple[str, bytes]]:
        got = []
        while not self.messages.empty():
            got.append(self.messages.get())
        return got

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def refused(port: int, username: str, password: str, client_id: str, **kw: Any) -> bool:
    """Whether the broker answers this login with CONNACK "not authorised" (MQTT 5: 0x87,
    3.1.1: 5)."""
    probe = Probe(port, username, password, client_id, **kw)
    rc = probe.connect()
    probe.close()
    return rc.is_failure and rc.getName() in {"Not authorized", "Not authorised"}
