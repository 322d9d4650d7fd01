"""The demo's terminal: the summary stays on screen, the logs go to a file under var/, and one
status line is rewritten in place (on a terminal; elsewhere a plain line every minute). Errors
still reach the screen, each on its own line above the status."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING
from zoneinfo import ZoneInfo

from seaLink.logsafe import FORMAT, OneLineFormatter

if TYPE_CHECKING:
    from seaLink.runtime import Hub

BEIJING = ZoneInfo("Asia/Shanghai")
LIVE_EVERY_S = 2.0
PLAIN_EVERY_S = 60.0
_CLEAR = "\r\x1b[K"


class _AboveStatus(logging.StreamHandler):  # type: ignore[type-arg]
    """An error line printed above the status line, not into it."""

    def __init__(self, stream: IO[str], live: bool) -> None:
        super().__init__(stream)
        self._live = live

    def emit(self, record: logging.LogRecord) -> None:
        if self._live:
            self.stream.write(_CLEAR)
        super().emit(record)


def logs_to_file(path: Path, stream: IO[str] = sys.stderr) -> None:
    """Every log line to `path` (appended); only errors to the screen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(OneLineFormatter(FORMAT))
    root.addHandler(to_file)
    errors = _AboveStatus(stream, stream.isatty())
    errors.setLevel(logging.ERROR)
    errors.setFormatter(OneLineFormatter(FORMAT))
    root.addHandler(errors)


def status_line(hub: Hub, now: datetime, log_path: Path) -> str:
    c = hub.watch.book.counts()
    ingest = hub.ingest.health()
    return (
        f"{now.astimezone(BEIJING):%H:%M:%S} Beijing | boats ok {c.get('ok', 0)}, "
        f"overdue {c.get('overdue', 0)}, lost {c.get('lost', 0)} | "
        f"uplinks stored {ingest['committed']:,}, waiting {ingest['backlog']} | "
        f"store {ingest['writer']} | log {log_path}"
    )


async def show_status(hub: Hub, log_path: Path, stream: IO[str] = sys.stdout) -> None:
    live = stream.isatty()
    try:
        while True:
            line = status_line(hub, hub.clock.now(), log_path)
            stream.write(f"{_CLEAR}{line}" if live else f"{line}\n")
            stream.flush()
            await asyncio.sleep(LIVE_EVERY_S if live else PLAIN_EVERY_S)
    finally:
        if live:  # the shell's prompt on a line of its own, the last status kept above it
            stream.write("\n")
            stream.flush()
