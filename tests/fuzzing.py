"""Hypothesis settings for the property-based tests of every decoder.

`make test` runs each with its own modest number of examples; `make fuzz` scales them all up with
SEALINK_FUZZ_SCALE (a multiplier), so the long run and the quick run are the same tests.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SCALE = max(1, int(os.environ.get("SEALINK_FUZZ_SCALE", "1")))


def fuzz_settings(examples: int) -> settings:
    """`examples` in the quick run, `examples * SEALINK_FUZZ_SCALE` in `make fuzz`."""
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
