"""The outbox in the store: what each vessel still has to receive, and how far each message got."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    update,
)

from seaLink.domain.messaging import RANK, DeliveryState
from seaLink.store.db import Database
from seaLink.store.one_trip import executemany_all
from seaLink.store.raw_rows import RawRows, copy_rows
from seaLink.store.tables import AckEvent, Delivery, Vessel, VesselState
from seaLink.store.types import UTCDateTime

_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_ack: Any = AckEvent.__table__  # type: ignore[attr-defined]
_vs: Any = VesselState.__table__  # type: ignore[attr-defined]

PARKED = timedelta(days=3650)  # "not until the vessel is back": re-armed when it is reachable


DueKey = tuple[int, datetime, int]  # a message's place in the order `due` hands them out


@dataclass(frozen=True, slots=True)
class DueMessage:
    id: int
    msg_id: str
    vessel_id: str
    priority: int
    payload: str
    attempts: int
    rank: int
    link: str | None  # of the last attempt
    queued_at: datetime

    @property
    def key(self) -> DueKey:
        """Its place in the order `due` hands messages out."""
        return (self.priority, self.queued_at, self.id)


def _int(n: int) -> Any:
    return literal_column(str(n), Integer)


# Still on its way (`tables.DELIVERY_OPEN`), in the very terms of the partial indexes.
OPEN: Any = and_(_d.c.rank <= _int(1), _d.c.closed_at.is_(None))


def _time(name: str) -> Any:
    """A time bound inside an expression (COALESCE takes no type from its column): typed, or
    SQLite would store Python's own text for it ('...+00:00'), not the store's UTC text."""
    return bindparam(name, type_=UTCDateTime())


# An attempt: rows did, link, attempts, next_at.
_ATTEMPT = (
    update(_d)
    .where(_d.c.id == bindparam("did"))
    .values(
        link=bindparam("link"), attempts=bindparam("attempts"), next_attempt_at=bindparam("next_at")
    )
)
# Handed on by a link (`mark_sent`): rows did, ts, ln. No value reads a column an attempt writes,
# so one UPDATE with both sets of values (rows with all six) leaves a row as the two in turn do.
# Its constants are written into the statement (as `ack_statement`'s): the bookkeeping binds
# its rows as they are (`RawRows`), by name, and only did, ts and ln come with each row.
_SENT_VALUES: dict[str, Any] = {
    "state": case(
        (_d.c.rank < _int(1), literal_column(f"'{DeliveryState.SENT.value}'", String)),
        else_=_d.c.state,
    ),
    "rank": case((_d.c.rank < _int(1), _int(1)), else_=_d.c.rank),
    "sent_at": func.coalesce(_d.c.sent_at, _time("ts")),
    "copies": case(
        (_d.c.copies == literal_column("''", String), bindparam("ln")),
        (
            func.length(_d.c.copies) < _int(240),
            _d.c.copies + literal_column("','", String) + bindparam("ln"),
        ),
        else_=_d.c.copies,
    ),
}
_SENT = update(_d).where(_d.c.id == bindparam("did")).values(**_SENT_VALUES)
_SENT_ATTEMPT = _ATTEMPT.values(**_SENT_VALUES)

_SENT_REMEMBERED = 200_000  # messages whose vessel the ack check knows without a read


def ack_statement(state: DeliveryState, delivered_ts: str = "ts") -> Any:
    """UPDATE for one acknowledgement state: only ever moves a delivery up the ladder.
    `delivered_ts`: the parameter its delivery time is bound by (see `DELIVERED_AND_ACKNOWLEDGED`)."""
    # The state and its rank are written into the statement, not bound: the ingest path binds
    # its rows as they are (`RawRows`), by name, and only m, v, ts and ln come with each row.
    rank = RANK[state]
    r: Any = literal_column(str(rank))
    name: Any = literal_column(f"'{state.value}'")
    ts: Any = _time("ts")
    values: dict[str, Any] = {
        "state": case((_d.c.rank < r, name), else_=_d.c.state),
        "rank": case((_d.c.rank < r, r), else_=_d.c.rank),
        "ack_link": case((_d.c.rank < r, bindparam("ln")), else_=_d.c.ack_link),
        "delivered_at": func.coalesce(_d.c.delivered_at, _time(delivered_ts)),
    }
    if rank >= RANK[DeliveryState.READ]:
        values["read_at"] = func.coalesce(_d.c.read_at, ts)
    if rank >= RANK[DeliveryState.ACKNOWLEDGED]:
        values["acked_at"] = func.coalesce(_d.c.acked_at, ts)
    return (
        update(_d)
        .where(_d.c.msg_id == bindparam("m"), _d.c.vessel_id == bindparam("v"))
        .values(**values)
    )


ACK_STATEMENTS = {
    s: ack_statement(s)
    for s in (
        DeliveryState.DELIVERED,
        DeliveryState.READ,
        DeliveryState.ACKNOWLEDGED,
        DeliveryState.ACCEPTED,
        DeliveryState.DECLINED,
    )
}

# A terminal's `delivered` (ts = dts) and `acknowledged` (ts, ln) of one message, in one batch: one
# UPDATE leaves the row as the two in turn do. `delivered` moves it to rank 2 below rank 4, so the
# second's rank test decides alone, as here; its state, rank and link replace the first's; the
# first sets delivered_at if unset, which the second's coalesce then keeps.
DELIVERED_AND_ACKNOWLEDGED = ack_statement(DeliveryState.ACKNOWLEDGED, delivered_ts="dts")


class OutboxStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._insert_ack = db.insert_ignore(_ack)
        # By the rows' columns: the statement, and the column defaults the rows leave out.
        self._inserts: dict[tuple[str, ...], tuple[RawRows, dict[str, Any]]] = {}
        # The outbox's bookkeeping (`record_sends`): thousands of rows a round in a fan-out.
        self._sent_attempt = RawRows(db, _SENT_ATTEMPT)
        self._attempt = RawRows(db, _ATTEMPT)
        self._sent = RawRows(db, _SENT)
        # The vessel of each message lately read as due (so sent, or about to be): its acks are
        # checked without a store read. Forgotten in bulk; a message not here is looked up.
        self._sent_to: dict[str, str] = {}

    async def insert(self, conn: Any, rows: Sequence[dict[str, Any]]) -> None:
        """Queue deliveries (rows with the same columns) in the caller's transaction. Bound as
        plain tuples: SQLAlchemy's per-value processing of 10,000 rows was most of a broadcast
        POST's time; on PostgreSQL by COPY (issue 17.2)."""
        if not rows:
            return
        keys = tuple(rows[0])
        prepared = self._inserts.get(keys)
        if prepared is None:
            # The columns' own defaults (copies "", ...) are bound like the rest: rows carry them.
            defaults = {
                c.name: c.default.arg
                for c in _d.columns
                if c.name not in keys and c.default is not None and c.default.is_scalar
            }
            names = [*keys, *defaults]
            statement = RawRows(self._db, _d.insert().values({k: bindparam(k) for k in names}))
            prepared = self._inserts[keys] = (statement, defaults)
        statement, defaults = prepared
        if self._db.dialect == "postgresql":
            tail = tuple(defaults.values())
            records = [tuple(r[k] for k in keys) + tail for r in rows]
            await copy_rows(conn, _d.name, [*keys, *defaults], records)
            return
        full = [{**defaults, **r} for r in rows] if defaults else rows
        for start in range(0, len(full), 5000):
            await statement.execute(conn, full[start : start + 5000])

    async def due(self, now: datetime, limit: int, after: DueKey | None = None) -> list[DueMessage]:
        """What is due now, most urgent first (priority, then oldest); with `after`, only what
        comes after that place in this order or is more urgent (a lower priority number)."""
        q = (
            select(
                _d.c.id,
                _d.c.msg_id,
                _d.c.vessel_id,
                _d.c.priority,
                _d.c.payload,
                _d.c.attempts,
                _d.c.rank,
                _d.c.link,
                _d.c.queued_at,
            )
            .where(
                OPEN,
                _d.c.next_attempt_at <= now,
                or_(_d.c.expires_at.is_(None), _d.c.expires_at > now),
            )
            .order_by(_d.c.priority, _d.c.queued_at, _d.c.id)
            .limit(limit)
        )
        if after is not None:
            priority, queued_at, did = after
            q = q.where(
                or_(
                    _d.c.priority != priority,
                    and_(
                        _d.c.priority == priority,
                        or_(
                            _d.c.queued_at > queued_at,
                            and_(_d.c.queued_at == queued_at, _d.c.id > did),
                        ),
                    ),
                )
            )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        due = [DueMessage(*r) for r in rows]
        if len(self._sent_to) + len(due) > _SENT_REMEMBERED:
            self._sent_to.clear()
        self._sent_to.update((m.msg_id, m.vessel_id) for m in due)
        return due

    async def next_due(self) -> datetime | None:
        q = select(func.min(_d.c.next_attempt_at)).where(OPEN)
        async with self._db.engine.connect() as conn:
            value = (await conn.execute(q)).scalar()
        return value  # type: ignore[no-any-return]

    async def next_expiry(self, now: datetime) -> datetime | None:
        q = select(func.min(_d.c.expires_at)).where(OPEN, _d.c.expires_at > now)
        async with self._db.engine.connect() as conn:
            return (await conn.execute(q)).scalar()  # type: ignore[no-any-return]

    async def record_attempts(self, rows: Sequence[dict[str, Any]]) -> None:
        """rows: id, link, attempts, next_at."""
        if not rows:
            return
        async with self._db.engine.begin() as conn:
            # in id order, as every batch update
            await conn.execute(_ATTEMPT, sorted(rows, key=itemgetter("did")))

    async def record_sends(
        self, attempts: Sequence[dict[str, Any]], sent: Iterable[int], ts: datetime
    ) -> None:
        """`record_attempts` and `mark_sent` (MQTT) in one transaction: the outbox's bookkeeping
        of a round. On SQLite each transaction waits its turn for the one write lock, behind
        the ingest's batches: a fan-out round that wrote twice waited twice."""
        ids = sorted(set(sent))
        if not attempts and not ids:
            return
        # A message whose broker confirmation came before its attempt was written (most of a
        # fan-out's, a round later) is written once, with both: one row update, not two.
        confirmed = set(ids)
        both = [{**a, "ts": ts, "ln": "mqtt"} for a in attempts if a["did"] in confirmed]
        if both:
            done = {a["did"] for a in both}
            attempts = [a for a in attempts if a["did"] not in done]
            ids = [i for i in ids if i not in done]
        # Bound as plain tuples, a slice a turn, before the transaction begins (SQLAlchemy's
        # per-value processing of 8,000 rows held the event loop for tens of milliseconds, and
        # SQLite's write lock meanwhile), then written in one trip: the statements
        # `record_attempts` and `mark_sent` run, each row in id order as every batch update.
        by_id = itemgetter("did")
        steps = [
            await self._sent_attempt.step_in_slices(sorted(both, key=by_id)),
            await self._attempt.step_in_slices(sorted(attempts, key=by_id)),
            await self._sent.step_in_slices([{"did": i, "ts": ts, "ln": "mqtt"} for i in ids]),
        ]
        async with self._db.engine.begin() as conn:
            await executemany_all(conn, self._db, steps)

    async def mark_sent(
        self, ids: Iterable[int], ts: datetime, link: str = "mqtt", next_at: datetime | None = None
    ) -> None:
        """The link handed these copies on (broker or Beidou terminal): noted in `copies`;
        `next_at`, when given, is when to send again if still not delivered."""
        ids = sorted(set(ids))
        if not ids:
            return
        stmt = _SENT
        if next_at is not None:
            stmt = stmt.values(
                next_attempt_at=case((_d.c.rank <= 1, next_at), else_=_d.c.next_attempt_at)
            )
        rows = [{"did": i, "ts": ts, "ln": link} for i in ids]  # in id order, as every batch update
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt, rows)

    async def fail(self, ids: Sequence[int], now: datetime, reason: str) -> None:
        """Give up on messages that were sent again and again without being delivered."""
        if not ids:
            return
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_d)
                .where(_d.c.id.in_(list(ids)), _d.c.rank <= 1)
                .values(state=DeliveryState.FAILED.value, closed_at=now, last_error=reason[:256])
            )

    async def delivery_id(self, msg_id: str) -> int | None:
        async with self._db.engine.connect() as conn:
            value = (await conn.execute(select(_d.c.id).where(_d.c.msg_id == msg_id))).scalar()
        return None if value is None else int(value)

    async def record_failures(self, rows: Sequence[tuple[int, str]], retry_at: datetime) -> None:
        """A link could not send: note why, and try again later (maybe over another link). The
        attempt's link is cleared: no copy is on its way any more."""
        if not rows:
            return
        stmt = (
            update(_d)
            .where(_d.c.id == bindparam("did"), _d.c.rank <= 1)
            .values(last_error=bindparam("err"), next_attempt_at=bindparam("at"), link=None)
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(
                stmt, [{"did": d, "err": e[:256], "at": retry_at} for d, e in sorted(rows)]
            )

    async def park(self, vessel_ids: Iterable[str], now: datetime) -> None:
        """Hold a vessel's undelivered messages until it is reachable again."""
        ids = list(vessel_ids)
        if not ids:
            return
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_d).where(_d.c.vessel_id.in_(ids), OPEN).values(next_attempt_at=now + PARKED)
            )

    async def parked_but_reachable(
        self, now: datetime, heard_since: datetime
    ) -> list[tuple[str, str | None, datetime | None]]:
        """Vessels that have parked messages although the store says they are reachable (status
        `online`, or no status and heard on MQTT since `heard_since`): (vessel id, status, last
        heard on MQTT).
        The store orders statuses by time, whichever hub committed them; a holder that missed or
        misordered a vessel's news finds its vessels here."""
        # No DISTINCT (IN needs none): with it SQLite walked every delivery by vessel instead.
        parked = select(_d.c.vessel_id).where(
            OPEN,
            _d.c.next_attempt_at > now + PARKED / 2,  # parked, not backing off
            # sent by Beidou with no reply asked: done, not waiting for the vessel
            ~and_(_d.c.rank == 1, _d.c.link == "beidou"),
        )
        q = (
            select(_vs.c.vessel_id, _vs.c.link_status, _vs.c.last_heard, _vs.c.last_link)
            .where(
                _vs.c.vessel_id.in_(parked),
                or_(
                    _vs.c.link_status == "online",
                    and_(
                        _vs.c.link_status.is_(None),
                        _vs.c.last_heard >= heard_since,
                        or_(_vs.c.last_link.is_(None), _vs.c.last_link == "mqtt"),
                    ),
                ),
            )
            .order_by(_vs.c.vessel_id)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        # Heard by Beidou or AIS is no sign of the MQTT session: not reported as heard.
        return [(r[0], r[1], r[2] if r[3] in (None, "mqtt") else None) for r in rows]

    async def arm(self, vessel_ids: Sequence[str], now: datetime, *, grace: timedelta) -> int:
        """Vessels are reachable again: what was never sent is due now; what was sent and is still
        not delivered is due after `grace` (the broker redelivers its own queue first). A message
        published but not yet confirmed by the broker counts as sent: a status and a hello a moment
        apart would otherwise send it twice. One statement per chunk of vessels, so a fleet coming
        online at once costs little."""
        armed = 0
        async with self._db.engine.begin() as conn:
            for start in range(0, len(vessel_ids), 500):
                chunk = list(vessel_ids[start : start + 500])
                base = and_(_d.c.vessel_id.in_(chunk), _d.c.closed_at.is_(None))
                never_sent = and_(_d.c.rank == 0, _d.c.attempts == 0)
                fresh = await conn.execute(
                    update(_d).where(base, never_sent).values(next_attempt_at=now)
                )
                # A copy the Beidou terminal sent is not sent again by MQTT now (the boat would
                # get it twice): it waits for its acknowledgement, or its own resend time.
                by_beidou = and_(_d.c.rank == 1, _d.c.link == "beidou")
                await conn.execute(
                    update(_d)
                    .where(
                        base,
                        _d.c.rank <= 1,
                        ~never_sent,
                        ~by_beidou,
                        _d.c.next_attempt_at > now + grace,
                    )
                    .values(next_attempt_at=now + grace)
                )
                armed += int(fresh.rowcount or 0)
        return armed

    async def switch_candidates(self, now: datetime) -> list[str]:
        """Vessels with a Beidou card that have messages waiting for a later attempt (parked, or
        sent by MQTT and waiting to be sent again) that are not on their way by Beidou: the ones
        to move to Beidou once MQTT is quiet."""
        v: Any = Vessel.__table__  # type: ignore[attr-defined]
        q = (
            select(_d.c.vessel_id)
            .join(v, v.c.id == _d.c.vessel_id)
            .where(
                v.c.beidou_card.is_not(None),
                OPEN,
                _d.c.next_attempt_at > now,
                or_(_d.c.link.is_(None), _d.c.link != "beidou"),
            )
            .distinct()
            .order_by(_d.c.vessel_id)
        )
        async with self._db.engine.connect() as conn:
            return [r[0] for r in (await conn.execute(q)).all()]

    async def due_now(self, vessel_ids: Sequence[str], now: datetime) -> None:
        """Everything pending for these vessels that is not on its way by Beidou: due now."""
        if not vessel_ids:
            return
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_d)
                .where(
                    _d.c.vessel_id.in_(list(vessel_ids)),
                    OPEN,
                    _d.c.next_attempt_at > now,
                    or_(_d.c.link.is_(None), _d.c.link != "beidou"),
                )
                .values(next_attempt_at=now)
            )

    async def expire(self, now: datetime) -> list[tuple[int, int | None]]:
        """Close what expired before delivery; returns (delivery id, broadcast id)."""
        cond = and_(OPEN, _d.c.expires_at <= now)
        async with self._db.engine.begin() as conn:
            rows = (await conn.execute(select(_d.c.id, _d.c.broadcast_id).where(cond))).all()
            if rows:
                await conn.execute(
                    update(_d).where(cond).values(state=DeliveryState.EXPIRED.value, closed_at=now)
                )
        return [(int(r[0]), r[1]) for r in rows]

    async def known_messages(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which (msg_id, vessel_id) pairs are in the outbox."""
        if not keys:
            return set()
        # msg_id is unique: a message read as due here names its one vessel without a read.
        sent = self._sent_to
        known = {k for k in keys if sent.get(k[0]) == k[1]}
        msg_ids = sorted({m for m, _ in keys if m not in sent})
        if not msg_ids:
            return known
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(_d.c.msg_id, _d.c.vessel_id).where(_d.c.msg_id.in_(msg_ids))
                )
            ).all()
        return known | ({(r[0], r[1]) for r in rows} & keys)
