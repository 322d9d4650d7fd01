"""Driving one Beidou terminal: read its card at start, send from the queue at the card's pace,
and route what the terminal says (messages, feedback, card information).

One command is in flight at a time: a send waits for its feedback (or a timeout) before the next.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from gateway.beidou.content import ContentMode, wrap
from gateway.beidou.events import (
    CardInfo,
    CardQuery,
    Feedback,
    Other,
    Received,
    Rejected,
    SendCommand,
    TerminalEvent,
)
from gateway.beidou.family import Family
from gateway.beidou.segments import TooLong, split_bytes, split_text
from gateway.beidou.send_queue import OutboundJob, Pacer, SendQueue
from gateway.clock import Clock
from gateway.counters import Counters
from gateway.serial_link import PortClosed
from seaLink.wire.backoff import Backoff
from seaLink.wire.gateway import FeedbackResult

log = logging.getLogger(__name__)

Writer = Callable[[bytes], Awaitable[None]]
# Feedback naming one of these answers another command, not the send in flight. Anything else
# (the send's own name, or what a terminal puts there instead) answers the send: only one command
# is in flight at a time.
NOT_SEND_COMMANDS = frozenset({"ICA", "ICR", "ICJC", "DWA", "DWSQ", "RMO", "ZDC", "PRS", "YPS"})
ResultHandler = Callable[[OutboundJob, bool, str | None, str | None], None]
# A terminal that does not answer the card query is asked again after 1 s, doubling to a minute.
CARD_QUERY_FIRST_S = 1.0
CARD_QUERY_MAX_S = 60.0


async def wait_event(event: asyncio.Event, timeout_s: float, clock: Clock) -> bool:
    """True if `event` is set within `timeout_s` of `clock`'s time."""
    if event.is_set():
        return True
    waiter = asyncio.create_task(event.wait(), name="beidou-wait-event")
    timer = asyncio.create_task(clock.sleep(timeout_s), name="beidou-wait-timeout")
    try:
        await asyncio.wait([waiter, timer], return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        timer.cancel()
    return event.is_set()


class TerminalSession:
    def __init__(
        self,
        family: Family,
        write: Writer,
        clock: Clock,
        counters: Counters,
        *,
        on_received: Callable[[Received], None],
        on_feedback: Callable[[Feedback, OutboundJob | None], None],
        on_result: ResultHandler,
        on_card: Callable[[CardInfo], None] | None = None,
        interval_override_s: float | None = None,
        max_bytes_override: int | None = None,
        feedback_timeout_s: float = 10.0,
        card_timeout_s: float = 5.0,
        max_attempts: int = 3,
        max_too_soon: int = 20,
    ) -> None:
        self.family = family
        self._write = write
        self._clock = clock
        self.counters = counters
        self._on_received = on_received
        self._on_feedback = on_feedback
        self._on_result = on_result
        self._on_card = on_card
        self._interval_override = interval_override_s
        self._max_bytes_override = max_bytes_override
        self._feedback_timeout = feedback_timeout_s
        self._card_timeout = card_timeout_s
        self._max_attempts = max_attempts
        self._max_too_soon = max_too_soon
        self.card: CardInfo | None = None
        self.card_known = asyncio.Event()
        self._need_card = asyncio.Event()
        self._need_card.set()
        self.queue = SendQueue()
        self.pacer = Pacer(clock)
        self._in_flight: OutboundJob | None = None
        self._feedback: Feedback | None = None
        self._feedback_arrived = asyncio.Event()
        self._segment_ref = 0

    # -- limits ------------------------------------------------------------------------------

    @property
    def interval_s(self) -> float | None:
        if self._interval_override is not None:
            return self._interval_override
        return None if self.card is None else self.card.interval_s

    @property
    def max_bytes(self) -> int | None:
        if self._max_bytes_override is not None:
            return self._max_bytes_override
        return None if self.card is None else self.card.max_bytes

    # -- input from the terminal -----------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        for event in self.family.feed(chunk):
            self.handle(event)

    def handle(self, event: TerminalEvent) -> None:
        if isinstance(event, Received):
            self.counters.inc("beidou_received")
            self._on_received(event)
        elif isinstance(event, Feedback):
            self.counters.inc(f"beidou_feedback.{event.result.value}")
            job = self._in_flight
            if job is not None and event.command not in NOT_SEND_COMMANDS:
                self._feedback = event
                self._feedback_arrived.set()
            self._on_feedback(event, job)
        elif isinstance(event, CardInfo):
            self.card = event
            self.pacer.interval_s = self.interval_s or event.interval_s
            self.card_known.set()
            self._need_card.clear()
            log.info(
                "beidou: card %s, interval %.0f s, %d bytes",
                event.card,
                event.interval_s,
                event.max_bytes,
            )
            if self._on_card is not None:
                self._on_card(event)
        elif isinstance(event, Rejected):
            self.counters.reject(event.reason)
        elif isinstance(event, Other):
            self.counters.inc("other_sentences")
        elif isinstance(event, SendCommand | CardQuery):
            self.counters.reject("echoed_command")  # our own command read back: a looped line

    def port_reopened(self) -> None:
        """A new port may hold a new terminal (or card): read the card again."""
        self.card_known.clear()
        self._need_card.set()

    # -- output to the terminal ------------------------------------------------------------------

    def submit(self, job: OutboundJob) -> None:
        self.queue.put(job)
        self.counters.inc("beidou_tx_queued")

    def withdraw(self, request_id: str) -> bool:
        """Drop a queued job none of whose parts has gone out; False if there is none such."""
        for job in self.queue.jobs():
            if job.request_id == request_id:
                if job.next_part > 0 or job is self._in_flight:
                    return False
                self.queue.remove(job)
                return True
        return False

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._read_card(), name="beidou-read-card")
            tg.create_task(self._send_loop(), name="beidou-send")

    async def _read_card(self) -> None:
        backoff = Backoff(CARD_QUERY_FIRST_S, CARD_QUERY_MAX_S)
        while True:
            await self._need_card.wait()
            try:
                await self._write(self.family.card_query())
            except PortClosed:
                await self._clock.sleep(1.0)
                continue
            if await wait_event(self.card_known, self._card_timeout, self._clock):
                backoff.reset()
                continue
            self.counters.inc("beidou_card_query_timeouts")
            await backoff.wait(self._clock.sleep)

    async def _send_loop(self) -> None:
        while True:
            await self.card_known.wait()
            await self.queue.wait_for_job()
            delay = self.pacer.delay()
            if delay > 0:
                await self._clock.sleep(delay)
                continue
            job = self.queue.best()
            if job is None:
                continue
            if job.expires is not None and self._clock.now() >= job.expires:
                self._finish(job, False, "expired", "expired before it could be sent")
                continue
            if not job.parts and not self._split(job):
                continue
            await self._send_part(job)

    def _split(self, job: OutboundJob) -> bool:
        limit = self.max_bytes or 0
        self._segment_ref += 1
        try:
            if job.text is not None:
                room = limit - 1  # the mixed-mode marker byte
                parts = split_text(job.text, room, self._segment_ref)
                short_text = job.shorten(room) if len(parts) > 1 and job.shorten else None
                if short_text is not None:
                    short = split_text(short_text, room, self._segment_ref)
                    if len(short) < len(parts):  # one message of the card's length if it can
                        parts = short
                        self.counters.inc("beidou_compact_templates")
                if len(parts) > 1 and job.mode is ContentMode.CHINESE:
                    job.mode = ContentMode.MIXED  # part headers are ASCII
                job.parts = [wrap(job.mode, p) for p in parts]
            else:
                job.parts = split_bytes(job.data or b"", limit, self._segment_ref)
        except TooLong as exc:
            self._finish(job, False, "too_long", str(exc))
            return False
        if len(job.parts) > 1:
            self.counters.inc("beidou_split_messages")
        return True

    async def _send_part(self, job: OutboundJob) -> None:
        part = job.parts[job.next_part]
        command = self.family.send_command(job.card, job.mode, part)
        self._feedback = None
        self._feedback_arrived.clear()
        self._in_flight = job
        try:
            await self._write(command)
        except PortClosed:
            self._in_flight = None
            self.counters.inc("beidou_port_closed_on_send")
            await self._clock.sleep(1.0)
            return
        self.counters.inc("beidou_commands_sent")
        await wait_event(self._feedback_arrived, self._feedback_timeout, self._clock)
        self._in_flight = None
        self._after_feedback(job, part, self._feedback)

    def _after_feedback(self, job: OutboundJob, part: bytes, fb: Feedback | None) -> None:
        if fb is None:
            job.attempts += 1
            self.counters.inc("beidou_feedback_timeouts")
            if job.attempts >= self._max_attempts:
                self._finish(job, False, "no_feedback", "the terminal never answered")
            return
        if fb.result is FeedbackResult.OK:
            self.pacer.sent(fb.wait_s)
            job.next_part += 1
            job.bytes_sent += len(part)
            job.attempts = 0
            if job.done:
                self._finish(job, True, None, None)
        elif fb.result is FeedbackResult.TOO_SOON:
            self.pacer.too_soon(fb.wait_s)
            job.too_soon += 1
            if job.too_soon >= self._max_too_soon:
                self._finish(job, False, "too_soon", f"refused {job.too_soon} times as too soon")
        else:
            job.attempts += 1
            self.pacer.hold(self.pacer.interval_s)
            if job.attempts >= self._max_attempts:
                reason = "inhibited" if fb.result is FeedbackResult.INHIBITED else "terminal_failed"
                self._finish(job, False, reason, fb.detail or fb.code)

    def _finish(self, job: OutboundJob, sent: bool, reason: str | None, detail: str | None) -> None:
        self.queue.remove(job)
        self.counters.inc("beidou_tx_sent" if sent else "beidou_tx_failed")
        self._on_result(job, sent, reason, detail)
