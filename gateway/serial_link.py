"""A serial port by URL that reopens itself: real devices, ptys, `socket://`, `rfc2217://`...

Device paths and `socket://` run on asyncio directly (pyserial-asyncio-fast). URL handlers that
have no file descriptor to watch (`rfc2217://`, `loop://`, ...) are read by pyserial in a worker
thread with a short timeout. Either way the port is reopened after any error, with exponential
backoff, and bad moments never end the read loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Protocol
from urllib.parse import urlparse

import serial
import serial_asyncio_fast

from gateway.clock import Clock, SystemClock
from seaLink.wire.backoff import Backoff

log = logging.getLogger(__name__)

_ASYNC_SCHEMES = ("", "socket", "file")


class PortClosed(ConnectionError):
    """A write while the port is not open."""


class _Port(Protocol):
    async def read(self) -> bytes: ...

    async def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class _AsyncPort:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self) -> bytes:
        return await self._reader.read(65536)

    async def write(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.close()


class _ThreadPort:
    def __init__(self, port: serial.SerialBase) -> None:
        self._port = port

    async def read(self) -> bytes:
        while True:
            data: bytes = await asyncio.to_thread(self._port.read, 4096)
            if data:
                return data

    async def write(self, data: bytes) -> None:
        await asyncio.to_thread(self._port.write, data)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._port.close()


async def open_port(url: str, baudrate: int) -> _Port:
    """Open once; raises OSError/SerialException when the port is not there."""
    scheme = urlparse(url).scheme
    if scheme in _ASYNC_SCHEMES or len(scheme) == 1:  # a drive letter is not a scheme
        reader, writer = await serial_asyncio_fast.open_serial_connection(
            url=url, baudrate=baudrate
        )
        return _AsyncPort(reader, writer)
    port = await asyncio.to_thread(serial.serial_for_url, url, baudrate=baudrate, timeout=0.2)
    return _ThreadPort(port)


class SerialLink:
    """Reads chunks from a port forever, reopening it with backoff; writes while it is open."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 38400,
        clock: Clock | None = None,
        on_state: Callable[[bool], None] | None = None,
        min_backoff_s: float = 0.2,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.url = url
        self._baudrate = baudrate
        self._clock = clock or SystemClock()
        self.on_state = on_state
        self._min_backoff = min_backoff_s
        self._max_backoff = max_backoff_s
        self._port: _Port | None = None
        self.opened = asyncio.Event()
        self.opens = 0
        self.failures = 0

    @property
    def is_open(self) -> bool:
        return self._port is not None

    async def chunks(self) -> AsyncIterator[bytes]:
        """Bytes as they come, across reopenings; ends only when cancelled."""
        backoff = Backoff(self._min_backoff, self._max_backoff)
        while True:
            try:
                port = await open_port(self.url, self._baudrate)
            except (OSError, serial.SerialException, ValueError) as exc:
                self.failures += 1
                delay = backoff.next()
                log.warning("port %s: cannot open (%s); retry in %.1f s", self.url, exc, delay)
                await self._clock.sleep(delay)
                continue
            self._set(port)
            backoff.reset()
            try:
                while True:
                    data = await port.read()
                    if not data:
                        raise ConnectionError("end of stream")
                    yield data
            except (OSError, serial.SerialException, ConnectionError) as exc:
                self.failures += 1
                log.warning("port %s: lost (%s); reopening", self.url, exc)
            finally:
                self._set(None)
                port.close()
            await backoff.wait(self._clock.sleep)

    async def write(self, data: bytes) -> None:
        port = self._port
        if port is None:
            raise PortClosed(f"port {self.url} is not open")
        try:
            await port.write(data)
        except (OSError, serial.SerialException) as exc:
            raise PortClosed(f"port {self.url}: {exc}") from exc

    def _set(self, port: _Port | None) -> None:
        self._port = port
        if port is not None:
            self.opens += 1
            self.opened.set()
        else:
            self.opened.clear()
        if self.on_state is not None:
            self.on_state(port is not None)
