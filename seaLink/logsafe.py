"""Log lines that say what happened and nothing else (issue 12.6).

Every message is one line: the control characters that someone else's text may carry (a
training title with a newline, a vessel name with a carriage return, an ANSI escape) are shown
escaped (`\\n`, `\\x1b`), so nobody can forge a log line through what they type. A traceback
still spans its lines (it is ours, not theirs). Secrets are never passed to a log call: broker
URLs are logged through `seaLink.wire.mqtt.masked_url`, the store's with its password hidden.
"""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{ord(ch):02x}" if ord(ch) < 256
                                                      else f"\\u{ord(ch):04x}")  # fmt: skip


def one_line(text: str) -> str:
    return _CONTROL.sub(_escape, text)


class OneLineFormatter(logging.Formatter):
    """A formatter whose messages cannot span lines (the traceback after them still does)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)


def setup(level: str | int, fmt: str = FORMAT) -> None:
    """Log to stderr at `level`, one line per message."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(fmt))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # Alembic narrates its import and each step at INFO; `sealink db` says what it did itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    root.setLevel(
        level if isinstance(level, int) else getattr(logging, level.upper(), logging.INFO)
    )
