"""The ingest writer's cheap paths store exactly what SQLAlchemy would, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from seaLink.domain.messaging import DeliveryState
from seaLink.store.batch import BatchPlan, Heard
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.ingest_writes import IngestWriter, _delivered_and_acknowledged
from seaLink.store.outbox_store import ACK_STATEMENTS, OutboxStore
from seaLink.store.raw_rows import RawRows
from seaLink.store.tables import AckEvent, Delivery, Position, VesselState
from seaLink.wire.payloads import Fix, NavState
from tests.conftest import small_fleet

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


def _rows(vessel_id: str) -> list[dict[str, Any]]:
    received = datetime(2026, 11, 1, 9, 30, 0, 123456, tzinfo=UTC)
    return [
        {"vessel_id": vessel_id, "ts": T0, "lat": 23.1, "lon": 117.2, "sog": 4.5, "cog": 180.0,
         "nav_state": "fishing", "backfill": False, "link": "mqtt", "received_at": received},
        # an offset that is not UTC, microseconds, no speed or course, a backfilled fix
        {"vessel_id": vessel_id, "ts": datetime(2026, 11, 1, 16, 1, 2, 5, tzinfo=BEIJING),
         "lat": -0.000001, "lon": 179.999999, "sog": None, "cog": None, "nav_state": None,
         "backfill": True, "link": "ais", "received_at": received},
    ]  # fmt: skip


async def _raw(db: Database, sql: str) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.exec_driver_sql(sql)).all()]


async def test_positions_bound_raw_are_stored_as_sqlalchemy_stores_them(clean_store: str) -> None:
    db = Database(clean_store)
    try:
        table = Position.__table__  # type: ignore[attr-defined]
        async with db.engine.begin() as conn:
            await conn.execute(db.insert_ignore(table), _rows("A"))
            await RawRows(db, db.insert_ignore(table)).execute(conn, _rows("B"))
            # A redelivery through the raw path is ignored like any other.
            await RawRows(db, db.insert_ignore(table)).execute(conn, _rows("B"))
        cols = "ts, lat, lon, sog, cog, nav_state, backfill, link, received_at"
        a = await _raw(db, f"SELECT {cols} FROM position WHERE vessel_id = 'A' ORDER BY ts")
        b = await _raw(db, f"SELECT {cols} FROM position WHERE vessel_id = 'B' ORDER BY ts")
        assert len(a) == 2
        assert a == b  # the very values in the database, not as SQLAlchemy reads them back
        async with db.engine.connect() as conn:
            read = (await conn.execute(select(table.c.ts).where(table.c.vessel_id == "B"))).all()
        assert sorted(r[0] for r in read) == [T0, datetime(2026, 11, 1, 8, 1, 2, 5, tzinfo=UTC)]
    finally:
        await db.dispose()


def _fix(minutes: int, lat: float, *, backfill: bool = False) -> Fix:
    return Fix(ts=T0 + timedelta(minutes=minutes), lat=lat, lon=117.3, sog=3.0, cog=90.0,
               state=NavState.FISHING, backfill=backfill)  # fmt: skip


async def _state(db: Database, vid: str) -> dict[str, Any]:
    vs = VesselState.__table__  # type: ignore[attr-defined]
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(vs).where(vs.c.vessel_id == vid))).one()
    return dict(row._mapping)


async def test_latest_fix_and_last_heard_move_forward_each_on_its_own(clean_store: str) -> None:
    db = Database(clean_store)
    await import_fleet(db, small_fleet())
    writer = IngestWriter(db)
    try:
        first = BatchPlan()
        first.add_fix("V1", _fix(10, 23.10), "mqtt", T0)
        first.hear("V1", Heard(T0 + timedelta(minutes=10), "mqtt"))
        first.add_fix("V2", _fix(10, 23.20, backfill=True), "mqtt", T0)  # a fix, no sign of life
        first.hear("V3", Heard(T0 + timedelta(minutes=5), "beidou"))  # a sign of life, no fix
        await writer.commit(first)
        await writer.commit(first)  # a redelivered batch changes nothing

        v1, v2, v3 = [await _state(db, v) for v in ("V1", "V2", "V3")]
        assert (v1["fix_ts"], v1["lat"], v1["nav_state"]) == (
            T0 + timedelta(minutes=10),
            23.10,
            "fishing",
        )
        assert (v1["last_heard"], v1["last_link"]) == (T0 + timedelta(minutes=10), "mqtt")
        assert (v2["fix_ts"], v2["lat"], v2["last_heard"]) == (
            T0 + timedelta(minutes=10),
            23.20,
            None,
        )
        assert (v3["fix_ts"], v3["lat"]) == (None, None)
        assert (v3["last_heard"], v3["last_link"]) == (T0 + timedelta(minutes=5), "beidou")

        later = BatchPlan()
        later.add_fix("V1", _fix(5, 23.05), "mqtt", T0)  # older than the stored fix: kept out
        later.hear("V1", Heard(T0 + timedelta(minutes=20), "ais"))  # newer sign of life: taken
        later.add_fix("V3", _fix(1, 23.30), "mqtt", T0)  # first fix of V3, older than heard
        later.hear("V3", Heard(T0 + timedelta(minutes=1), "mqtt"))  # older than heard: kept out
        await writer.commit(later)

        v1, v3 = await _state(db, "V1"), await _state(db, "V3")
        assert (v1["fix_ts"], v1["lat"]) == (T0 + timedelta(minutes=10), 23.10)
        assert (v1["last_heard"], v1["last_link"]) == (T0 + timedelta(minutes=20), "ais")
        assert (v3["fix_ts"], v3["lat"], v3["sog"]) == (T0 + timedelta(minutes=1), 23.30, 3.0)
        assert (v3["last_heard"], v3["last_link"]) == (T0 + timedelta(minutes=5), "beidou")
    finally:
        await db.dispose()


def _acks(vessel_id: str) -> list[dict[str, Any]]:
    at = [T0 + timedelta(minutes=m, microseconds=7) for m in range(1, 6)]
    return [
        {"m": f"{vessel_id}-0", "v": vessel_id, "ts": at[0], "state": "delivered", "ln": "mqtt"},
        {"m": f"{vessel_id}-0", "v": vessel_id, "ts": at[1], "state": "acknowledged", "ln": "beidou"},
        {"m": f"{vessel_id}-1", "v": vessel_id, "ts": at[2], "state": "read", "ln": "mqtt"},
        {"m": f"{vessel_id}-2", "v": vessel_id, "ts": at[3], "state": "declined", "ln": "mqtt"},
        # late and lower: changes no state, fills no stage it has passed with a later time
        {"m": f"{vessel_id}-2", "v": vessel_id, "ts": at[4], "state": "delivered", "ln": "ais"},
    ]  # fmt: skip


async def test_acknowledgements_bound_raw_are_stored_as_sqlalchemy_stores_them(
    clean_store: str,
) -> None:
    d: Any = Delivery.__table__  # type: ignore[attr-defined]
    db = Database(clean_store)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(d.insert(), [
                {"msg_id": f"{v}-{i}", "vessel_id": v, "grid_id": "G01", "kind": "notice",
                 "payload": "{}", "state": "sent", "rank": 1, "attempts": 1,
                 "next_attempt_at": T0, "queued_at": T0}
                for v in ("A", "B") for i in range(3)
            ])  # fmt: skip
        writer = IngestWriter(db)
        async with db.engine.begin() as conn:
            for ack_a, ack_b in zip(_acks("A"), _acks("B"), strict=True):  # one by one, in order
                state = DeliveryState(ack_a["state"])
                await conn.execute(ACK_STATEMENTS[state], [ack_a])
                await writer._update_acks[state].execute(conn, [ack_b])
            events = [{"msg_id": a["m"], "vessel_id": a["v"], "state": a["state"], "ts": a["ts"],
                       "received_at": T0 + timedelta(hours=1), "link": a["ln"], "crew": "[]",
                       "text": "你好", "answers": "[]", "eta_min": None, "recall": None}
                      for a in _acks("A") + _acks("B")]  # fmt: skip
            await conn.execute(db.insert_ignore(AckEvent.__table__), events[:5])  # type: ignore[attr-defined]
            await writer._insert_ack_events.execute(conn, events[5:])
            await writer._insert_ack_events.execute(conn, events[5:])  # a redelivery: ignored
        cols = "state, rank, ack_link, delivered_at, read_at, acked_at"
        a = await _raw(db, f"SELECT {cols} FROM delivery WHERE vessel_id = 'A' ORDER BY msg_id")
        b = await _raw(db, f"SELECT {cols} FROM delivery WHERE vessel_id = 'B' ORDER BY msg_id")
        assert a == b  # the very values in the database
        async with db.engine.connect() as conn:
            rows = (await conn.execute(select(d).where(d.c.vessel_id == "B").order_by(d.c.msg_id))).all()  # fmt: skip
        got = [(r.state, r.rank, r.ack_link, r.delivered_at, r.read_at, r.acked_at) for r in rows]
        at = [x["ts"] for x in _acks("B")]
        assert got == [
            ("acknowledged", 4, "beidou", at[0], at[1], at[1]),  # acknowledged: read too
            ("read", 3, "mqtt", at[2], at[2], None),
            ("declined", 4, "mqtt", at[3], at[3], at[3]),
        ]
        cols = "state, ts, received_at, link, crew, text, answers, eta_min, recall"
        a = await _raw(db, f"SELECT {cols} FROM ack_event WHERE vessel_id = 'A' ORDER BY id")
        b = await _raw(db, f"SELECT {cols} FROM ack_event WHERE vessel_id = 'B' ORDER BY id")
        assert len(a) == 5 and a == b
    finally:
        await db.dispose()


async def test_an_ack_is_checked_against_the_vessel_a_message_went_to_remembered_or_read(
    clean_store: str,
) -> None:
    """The ack check knows the vessel of a message the outbox read as due without a store read;
    it must answer as the store does: right vessel known, another vessel or an unknown id not."""
    d: Any = Delivery.__table__  # type: ignore[attr-defined]
    db = Database(clean_store)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(d.insert(), [
                {"msg_id": f"{v}-{i}", "vessel_id": v, "grid_id": "G01", "kind": "notice",
                 "payload": "{}", "state": "queued", "rank": 0, "attempts": 0,
                 "next_attempt_at": T0, "queued_at": T0}
                for v in ("A", "B") for i in range(2)
            ])  # fmt: skip
        asked = {("A-0", "A"), ("A-0", "B"), ("A-1", "A"), ("A-1", "B"), ("B-0", "B"),
                 ("B-0", "A"), ("B-1", "B"), ("X-9", "A")}  # fmt: skip
        truth = {("A-0", "A"), ("A-1", "A"), ("B-0", "B"), ("B-1", "B")}
        store = OutboxStore(db)
        assert await store.known_messages(asked) == truth  # nothing remembered: all read
        due = await store.due(T0 + timedelta(seconds=1), 3)  # three of the four remembered
        assert len(due) == 3
        assert await store.known_messages(asked) == truth
        assert await store.known_messages({("A-0", "B"), ("B-0", "A")}) == set()
    finally:
        await db.dispose()


async def test_an_attempt_confirmed_in_the_same_round_is_written_once_as_two_writes_leave_it(
    clean_store: str,
) -> None:
    """`record_sends` writes a message both attempted and confirmed by the broker with one
    UPDATE, and the others bound raw: the rows must be what `record_attempts` then `mark_sent`
    make of the same rows (one message only attempted, two both, one only confirmed)."""
    d: Any = Delivery.__table__  # type: ignore[attr-defined]
    db = Database(clean_store)
    at = T0 + timedelta(minutes=5)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(d.insert(), [
                {"msg_id": f"{v}-{i}", "vessel_id": v, "grid_id": "G01", "kind": "notice",
                 "payload": "{}", "state": state, "rank": rank, "attempts": i, "copies": copies,
                 "sent_at": sent, "next_attempt_at": T0, "queued_at": T0}
                for v in ("A", "B")
                for i, (state, rank, copies, sent) in enumerate([
                    ("queued", 0, "", None), ("sent", 1, "mqtt", T0),  # sent before: copies grow
                    ("delivered", 2, "mqtt,beidou", T0),  # acked meanwhile: state kept
                    ("queued", 0, "x" * 240, None)])  # copies full
            ])  # fmt: skip
            ids = {r.msg_id: r.id for r in (await conn.execute(select(d.c.msg_id, d.c.id))).all()}
        store = OutboxStore(db)

        def attempts(v: str) -> list[dict[str, Any]]:
            return [{"did": ids[f"{v}-{i}"], "link": "mqtt", "attempts": i + 1,
                     "next_at": at + timedelta(seconds=30 * (i + 1))} for i in range(4)]  # fmt: skip

        await store.record_attempts(attempts("A")[:3])  # the two writes, in turn
        await store.mark_sent([ids[f"A-{i}"] for i in range(1, 4)], at)
        await store.record_sends(attempts("B")[:3], [ids[f"B-{i}"] for i in range(1, 4)], at)
        cols = "state, rank, link, copies, attempts, next_attempt_at, sent_at"
        a = await _raw(db, f"SELECT {cols} FROM delivery WHERE vessel_id = 'A' ORDER BY msg_id")
        b = await _raw(db, f"SELECT {cols} FROM delivery WHERE vessel_id = 'B' ORDER BY msg_id")
        assert a == b
        assert [r[0] for r in a] == ["queued", "sent", "delivered", "sent"]
        assert [r[3] for r in a] == ["", "mqtt,mqtt", "mqtt,beidou,mqtt", "x" * 240]
        assert [r[4] for r in a] == [1, 2, 3, 3]  # the last only confirmed: its attempt kept
    finally:
        await db.dispose()


async def test_the_times_sends_and_answers_write_are_stored_as_every_other_time(
    clean_store: str,
) -> None:
    """A time bound inside COALESCE takes no type from its column: untyped, SQLite stored
    Python's own text for it ('...+00:00', or no fraction at a whole second), not the store's
    UTC text, so the same instant compared unequal in SQL to the rest of the row."""
    d: Any = Delivery.__table__  # type: ignore[attr-defined]
    db = Database(clean_store)
    at = T0 + timedelta(minutes=5)  # a whole second: Python's text would drop the fraction
    try:
        async with db.engine.begin() as conn:
            await conn.execute(d.insert(), [
                {"msg_id": m, "vessel_id": "A", "grid_id": "G01", "kind": "notice",
                 "payload": "{}", "state": "queued", "rank": 0, "attempts": 0,
                 "next_attempt_at": at, "queued_at": at}
                for m in ("A-0", "A-1", "A-2")
            ])  # fmt: skip
            ids = {r.msg_id: r.id for r in (await conn.execute(select(d.c.msg_id, d.c.id))).all()}
        store = OutboxStore(db)
        attempt = {"did": ids["A-0"], "link": "mqtt", "attempts": 1, "next_at": at}
        await store.record_sends([attempt], [ids["A-0"], ids["A-1"]], at)
        await store.mark_sent([ids["A-2"]], at)
        plan = BatchPlan()
        plan.acks = [
            {"m": "A-0", "v": "A", "ts": at, "state": "delivered", "ln": "mqtt"},
            {"m": "A-0", "v": "A", "ts": at, "state": "acknowledged", "ln": "mqtt"},
            {"m": "A-1", "v": "A", "ts": at, "state": "read", "ln": "mqtt"},
            {"m": "A-2", "v": "A", "ts": at, "state": "delivered", "ln": "mqtt"},
        ]
        await IngestWriter(db).commit(plan)
        cols = "queued_at, sent_at, delivered_at, read_at, acked_at"
        rows = await _raw(db, f"SELECT {cols} FROM delivery ORDER BY msg_id")
        stored = rows[0][0]  # as the store writes a typed time
        assert rows == [
            (stored, stored, stored, stored, stored),
            (stored, stored, stored, stored, None),
            (stored, stored, stored, None, None),
        ]
    finally:
        await db.dispose()


async def test_a_delivered_and_an_acknowledged_in_one_batch_leave_a_row_as_the_two_in_turn(
    clean_store: str,
) -> None:
    """The writer applies a message's `delivered` and `acknowledged` of one batch as one UPDATE
    (most of a broadcast's answers): rows must be what the state-by-state statements make of
    them, from every stage a delivery can be at, whichever of the two answers carries the
    earlier time; a message with other answers too is applied state by state as before."""
    d: Any = Delivery.__table__  # type: ignore[attr-defined]
    early, late = T0 + timedelta(minutes=3, microseconds=5), T0 + timedelta(minutes=9)
    stages = [  # state, rank, delivered_at, read_at, acked_at, ack_link
        ("queued", 0, None, None, None, None), ("sent", 1, None, None, None, None),
        ("expired", 1, None, None, None, None), ("delivered", 2, T0, None, None, "ais"),
        ("read", 3, T0, T0, None, "mqtt"), ("acknowledged", 4, T0, T0, T0, "mqtt"),
        ("accepted", 4, T0, T0, T0, "beidou"),
    ]  # fmt: skip
    answers = [(early, late), (late, early)]  # (delivered's time, acknowledged's)
    db = Database(clean_store)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(d.insert(), [
                {"msg_id": f"{v}-{i}-{j}", "vessel_id": v, "grid_id": "G01", "kind": "notice",
                 "payload": "{}", "state": state, "rank": rank, "attempts": 1,
                 "delivered_at": dat, "read_at": rat, "acked_at": aat, "ack_link": ln,
                 "next_attempt_at": T0, "queued_at": T0}
                for v in ("A", "B")
                for i, (state, rank, dat, rat, aat, ln) in enumerate(stages)
                for j in range(len(answers) + 1)
            ])  # fmt: skip

        def acks(v: str) -> list[dict[str, Any]]:
            out = []
            for i in range(len(stages)):
                for j, (dts, ats) in enumerate(answers):
                    out.append(
                        {"m": f"{v}-{i}-{j}", "v": v, "ts": dts, "state": "delivered", "ln": "mqtt"}
                    )
                    out.append(
                        {
                            "m": f"{v}-{i}-{j}",
                            "v": v,
                            "ts": ats,
                            "state": "acknowledged",
                            "ln": "beidou",
                        }
                    )
                j = len(answers)  # delivered, read and acknowledged: not one UPDATE
                out.append(
                    {"m": f"{v}-{i}-{j}", "v": v, "ts": late, "state": "delivered", "ln": "mqtt"}
                )
                out.append({"m": f"{v}-{i}-{j}", "v": v, "ts": early, "state": "read", "ln": "ais"})
                out.append(
                    {
                        "m": f"{v}-{i}-{j}",
                        "v": v,
                        "ts": late,
                        "state": "acknowledged",
                        "ln": "beidou",
                    }
                )
            return out  # fmt: skip

        async with db.engine.begin() as conn:  # A: state by state, in the writer's order
            for state in ACK_STATEMENTS:
                for a in sorted((a for a in acks("A") if a["state"] == state), key=lambda a: (a["m"], a["ts"])):  # fmt: skip
                    await conn.execute(ACK_STATEMENTS[state], [a])
        plan = BatchPlan()
        plan.acks = acks("B")
        both, rest = _delivered_and_acknowledged(plan.acks)
        assert len(both) == len(stages) * len(answers) and len(rest) == 3 * len(stages)
        await IngestWriter(db).commit(plan)  # B: the writer's batch
        cols = "msg_id, state, rank, ack_link, delivered_at, read_at, acked_at"
        a = await _raw(db, f"SELECT {cols} FROM delivery WHERE vessel_id = 'A' ORDER BY msg_id")
        b = await _raw(db, f"SELECT {cols} FROM delivery WHERE vessel_id = 'B' ORDER BY msg_id")
        assert [r[1:] for r in a] == [r[1:] for r in b]  # the very values in the database
        async with db.engine.connect() as conn:
            row = (await conn.execute(select(d).where(d.c.msg_id == "B-0-1"))).one()
        assert (row.state, row.ack_link, row.delivered_at, row.acked_at) == (
            "acknowledged", "beidou", late, early)  # fmt: skip
    finally:
        await db.dispose()
