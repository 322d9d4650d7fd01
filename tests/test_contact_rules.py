"""The contact rules as pure functions: no broker, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from seaLink.domain.contact import ContactRules, ContactState, LostPhase, judge
from seaLink.domain.contact_book import ContactBook, VesselContact

T0 = datetime(2026, 8, 20, 2, 0, tzinfo=UTC)
RULES = ContactRules()


def at(
    minutes: float, *, in_port: bool = False, typhoon: bool = False, interval_s: int | None = None
):  # type: ignore[no-untyped-def]
    return judge(
        last_heard=T0,
        now=T0 + timedelta(minutes=minutes),
        in_port=in_port,
        typhoon=typhoon,
        rules=RULES,
        interval_s=interval_s,
    )


def test_at_sea_a_vessel_is_overdue_after_two_missed_reports_and_lost_after_four() -> None:
    assert at(19.9).state is ContactState.OK
    assert at(19.9).next_check == T0 + timedelta(minutes=20)
    assert at(20).state is ContactState.OVERDUE
    assert at(39.9).state is ContactState.OVERDUE
    j = at(40)
    assert (j.state, j.phase) == (ContactState.LOST, LostPhase.UNCERTAINTY)
    assert j.next_check == T0 + timedelta(hours=2)


def test_lost_contact_moves_through_the_sar_phases() -> None:
    assert at(119).phase is LostPhase.UNCERTAINTY
    assert at(120).phase is LostPhase.ALERT
    assert at(120).next_check == T0 + timedelta(hours=4)
    assert at(240).phase is LostPhase.DISTRESS
    assert at(240).next_check is None


def test_under_a_typhoon_signal_a_lost_vessel_is_a_distress_case_at_once() -> None:
    assert at(30, typhoon=True).state is ContactState.OVERDUE
    j = at(40, typhoon=True)
    assert (j.state, j.phase) == (ContactState.LOST, LostPhase.DISTRESS)


def test_in_port_only_a_maintenance_notice_after_a_day() -> None:
    assert at(600, in_port=True).state is ContactState.OK
    assert at(24 * 60 - 1, in_port=True).state is ContactState.OK
    assert at(24 * 60, in_port=True).state is ContactState.MAINTENANCE


def test_a_vessel_with_its_own_interval_is_judged_against_it() -> None:
    assert at(35, interval_s=1800).state is ContactState.OK
    assert at(60, interval_s=1800).state is ContactState.OVERDUE
    j = at(120, interval_s=1800)
    assert (j.state, j.phase) == (ContactState.LOST, LostPhase.ALERT)  # 4 x 30 min = 2 h


def test_the_book_only_looks_at_vessels_whose_deadline_has_come() -> None:
    book = ContactBook(RULES)
    for i in range(1000):
        vc = VesselContact(f"V{i}", "G01", None)
        book.register(vc)
        book.heard(
            vc.vessel_id, T0 + timedelta(seconds=i), "mqtt", False, T0 + timedelta(seconds=i)
        )
    assert book.due(T0 + timedelta(minutes=19)) == []
    changes = book.due(T0 + timedelta(minutes=20, seconds=9))
    assert sorted(c.vessel_id for c in changes) == sorted(f"V{i}" for i in range(10))
    assert all(c.state is ContactState.OVERDUE for c in changes)


def test_hearing_a_vessel_again_clears_its_state_and_reschedules() -> None:
    book = ContactBook(RULES)
    book.register(VesselContact("V1", "G01", None))
    book.heard("V1", T0, "mqtt", False, T0)
    book.due(T0 + timedelta(minutes=45))
    assert book.vessels["V1"].state is ContactState.LOST
    change = book.heard(
        "V1", T0 + timedelta(minutes=46), "beidou", None, T0 + timedelta(minutes=46)
    )
    assert change is not None
    assert (change.old_state, change.state) == (ContactState.LOST, ContactState.OK)
    assert book.next_deadline == T0 + timedelta(minutes=66)


def test_a_start_up_grace_holds_back_new_alerts() -> None:
    book = ContactBook(RULES)
    book.register(VesselContact("V1", "G01", None, last_heard=T0, state=ContactState.OK))
    book.hold_until = T0 + timedelta(hours=3, minutes=2)
    book.schedule(book.vessels["V1"], T0 + timedelta(hours=3))
    assert book.due(T0 + timedelta(hours=3)) == []
    changes = book.due(T0 + timedelta(hours=3, minutes=2))
    assert [(c.state, c.phase) for c in changes] == [(ContactState.LOST, LostPhase.ALERT)]


def test_counts_follow_state_changes() -> None:
    book = ContactBook(RULES)
    for i in range(3):
        book.register(VesselContact(f"V{i}", "G01", None))
    book.heard("V0", T0, "mqtt", False, T0)
    assert book.counts()["ok"] == 1 and book.counts()["unknown"] == 2


def test_a_vessel_heard_often_is_overdue_two_reports_after_its_last_word_and_not_before() -> None:
    book = ContactBook(RULES)
    book.register(VesselContact("V1", "G01", None))
    last = T0
    for minute in range(0, 61):  # a boat at sea heard every minute for an hour
        last = T0 + timedelta(minutes=minute)
        book.heard("V1", last, "mqtt", False, last)
        assert book.due(last) == []
    overdue_at = last + RULES.interval_at_sea_s * RULES.overdue_missed * timedelta(seconds=1)
    assert book.due(overdue_at - timedelta(seconds=1)) == []
    assert book.vessels["V1"].state is ContactState.OK
    changes = book.due(overdue_at)
    assert [(c.vessel_id, c.state) for c in changes] == [("V1", ContactState.OVERDUE)]


def test_a_vessel_heard_again_in_port_is_judged_by_the_port_rule() -> None:
    book = ContactBook(RULES)
    book.register(VesselContact("V1", "G01", None))
    book.heard("V1", T0, "mqtt", False, T0)
    moored = T0 + timedelta(minutes=5)
    assert book.heard("V1", moored, "mqtt", True, moored) is None  # still in contact
    # Silent in port: no overdue after two missed reports, a maintenance notice after a day.
    assert book.due(moored + timedelta(hours=23)) == []
    changes = book.due(moored + timedelta(seconds=RULES.in_port_maintenance_after_s))
    assert [c.state for c in changes] == [ContactState.MAINTENANCE]
