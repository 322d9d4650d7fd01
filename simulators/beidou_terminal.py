"""Beidou terminals of simulated boats, and the satellite link between cards.

A `BoatTerminal` has a card with a service interval and a length limit, like the shore's; it
splits long texts into parts and joins received parts. A `SimulatedBoat` is the crew: it reads
down messages in the compact text form and answers as the protocol expects (read receipts,
accepting rescue tasks, stopping a distress once acknowledged), and sends positions, distress
alerts and requests. Time comes from an injected clock: tests move it by hand.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.beidou import compact
from gateway.beidou.content import ContentMode, decode_text, unwrap, wrap
from gateway.beidou.segments import Joiner, split_text
from gateway.clock import Clock
from seaLink.wire.payloads import (
    AckPayload,
    AckState,
    DistressNature,
    DistressPayload,
    DownKind,
    Fix,
    RequestPayload,
)

log = logging.getLogger(__name__)

# (sender, mode, content, urgent): urgent is the 特快 class a terminal's alarm key sends in.
Deliver = Callable[[str, ContentMode, bytes, bool], None]


class BeidouNetwork:
    """Carries a message from one card to another (what the satellites do), at once."""

    def __init__(self) -> None:
        self._cards: dict[str, Deliver] = {}
        self.carried: list[tuple[str, str, ContentMode, bytes]] = []
        self.groups: dict[str, list[str]] = {}  # broadcast address -> the cards it reaches

    def attach(self, card: str, deliver: Deliver) -> None:
        self._cards[card] = deliver

    def send(
        self, sender: str, recipient: str, mode: ContentMode, content: bytes, urgent: bool = False
    ) -> bool:
        if recipient in self.groups:  # 通播: one send, every card of the group receives it
            self.carried.append((sender, recipient, mode, content))
            for card in self.groups[recipient]:
                if card in self._cards:
                    self._cards[card](sender, mode, content, urgent)
            return True
        deliver = self._cards.get(recipient)
        if deliver is None:
            return False
        self.carried.append((sender, recipient, mode, content))
        deliver(sender, mode, content, urgent)
        return True


class BoatTerminal:
    """A boat's Beidou terminal. `run()` sends queued parts no faster than the card allows."""

    def __init__(
        self,
        card: str,
        network: BeidouNetwork,
        clock: Clock,
        *,
        interval_s: float = 60.0,
        max_bytes: int = 78,
    ) -> None:
        self.card = card
        self._network = network
        self._clock = clock
        self.interval_s = interval_s
        self.max_bytes = max_bytes
        self._outbox: deque[tuple[str, bytes, bool]] = deque()
        self._queued = asyncio.Event()
        self._joiner = Joiner()
        self._refs = itertools.count(1)
        self._next_at = clock.monotonic()
        self.inbox: list[tuple[str, str]] = []
        self.on_text: Callable[[str, str], None] | None = None
        self.sent_parts = 0
        network.attach(card, self._deliver)

    def send_text(self, recipient: str, text: str, urgent: bool = False) -> int:
        """Queue a text (split if longer than the card allows); returns the number of parts.
        `urgent`: sent in the 特快 class, as the terminal's alarm key does."""
        parts = split_text(text, self.max_bytes - 1, next(self._refs))
        for part in parts:
            self._outbox.append((recipient, wrap(ContentMode.MIXED, part), urgent))
        self._queued.set()
        return len(parts)

    @property
    def queued(self) -> int:
        return len(self._outbox)

    async def run(self) -> None:
        while True:
            while not self._outbox:
                self._queued.clear()
                await self._queued.wait()
            wait = self._next_at - self._clock.monotonic()
            if wait > 0:
                await self._clock.sleep(wait)
                continue
            recipient, content, urgent = self._outbox.popleft()
            self._network.send(self.card, recipient, ContentMode.MIXED, content, urgent)
            self.sent_parts += 1
            self._next_at = self._clock.monotonic() + self.interval_s

    def _deliver(self, sender: str, mode: ContentMode, content: bytes, _urgent: bool) -> None:
        joined = self._joiner.feed(sender, unwrap(mode, content), self._clock.monotonic())
        if joined is None:
            return
        text = decode_text(joined.data)
        if text is None:
            log.warning("boat %s: undecodable message from %s", self.card, sender)
            return
        self.inbox.append((sender, text))
        if self.on_text is not None:
            self.on_text(sender, text)


@dataclass(slots=True)
class Position:
    lat: float
    lon: float
    sog: float = 3.0
    cog: float = 90.0


@dataclass(slots=True)
class SimulatedBoat:
    """The crew of one boat, answering the shore over its Beidou terminal."""

    terminal: BoatTerminal
    shore_card: str
    clock: Clock
    position: Position
    eta_min: int = 25
    # When set, a message asking for confirmation is answered as a crew on a plain terminal
    # would: typed, `<ref> <typed_answer>` (`回 6`: returning, 6 aboard), not the compact form.
    typed_answer: str | None = None
    received: list[compact.DownDecoded] = field(default_factory=list)
    acked_distress: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.terminal.on_text = self._on_text

    # -- what the crew sends --------------------------------------------------------------------

    def report_position(self, fixes: list[Fix] | None = None) -> int:
        here = fixes or [
            Fix(
                ts=self.clock.now(),
                lat=self.position.lat,
                lon=self.position.lon,
                sog=self.position.sog,
                cog=self.position.cog,
            )
        ]
        return self._send(compact.encode_up(here))

    def raise_distress(
        self, nature: DistressNature = DistressNature.FLOODING, persons: int = 5, text: str = ""
    ) -> str:
        distress_id = f"D{self.terminal.card}-{next(self._ids)}"
        alert = DistressPayload(
            distress_id=distress_id,
            ts=self.clock.now(),
            lat=self.position.lat,
            lon=self.position.lon,
            nature=nature,
            persons=persons,
            text=text or None,
        )
        self._send(compact.encode_up(alert))
        return distress_id

    def make_request(self, category: str, text: str) -> str:
        request_id = f"R{self.terminal.card}-{next(self._ids)}"
        request = RequestPayload(
            request_id=request_id, ts=self.clock.now(), category=category, text=text
        )
        self._send(compact.encode_up(request))
        return request_id

    def ack(
        self, msg_id: str, state: AckState, text: str | None = None, eta: int | None = None
    ) -> int:
        payload = AckPayload(
            msg_id=msg_id, state=state, ts=self.clock.now(), text=text, eta_min=eta
        )
        return self._send(compact.encode_up(payload))

    def type_text(self, text: str, urgent: bool = False) -> int:
        """What the crew keys in by hand (a typed reply, `SOS 5 机舱进水`); `urgent`: sent in
        the 特快 class, as some crews send everything in a hurry."""
        return self.terminal.send_text(self.shore_card, text, urgent=urgent)

    def press_alarm(self, text: str = "遇险报警", with_position: bool = False) -> int:
        """The terminal's alarm key: an urgent-class (特快) message to the shore card, carrying
        the terminal's preset text, or its position in the compact form when it has a fix."""
        if with_position:
            fix = Fix(ts=self.clock.now(), lat=self.position.lat, lon=self.position.lon)
            text = compact.encode_up([fix])
        return self.terminal.send_text(self.shore_card, text, urgent=True)

    def _send(self, text: str) -> int:
        return self.terminal.send_text(self.shore_card, text)

    # -- what the crew does with what it receives -----------------------------------------------

    def _on_text(self, _sender: str, text: str) -> None:
        down = compact.decode_down(text)
        if isinstance(down, compact.CompactError):
            return
        self.received.append(down)
        if down.kind is DownKind.DISTRESS_ACK:
            self.acked_distress.add(str(down.extra.get("distress_id", "")))
        elif down.kind is DownKind.RESCUE_TASK:
            self.ack(down.msg_id, AckState.ACCEPTED, "马上赶到", eta=self.eta_min)
        elif down.ack == "confirm" and self.typed_answer:
            self.type_text(f"{down.msg_id} {self.typed_answer}")
        elif down.ack == "confirm":
            self.ack(down.msg_id, AckState.ACKNOWLEDGED, "收到")
        elif down.ack == "read":
            self.ack(down.msg_id, AckState.READ)

    def expired(self, down: compact.DownDecoded) -> bool:
        return down.expires is not None and down.expires < self.clock.now()
