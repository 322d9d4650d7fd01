"""What a terminal's crew does with a down message: pure decisions, no I/O.

QoS 1 is at-least-once and the hub replays on every `hello`, so the same msg_id can arrive many
times; the terminal counts every arrival (tests check exactly-once handling from these counts)
but acts once. It confirms delivery at once, is read after a human-like delay (lognormal:
seconds to minutes), confirmed with crew names when `ack = "confirm"`, and a rescue task is
accepted with an ETA or declined. An expired message is never acknowledged at all.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from seaLink.wire import AckState, DownKind, DownMessage

GIVEN_NAMES = ("海生", "建国", "国强", "志明", "伟东", "少雄", "水生", "金龙", "锦平", "振兴")
SURNAMES = "陈林黄李吴蔡郑许张杨"
# (median seconds, sigma) of the lognormal reaction times, in simulated seconds
READ_DELAY = (45.0, 1.0)
CONFIRM_DELAY = (20.0, 0.8)
DECIDE_DELAY = (60.0, 0.7)
DECLINE_SHARE = 0.2


class Outcome(Enum):
    ACT = "act"
    DUPLICATE = "duplicate"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class PlannedAck:
    delay_s: float  # simulated seconds after arrival
    state: AckState
    crew: tuple[str, ...] | None = None
    eta_min: int | None = None
    answers: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Reception:
    outcome: Outcome
    message: DownMessage | None = None
    plan: tuple[PlannedAck, ...] = ()
    detail: str = ""


def as_utc(value: datetime) -> datetime:
    """Hub timestamps should carry an offset; a naive one is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_expired(message: DownMessage, now: datetime) -> bool:
    return message.expires is not None and as_utc(message.expires) <= now


def crew_names(seed: int, index: int, persons: int) -> tuple[str, ...]:
    rng = random.Random(f"crew:{seed}:{index}")
    return tuple(
        rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES) for _ in range(max(1, min(persons, 12)))
    )


class Inbox:
    def __init__(self, seed: int, index: int, crew: tuple[str, ...]) -> None:
        self.crew = crew
        self.received: dict[str, int] = {}
        self.acted: dict[str, int] = {}
        self._seed_key = f"human:{seed}:{index}"
        self._rng_made: random.Random | None = None

    @property
    def _rng(self) -> random.Random:
        # Made on the first message only: most boats of a big fleet never get one in a run.
        if self._rng_made is None:
            self._rng_made = random.Random(self._seed_key)
        return self._rng_made

    def _delay(self, median_s: float, sigma: float) -> float:
        return min(30 * median_s, self._rng.lognormvariate(math.log(median_s), sigma))

    def receive(
        self, payload: bytes, now: datetime, eta_min: Callable[[DownMessage], int]
    ) -> Reception:
        """Decide what to do with one arrival; `eta_min` gives this boat's time to a scene."""
        try:
            message = DownMessage.model_validate_json(payload)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            return Reception(Outcome.INVALID, detail=str(exc).splitlines()[0])
        msg_id = message.msg_id
        self.received[msg_id] = self.received.get(msg_id, 0) + 1
        if msg_id in self.acted:
            return Reception(Outcome.DUPLICATE, message)
        if is_expired(message, now):
            return Reception(Outcome.EXPIRED, message)
        self.acted[msg_id] = 1
        return Reception(Outcome.ACT, message, self._plan(message, eta_min))

    def _plan(
        self, m: DownMessage, eta_min: Callable[[DownMessage], int]
    ) -> tuple[PlannedAck, ...]:
        plan = [PlannedAck(0.0, AckState.DELIVERED)]
        if m.kind in (DownKind.PING, DownKind.DISTRESS_ACK):
            return tuple(plan)  # machine messages: delivery is all the hub needs
        read_at = self._delay(*READ_DELAY)
        plan.append(PlannedAck(read_at, AckState.READ))
        if m.kind is DownKind.RESCUE_TASK:
            decide_at = read_at + self._delay(*DECIDE_DELAY)
            if self._rng.random() < DECLINE_SHARE:
                plan.append(PlannedAck(decide_at, AckState.DECLINED))
            else:
                plan.append(PlannedAck(decide_at, AckState.ACCEPTED, eta_min=eta_min(m)))
        elif m.ack == "confirm":
            signers = self._rng.randint(1, min(3, len(self.crew)))
            crew = tuple(self.crew[:signers]) if self._rng.random() < 0.8 else None
            answers = self._answers(m)
            plan.append(
                PlannedAck(
                    read_at + self._delay(*CONFIRM_DELAY),
                    AckState.ACKNOWLEDGED,
                    crew,
                    None,
                    answers,
                )
            )
        return tuple(plan)

    def _answers(self, m: DownMessage) -> tuple[str, ...] | None:
        """A training quiz (`questions`, kind-specific) is answered in question order."""
        questions = (m.model_extra or {}).get("questions")
        if m.kind is not DownKind.TRAINING or not isinstance(questions, list):
            return None
        return tuple(self._rng.choice("ABCD") for _ in questions[:200])
