"""What a gateway reads from and writes to: a serial link or a replay file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol


class ByteSource(Protocol):
    url: str

    @property
    def is_open(self) -> bool: ...

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def write(self, data: bytes) -> None: ...
