"""The shore's Beidou command terminal on a pty, for the Beidou gateway to drive.

    python -m simulators.beidou_pty --family 4.0 --card 4207733 --interval 60

It speaks one family (2.1, 4.0 text or bd1 binary), answers card queries, and keeps its card's
rules as a real terminal does: a send within the service interval is refused "too soon" with the
remaining wait, a message longer than the card's level allows is refused, and an inhibited
terminal refuses everything. Accepted messages go to the boats' terminals through a
`BeidouNetwork`; what boats send comes out as $BDTXR / $BDTCI / $TXXX.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys

from gateway.beidou.binary_family import BinaryFamily
from gateway.beidou.content import ContentMode
from gateway.beidou.events import CardInfo, CardQuery, Feedback, Received, SendCommand
from gateway.beidou.family import make_family
from gateway.beidou.text_family import Family21, Family40
from gateway.clock import Clock, SystemClock
from seaLink.wire.gateway import FeedbackResult
from simulators.ais_pty import PtyPort
from simulators.beidou_terminal import BeidouNetwork


class ShoreTerminalPty:
    def __init__(
        self,
        family: str,
        card: str,
        network: BeidouNetwork,
        clock: Clock,
        *,
        interval_s: float = 60.0,
        level: int = 3,
        max_bits: int | None = None,
        raw_chinese: bool = False,
    ) -> None:
        self.family = make_family(family)
        self.card = card
        self._network = network
        self._clock = clock
        self.interval_s = interval_s
        self.level = level
        self.max_bits = max_bits or self.family.max_bits(level)
        self.raw_chinese = raw_chinese
        self.inhibited = False
        self.silent = False  # a terminal that stops answering (feedback timeouts)
        self.port = PtyPort()
        self._next_allowed = clock.monotonic() - interval_s
        self._out: asyncio.Queue[bytes] = asyncio.Queue()
        self.commands: list[SendCommand] = []
        self.command_times: list[float] = []  # the clock's monotonic time of each send command
        self.refusals: list[Feedback] = []
        self.card_queries = 0
        self.feedbacks = 0  # feedback sentences written to the host (answers to send commands)
        network.attach(card, self.deliver)

    @property
    def path(self) -> str:
        return self.port.path

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.port.master, self._readable)
        try:
            while True:
                await self.port.write(await self._out.get())
        finally:
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(self.port.master)

    def close(self) -> None:
        self.port.close()

    # -- what the host asks ----------------------------------------------------------------------

    def _readable(self) -> None:
        data = self.port.read_nowait()
        for event in self.family.feed(data):
            if isinstance(event, CardQuery):
                self.card_queries += 1
                self._emit(self._card_info())
            elif isinstance(event, SendCommand):
                self._on_send(event)

    def _on_send(self, cmd: SendCommand) -> None:
        if self.silent:
            return
        now = self._clock.monotonic()
        self.commands.append(cmd)
        self.command_times.append(now)
        name = self.family.send_name
        if self.inhibited:
            self._refuse(Feedback(name, FeedbackResult.INHIBITED, 0.0, "", "inhibited"))
            return
        if now < self._next_allowed:
            remaining = float(math.ceil(self._next_allowed - now))
            self._refuse(Feedback(name, FeedbackResult.TOO_SOON, remaining, "", "too soon"))
            return
        if len(cmd.content) * 8 > self.max_bits:
            self._refuse(Feedback(name, FeedbackResult.FAILED, 0.0, "", "too long"))
            return
        self._next_allowed = now + self.interval_s
        self._network.send(self.card, cmd.card, cmd.mode, cmd.content)
        wait = self.interval_s if isinstance(self.family, Family21) else 0.0
        self._emit(self._feedback(Feedback(name, FeedbackResult.OK, wait)))

    def hold_off(self, seconds: float) -> None:
        """As if the terminal had just sent something else: no send for `seconds`."""
        self._next_allowed = self._clock.monotonic() + seconds

    def _refuse(self, fb: Feedback) -> None:
        self.refusals.append(fb)
        self._emit(self._feedback(fb))

    # -- what the terminal says --------------------------------------------------------------------

    def deliver(self, sender: str, mode: ContentMode, content: bytes, urgent: bool = False) -> None:
        """A boat's message has arrived for this card. `urgent` (the boat's alarm) shows only
        in the 2.1 family's `$BDTXR` (information type 2); 4.0 and bd1 have no such field."""
        now = self._clock.now()
        family = self.family
        if isinstance(family, Family21):
            rx = Received(sender, mode, content, None, urgent=urgent)
            self._emit(family.received(rx, raw_chinese=self.raw_chinese))
        elif isinstance(family, Family40):
            rx = Received(sender, mode, content, now.strftime("%H%M%S"), self.card)
            self._emit(family.received(rx, raw_chinese=self.raw_chinese))
        else:
            self._emit(
                family.received(Received(sender, mode, content, now.strftime("%H%M")), self.card)
            )

    def _card_info(self) -> bytes:
        info = CardInfo(self.card, self.interval_s, self.level, self.max_bits)
        return self.family.card_info(info)

    def _feedback(self, fb: Feedback) -> bytes:
        self.feedbacks += 1
        family = self.family
        if isinstance(family, Family40):
            return family.feedback(fb, self._clock.now().strftime("%H%M%S"))
        if isinstance(family, BinaryFamily):
            return family.feedback(fb, self.card)
        return family.feedback(fb)

    def _emit(self, data: bytes) -> None:
        self._out.put_nowait(data)


async def _main(args: argparse.Namespace) -> None:
    network = BeidouNetwork()
    terminal = ShoreTerminalPty(
        args.family, args.card, network, SystemClock(), interval_s=args.interval, level=args.level
    )
    print(terminal.path, flush=True)
    try:
        await terminal.run()
    finally:
        terminal.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.beidou_pty", description=__doc__)
    parser.add_argument("--family", choices=("2.1", "4.0", "bd1"), default="2.1")
    parser.add_argument("--card", default="4207733")
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--level", type=int, default=3)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
