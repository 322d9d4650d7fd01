"""The recall rule on single boats whose truth the test states by construction (positions placed
with `destination` at known distances and bearings from the harbours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from seaLink.domain.ports import Port, PortIndex
from seaLink.domain.recall_judge import BoatFacts, Fix, Terms, done, judge
from seaLink.wire.geo import destination, initial_bearing_deg

YUNAO = Port("云澳渔港", "Yun'ao", 23.405, 117.078, 0.5)
QINGAO = Port("青澳湾", "Qing'ao", 23.44, 117.133, 0.5)
PORTS = PortIndex([YUNAO, QINGAO])
T0 = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
TERMS = Terms(T0, T0 + timedelta(hours=2), "云澳渔港")


def at(port: Port, bearing: float, nm: float, minutes: int, **kw: float) -> Fix:
    lat, lon = destination(port.lat, port.lon, bearing, nm)
    return Fix(T0 + timedelta(minutes=minutes), lat, lon, kw.get("sog"), kw.get("cog"))


def facts(*fixes: Fix, answer: str | None = None, **kw: object) -> BoatFacts:
    return BoatFacts(home_port="云澳渔港", answer=answer, fixes=fixes, **kw)  # type: ignore[arg-type]


def now(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_closing_over_two_fixes_is_returning_with_its_eta() -> None:
    v = judge(
        facts(at(YUNAO, 150, 6, 0), at(YUNAO, 150, 5, 10), answer="returning"),
        TERMS,
        PORTS,
        now(10),
    )
    assert (v.line, v.source, v.flags) == ("returning_on_time", "answer", ())
    assert v.eta is not None and abs((v.eta - now(60)).total_seconds()) < 60  # 5 nmi at 6 kn


def test_one_fix_judged_by_course_and_speed() -> None:
    here = at(YUNAO, 150, 6, 0)
    home = initial_bearing_deg(here.lat, here.lon, YUNAO.lat, YUNAO.lon)
    toward = Fix(here.ts, here.lat, here.lon, 6.0, home)
    away = Fix(here.ts, here.lat, here.lon, 6.0, (home + 180) % 360)
    assert judge(facts(toward), TERMS, PORTS, now(0)).line == "returning_on_time"
    v = judge(facts(away, answer="returning"), TERMS, PORTS, now(0))
    assert (v.line, v.flags) == ("unaccounted", ("contradicted",))


def test_a_boat_that_cannot_make_the_deadline_or_is_out_after_it_is_late() -> None:
    far = (at(YUNAO, 150, 20, 0), at(YUNAO, 150, 19, 10))  # 19 nmi at 6 kn: 3 h 10 min
    assert judge(facts(*far), TERMS, PORTS, now(10)).line == "returning_late"
    near = (at(YUNAO, 150, 2, 110), at(YUNAO, 150, 1, 120))
    assert judge(facts(*near), TERMS, PORTS, now(120)).line == "returning_late"


def test_in_port_by_the_track_whatever_the_answer_and_sheltering_elsewhere() -> None:
    inside = at(YUNAO, 0, 0.2, 30)
    v = judge(facts(inside), TERMS, PORTS, now(30))
    assert (v.line, v.source) == ("in_port", "track")
    v = judge(facts(at(QINGAO, 0, 0.1, 30), answer="sheltering"), TERMS, PORTS, now(30))
    assert (v.line, v.source, v.port) == ("sheltering", "answer", "青澳湾")
    named = Terms(T0, TERMS.deadline, "青澳湾")  # the order named it: in port there
    assert judge(facts(at(QINGAO, 0, 0.1, 30)), named, PORTS, now(30)).line == "in_port"


def test_an_answer_the_track_contradicts_is_flagged_and_counted_by_the_track() -> None:
    lying = (at(YUNAO, 160, 14, 0), at(YUNAO, 160, 14, 10))
    v = judge(facts(*lying, answer="in_port"), TERMS, PORTS, now(10))
    assert (v.line, v.flags) == ("unaccounted", ("contradicted",))


def test_leaving_port_after_the_order_is_flagged() -> None:
    v = judge(facts(at(YUNAO, 170, 0, -5), at(YUNAO, 170, 1.5, 15)), TERMS, PORTS, now(15))
    assert v.flags == ("left_port",) and v.line == "unaccounted"
    # Out at sea before the order and still out: not a departure during the recall.
    v = judge(facts(at(YUNAO, 170, 3, -5), at(YUNAO, 170, 3.5, 15)), TERMS, PORTS, now(15))
    assert v.flags == ()


def test_distress_and_lost_contact_have_their_own_lines() -> None:
    sea = (at(YUNAO, 150, 6, 0), at(YUNAO, 150, 5, 10))
    assert judge(facts(*sea, distress=True), TERMS, PORTS, now(10)).line == "distress"
    assert judge(facts(*sea, lost_contact=True), TERMS, PORTS, now(10)).line == "lost_contact"
    # Silent in port (terminals are switched off there): in port.
    assert (
        judge(facts(at(YUNAO, 0, 0.1, 0), lost_contact=True), TERMS, PORTS, now(60)).line
        == "in_port"
    )


def test_no_fix_at_all_the_answer_stands_and_silence_is_unaccounted() -> None:
    assert judge(facts(answer="in_port"), TERMS, PORTS, now(10)).line == "in_port"
    assert judge(facts(), TERMS, PORTS, now(10)).line == "unaccounted"


def test_done_needs_a_harbour_and_every_person_ashore() -> None:
    assert done("in_port", 6, 6) and done("sheltering", 6, 7) and done("in_port", 0, None)
    assert not done("in_port", 6, 5) and not done("in_port", 6, None)
    assert not done("returning_on_time", 6, 6)


def test_a_harbour_drawn_as_a_polygon_decides_by_its_outline() -> None:
    from seaLink.domain.ports import ports_from_geojson

    # A long thin harbour (2 nmi east-west, 0.2 nmi north-south): its ends are beyond any radius.
    ring = [
        [117.00, 23.40],
        [117.036, 23.40],
        [117.036, 23.4033],
        [117.00, 23.4033],
        [117.00, 23.40],
    ]
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature",
           "properties": {"kind": "port", "name": "长港"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}  # fmt: skip
    [harbour] = ports_from_geojson(doc)
    index = PortIndex([harbour])
    assert index.port_at(23.4016, 117.0335) is harbour  # the far east end, ~1 nmi from its middle
    assert index.port_at(23.4060, 117.018) is None  # 0.17 nmi north of it: outside the outline
    home = Terms(T0, TERMS.deadline, "长港")
    v = judge(facts(Fix(now(5), 23.4016, 117.0335)), home, index, now(5))
    assert (v.line, v.port) == ("in_port", "长港")
