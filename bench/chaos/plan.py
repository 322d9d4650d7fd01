"""What a chaos run does and when: the knobs, and a seeded timeline drawn from them."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChaosConfig:
    vessels: int = 1000
    hubs: int = 2  # more than one runs them in cluster mode (shared subscriptions, leases)
    duration_s: float = 300.0  # the chaos phase; then the run settles and checks
    hub_kills: int = 8
    broker_restarts: int = 2
    pg_restarts: int = 1
    distresses: int = 20
    broadcasts: int = 6
    report_s: float = 10.0  # each vessel's fix interval
    flap_every_s: float = 90.0  # mean time between one vessel's lost links
    down_s: tuple[float, float] = (2.0, 20.0)
    distress_repeat_s: float = 10.0  # the protocol says 30 s; shorter makes a shorter run
    hub_down_s: tuple[float, float] = (1.0, 6.0)  # a killed hub stays dead this long
    settle_timeout_s: float = 300.0
    seed: int = 1
    # Terminals send again an uplink acknowledged with "no matching subscribers" (see terminals).
    resend_no_subscribers: bool = True


@dataclass(frozen=True, slots=True)
class Action:
    at: float  # seconds after the chaos phase began
    kind: str  # hub_kill / broker_restart / pg_restart / broadcast / distress
    arg: int = 0  # hub index, broadcast number, distress number


def timeline(cfg: ChaosConfig) -> list[Action]:
    """Every disruption and every coordinator or crew action, at seeded random moments.

    Disruptions fall in the first 85 % of the phase, so that the last ones are also recovered
    from while the fleet still flaps; broadcasts and distresses start early enough to meet them.
    """
    rng = random.Random(cfg.seed)
    d = cfg.duration_s

    def moments(n: int, lo: float, hi: float) -> list[float]:
        return sorted(rng.uniform(lo * d, hi * d) for _ in range(n))

    acts = [
        Action(t, "hub_kill", rng.randrange(cfg.hubs)) for t in moments(cfg.hub_kills, 0.05, 0.85)
    ]
    acts += [Action(t, "broker_restart") for t in moments(cfg.broker_restarts, 0.15, 0.8)]
    acts += [Action(t, "pg_restart") for t in moments(cfg.pg_restarts, 0.3, 0.7)]
    acts += [Action(t, "broadcast", i) for i, t in enumerate(moments(cfg.broadcasts, 0.05, 0.75))]
    acts += [Action(t, "distress", i) for i, t in enumerate(moments(cfg.distresses, 0.05, 0.8))]
    return sorted(acts, key=lambda a: a.at)
