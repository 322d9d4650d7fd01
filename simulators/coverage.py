"""Whether a terminal's 4G/5G link works at a given distance from shore.

Near the ports the link is up. Beyond the coverage radius it drops with some probability each
report interval and comes back now and then (a passing satellite window, a neighbour's relay),
and always once the boat is within range again. Deterministic per vessel: one random draw per
interval, whatever the outcome, so the sequence never shifts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CoverageSettings:
    radius_nm: float = 25.0
    drop_probability: float = 0.3
    regain_probability: float = 0.15

    def __post_init__(self) -> None:
        if self.radius_nm < 0:
            raise ValueError("coverage radius_nm must be >= 0")
        for name in ("drop_probability", "regain_probability"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"coverage {name} must be within 0..1, got {value}")


_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


class SplitMix64:
    """A deterministic stream of uniform numbers in 28 bytes of state.

    `random.Random` carries 2.5 KB of Mersenne Twister state; at thousands of vessels per process
    a per-vessel stream this small matters, and link drops need no better statistics.
    """

    def __init__(self, key: str) -> None:
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        self._state = int.from_bytes(digest, "little")

    def random(self) -> float:
        self._state = (self._state + _GOLDEN) & _MASK64
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return ((z ^ (z >> 31)) >> 11) / float(1 << 53)


class CoverageModel:
    def __init__(self, settings: CoverageSettings, seed: int, index: int) -> None:
        self.settings = settings
        self._rng = SplitMix64(f"coverage:{seed}:{index}")

    def link_up(self, was_up: bool, dist_from_port_nm: float) -> bool:
        """The link's state for the next interval."""
        draw = self._rng.random()
        if dist_from_port_nm <= self.settings.radius_nm:
            return True
        if was_up:
            return draw >= self.settings.drop_probability
        return draw < self.settings.regain_probability
