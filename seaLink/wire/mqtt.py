"""Running paho-mqtt clients on an asyncio loop, without threads.

paho does the MQTT; asyncio watches the sockets. One `PahoAsyncio` serves any number of clients
(the simulator runs thousands in one process), with a single housekeeping task for keepalives.
Shared by the hub, the gateways and the simulators: it is transport, not hub logic.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import paho.mqtt.client as paho

from seaLink.wire.buffered_client import BufferedClient

__all__ = ["BrokerAddress", "BufferedClient", "PahoAsyncio", "masked_url", "parse_broker_url"]

READ_SLICE_S = 0.005  # the longest one client's socket keeps the loop to itself (checked every 16)


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    websocket: bool = False


def masked_url(url: str) -> str:
    """The URL as logs and messages show it: the password, if any, replaced by ***."""
    try:
        u = urlparse(url)
        if u.password is None:
            return url
        host = u.netloc.rpartition("@")[2]
        return u._replace(netloc=f"{u.username or ''}:***@{host}").geturl()
    except ValueError:
        return "<unparsable URL>"


def parse_broker_url(url: str) -> BrokerAddress:
    """`mqtt://user:pass@host:1883`, `mqtts://...`, `ws://host:port` -> `BrokerAddress`."""
    u = urlparse(url)
    scheme = u.scheme or "mqtt"
    if scheme not in ("mqtt", "mqtts", "tcp", "ssl", "ws", "wss"):
        raise ValueError(f"unsupported broker URL scheme {scheme!r} in {masked_url(url)!r}")
    tls = scheme in ("mqtts", "ssl", "wss")
    ws = scheme in ("ws", "wss")
    default_port = {(False, False): 1883, (True, False): 8883, (False, True): 80, (True, True): 443}
    return BrokerAddress(
        host=u.hostname or "127.0.0.1",
        port=u.port or default_port[(tls, ws)],
        username=unquote(u.username) if u.username else None,
        password=unquote(u.password) if u.password else None,
        tls=tls,
        websocket=ws,
    )


def _buffered(client: paho.Client) -> bool:
    return isinstance(client, BufferedClient) and client.buffered > 0


class PahoAsyncio:
    """Drives paho clients' sockets from the running asyncio loop."""

    def __init__(self, misc_interval_s: float = 1.0) -> None:
        self._loop = asyncio.get_running_loop()
        self._clients: set[paho.Client] = set()
        self._misc_interval = misc_interval_s
        self._misc_task: asyncio.Task[None] | None = None
        self._paused: set[paho.Client] = set()

    def attach(self, client: paho.Client) -> None:
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write
        self._clients.add(client)
        if self._misc_task is None:
            self._misc_task = self._loop.create_task(self._misc(), name="paho-misc")

    def detach(self, client: paho.Client) -> None:
        self._clients.discard(client)
        self._paused.discard(client)

    def pause(self, client: paho.Client) -> None:
        """Stop reading this client's socket (writes and keepalives go on): what the broker sends
        meanwhile waits in the socket and then at the broker, within the session's window."""
        if client in self._paused:
            return
        self._paused.add(client)
        sock = client.socket()
        if sock is not None:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(sock)

    def resume(self, client: paho.Client) -> None:
        if client not in self._paused:
            return
        self._paused.discard(client)
        sock = client.socket()
        if sock is None or client not in self._clients:
            return
        with contextlib.suppress(ValueError, OSError):
            self._loop.add_reader(sock, self._read, client)
        if _buffered(client):  # packets already read off the socket wake no reader
            self._loop.call_soon(self._read, client)

    def close(self) -> None:
        if self._misc_task is not None:
            self._misc_task.cancel()
            self._misc_task = None

    def _on_socket_open(self, client: paho.Client, _userdata: Any, sock: Any) -> None:
        if client not in self._paused:
            self._loop.add_reader(sock, self._read, client)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 2 * 1024 * 1024)

    def _on_socket_close(self, client: paho.Client, _userdata: Any, sock: Any) -> None:
        # The socket may already be closed (fd -1) when the link was cut under us.
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_reader(sock)
            self._loop.remove_writer(sock)

    def _on_register_write(self, client: paho.Client, _userdata: Any, sock: Any) -> None:
        self._loop.add_writer(sock, client.loop_write)

    def _on_unregister_write(self, client: paho.Client, _userdata: Any, sock: Any) -> None:
        self._loop.remove_writer(sock)

    def _read(self, client: paho.Client) -> None:
        # Drain what is waiting in one wake-up, but bounded in time, so one busy client cannot
        # starve the loop: measured on a saturated machine, 256 packets took up to 0.8 s, and
        # every other task waited that long per turn. (paho reads one packet per call.)
        if client in self._paused:
            return
        deadline = time.perf_counter() + READ_SLICE_S
        if isinstance(client, BufferedClient):
            client.read_packets(deadline)
            if client.buffered and client not in self._paused:
                # Packets already read off the socket wake no reader: come back after the others.
                self._loop.call_soon(self._read, client)
            return
        # A plain paho client buffers nothing of its own: what is left stays on the socket, and
        # asyncio calls us again while it is readable.
        for i in range(256):
            if i & 15 == 15 and time.perf_counter() > deadline:
                return
            sock = client.socket()
            if sock is None:
                return
            if client.loop_read() != paho.MQTT_ERR_SUCCESS:
                return
            if not isinstance(sock, socket.socket) or isinstance(sock, ssl.SSLSocket):
                return
            try:
                if not sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                    return
            except OSError:  # BlockingIOError included: nothing waiting
                return

    async def _misc(self) -> None:
        while True:
            await asyncio.sleep(self._misc_interval)
            for client in list(self._clients):
                if client.socket() is not None:
                    client.loop_misc()
