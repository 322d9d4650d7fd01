"""Every Unicode edge over MQTT into a real hub (issue 12, must show: `make fuzz` runs it with
SEALINK_FUZZ_SCALE times the messages): NUL and other control characters, lone surrogates, right-
to-left marks, byte-order marks, combining characters, emoji, 32 KiB strings, in requests,
acknowledgements' crew names, hellos and distress words, among good positions of another boat.
On SQLite and PostgreSQL: 0 stalls, 0 good messages lost, every bad one dead-lettered with a
reason, every one taken stored as it was sent."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store import queries
from seaLink.store.tables import Alert, DeadLetter, FisherRequest
from seaLink.wire.codec import RejectReason
from tests.fuzzing import SCALE
from tests.test_ingest import wait_for
from tests.vessel_client import TestVessel

EDGES = [
    "\x00", "a\x00b", "\x01", "\x07", "\x1b[31m", "\x7f", "\t", "\n", "\r\n",
    "\ud800", "\udfff", "a\ud83db",  # lone surrogates (unpaired halves)
    "\u202e", "\u200f", "\u202dabc\u202c", "\ufeff", "\ufffe", "\uffff",
    "e\u0301", "\u0300", "🚢🆘", "\U0001f3f4\u200d\u2620\ufe0f", "粤南澳渔", "عربى", "\u00a0",
    "x" * 32768, "渔" * 11000, "", " ", "\u3000",
]  # fmt: skip


def _texts(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    pool = [
        chr(c) for c in (0, 1, 8, 9, 10, 13, 27, 127, 0x85, 0x2028, 0x202E, 0xFEFF, 0xD800, 0xDC00)
    ]
    out = list(EDGES)
    while len(out) < n:
        parts = [
            rnd.choice(EDGES) if rnd.random() < 0.3 else rnd.choice(pool)
            for _ in range(rnd.randint(1, 4))
        ]
        parts.insert(
            rnd.randint(0, len(parts)),
            "".join(chr(rnd.randint(0x20, 0x2FFF)) for _ in range(rnd.randint(0, 12))),
        )
        out.append("".join(parts))
    return out[:n]


def _raw(obj: dict[str, Any]) -> bytes:
    # ensure_ascii: lone surrogates travel as JSON escapes, as a buggy terminal would send them
    return json.dumps(obj, ensure_ascii=True).encode()


async def test_every_unicode_edge_in_every_text_field_never_stalls_or_loses_a_message(
    registered: Settings,
) -> None:
    n = 40 * SCALE
    texts = _texts(n, seed=20261206)
    hub = Hub(registered, with_api=False)
    now = datetime.now(UTC)
    async with hub.running():
        prefix = registered.mqtt.prefix
        bad = TestVessel(registered.mqtt.url, "V1", prefix=prefix)
        good = TestVessel(registered.mqtt.url, "V2", prefix=prefix)
        try:
            for i, text in enumerate(texts):
                ts = (now - timedelta(seconds=n - i)).isoformat()
                bad.publish_raw(f"{prefix}/vessels/V1/up/request",
                                _raw({"request_id": f"r{i}", "ts": ts, "category": "other", "text": text}))  # fmt: skip
                if i % 4 == 1:
                    bad.publish_raw(
                        f"{prefix}/vessels/V1/up/hello", _raw({"ts": ts, "terminal": text})
                    )
                if i % 4 == 2:
                    bad.publish_raw(f"{prefix}/vessels/V1/up/ack",
                                    _raw({"msg_id": "none", "state": "read", "ts": ts, "crew": [text]}))  # fmt: skip
                good.publish("position", {"ts": ts, "lat": 23.3, "lon": 117.6 + i * 1e-4})
            good.publish("distress", {"distress_id": "V2-d1", "ts": now.isoformat(), "lat": 23.3,
                                      "lon": 117.6, "text": texts[1]})  # a NUL in a distress's words  # fmt: skip

            async def settled() -> bool:
                return (await queries.count_positions(hub.db, "V2")) == n and hub.ingest.health()[
                    "writer"
                ] == "ok"

            await wait_for(settled, timeout=60 + n)
            await hub.drained(timeout=60)
        finally:
            bad.close()
            good.close()
        assert hub.ingest.health()["writer"] == "ok"
        async with hub.db.engine.connect() as conn:
            stored = {
                r.request_id: r.text
                for r in (await conn.execute(select(FisherRequest.__table__))).all()
            }  # type: ignore[attr-defined]
            letters = (await conn.execute(select(DeadLetter.__table__))).mappings().all()  # type: ignore[attr-defined]
            alerts = (await conn.execute(select(Alert.__table__))).mappings().all()  # type: ignore[attr-defined]
        refused = {_rid(d) for d in letters if d["topic"].endswith("/up/request")}
        # Every request is either stored as sent (stripped of outer white space) or refused.
        assert stored.keys() | refused == {f"r{i}" for i in range(n)}
        assert not (stored.keys() & refused)
        for rid, text in stored.items():
            # As JSON carries it: two surrogate halves in a row are one character (U+10000...).
            sent = json.loads(json.dumps(texts[int(rid[1:])]))
            assert text == sent.strip()
        known = {r.value for r in RejectReason}
        assert {d["reason"] for d in letters} <= known - {"internal_error", "store_refused"}
        for d in letters:
            if d["topic"].endswith("/up/request") and "\x00" in texts[int(_rid(d)[1:])]:
                assert d["reason"] in ("bad_text", "malformed_json", "oversized", "invalid_payload")
        # The distress with a NUL in its words was raised, its words cleaned.
        [distress] = [a for a in alerts if a["vessel_id"] == "V2"]
        assert "\x00" not in distress["data"]


def _rid(letter: Any) -> str:
    """The request id of a refused request (its payload may be cut short in the dead letters)."""
    m = re.search(r'"request_id": "(r\d+)"', _payload(letter))
    assert m, letter["payload"][:200]
    return m[1]


def _payload(letter: Any) -> str:
    p = str(letter["payload"])
    if p.startswith("base64:"):
        import base64

        return base64.b64decode(p[7:]).decode("utf-8", "replace")
    return p
