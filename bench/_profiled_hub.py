"""`sealink hub` with a deterministic profiler of its event loop's thread, switched on by SIGUSR1
and off by SIGUSR2, which also writes the statistics to `$SEALINK_BENCH_PROFILE` (read them with
`python -m pstats FILE`). A benchmark profiles only the window it measures: a sampled profile
(py-spy) spreads a broadcast's time thinly over many places; call counts say which are worth it."""

from __future__ import annotations

import cProfile
import os
import signal
import sys
from types import FrameType

from seaLink.cli import main

_profile = cProfile.Profile()


def _on(_sig: int, _frame: FrameType | None) -> None:
    _profile.enable()


def _off(_sig: int, _frame: FrameType | None) -> None:
    _profile.disable()
    _profile.dump_stats(os.environ["SEALINK_BENCH_PROFILE"])


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _on)
    signal.signal(signal.SIGUSR2, _off)
    sys.exit(main(["hub"]))
