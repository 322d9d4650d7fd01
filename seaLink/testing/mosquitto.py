"""A private Mosquitto on a free port, for tests and benchmarks (which may stop and restart it)."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import time
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


_EPHEMERAL = _ephemeral_range()
_given: set[int] = set()
_random = random.SystemRandom()  # not the global generator, which Hypothesis seeds per test


def free_port() -> int:
    """A loopback port nobody listens on, outside the kernel's ephemeral range. A port from
    bind(0) is one the kernel also gives to outgoing connections, and under load one of those (a
    client of the database or of a broker) took it before the server bound it (Errno 98)."""
    low, high = _EPHEMERAL
    span = (10000, low - 1) if low > 12000 else (high + 1, 65535)
    for _ in range(500):
        port = _random.randint(*span)
        if port in _given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    with socket.socket() as s:  # the range is crowded: any port the kernel has free
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mosquitto:
    """`mosquitto` on a free loopback port with persistence in a temp folder, so a restart keeps
    queued messages for persistent sessions, as a production broker would."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        extra_conf: str = "",
        websockets: bool = False,
        websockets_port: int | None = None,
        anonymous: bool = True,
    ) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        # MQTT over WebSocket (browser terminals); Debian's mosquitto has it built in.
        self.ws_port = (websockets_port or free_port()) if websockets else None
        ws_conf = (
            [f"listener {self.ws_port} 127.0.0.1", "protocol websockets"] if self.ws_port else []
        )
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            "\n".join(
                [
                    f"listener {self.port} 127.0.0.1",
                    # As root, mosquitto would drop to its own user, who cannot reach our temp
                    # folders (persistence, password and ACL files): stay as we are.
                    "user root" if os.geteuid() == 0 else "",
                    f"allow_anonymous {'true' if anonymous else 'false'}",
                    "persistence true",
                    f"persistence_location {workdir}/",
                    "autosave_interval 1",
                    "max_queued_messages 1000000",
                    "max_inflight_messages 0",
                    "max_keepalive 600",
                    "log_dest stderr",
                    "log_type error",
                    "log_type warning",
                    extra_conf,
                    # Last, so that extra_conf's per-listener lines stay with the first listener.
                    *ws_conf,
                    "",
                ]
            )
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        if self.ws_port is None:
            raise RuntimeError("this broker has no websockets listener")
        return f"ws://127.0.0.1:{self.ws_port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "mosquitto.log", "ab"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                for port in (self.port, self.ws_port):
                    if port is not None:
                        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                            pass
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"mosquitto exited: see {self.workdir}/mosquitto.log"
                    ) from None
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
