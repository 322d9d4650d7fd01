"""Short references for long message ids, to save Beidou bytes.

A down message's id travels as is when it is short (at most 8 characters); a longer one travels as
`:` + a base-36 counter (ids may use letters, digits and `_.:-`), and the boat's ack (which echoes the reference) is mapped back here. The
table lives in the gateway's memory: an ack that comes back after a gateway restart keeps its
reference as the message id.
"""

from __future__ import annotations

import re
from collections import OrderedDict

_SHORT = re.compile(r"^[A-Za-z0-9_.:-]{1,8}$")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


class IdTable:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._by_ref: OrderedDict[str, str] = OrderedDict()
        self._by_id: dict[str, str] = {}
        self._next = 1
        self._max = max_entries

    def ref_for(self, msg_id: str) -> str:
        if _SHORT.match(msg_id) and not msg_id.startswith(":"):
            return msg_id
        ref = self._by_id.get(msg_id)
        if ref is None:
            ref = ":" + _base36(self._next)
            self._next += 1
            self._by_ref[ref] = msg_id
            self._by_id[msg_id] = ref
            while len(self._by_ref) > self._max:
                _old_ref, old_id = self._by_ref.popitem(last=False)
                self._by_id.pop(old_id, None)
        return ref

    def resolve(self, ref: str) -> str:
        return self._by_ref.get(ref, ref)


def _base36(n: int) -> str:
    out = ""
    while True:
        n, d = divmod(n, 36)
        out = _DIGITS[d] + out
        if n == 0:
            return out
