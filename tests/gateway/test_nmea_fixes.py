"""Plain NMEA position sentences (RMC, GGA, GLL, VTG of GP/BD/GB/GN) into protocol fixes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seaLink.wire.nmea import NmeaReject, parse_nmea_fixes
from tests.fuzzing import fuzz_settings
from tests.gateway.conftest import DATA
from tests.gateway.nmea_util import with_checksum

NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
SAMPLES = [
    x.strip() for x in DATA.joinpath("nmea", "extracted_sentences.txt").read_text().splitlines()
]


def one(line: str) -> tuple[list[tuple[str, float, float, float | None, float | None]], list[str]]:
    fixes, rejections = parse_nmea_fixes([line], now=NOW)
    return (
        [(f.ts.isoformat(), round(f.lat, 6), round(f.lon, 6), f.sog, f.cog) for f in fixes],
        [r.reason.value for r in rejections],
    )


def test_every_sample_sentence_gives_a_fix_or_a_reason() -> None:
    for line in SAMPLES:
        fixes, reasons = one(line)
        assert len(fixes) + len(reasons) == 1, line


def test_the_valid_position_samples_give_these_fixes() -> None:
    assert one("$GPGGA,184353.07,1929.045,S,02410.506,E,1,04,2.6,100.00,M,-33.9,M,,0000*6D")[0] == [
        ("2026-07-01T18:43:53.070000+00:00", -19.484083, 24.1751, None, None)
    ]
    assert one("$GPGLL,4916.45,N,12311.12,W,225444,A,*1D")[0] == [
        ("2026-07-01T22:54:44+00:00", 49.274167, -123.185333, None, None)
    ]
    assert one("$GPRMC,225446,A,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E*68")[0] == [
        ("1994-11-19T22:54:46+00:00", 49.274167, -123.185333, 0.5, 54.7)
    ]
    rmc_a = [x for x in SAMPLES if x.startswith("$GPRMC,123519.00,A,")]
    assert len(rmc_a) == 13
    for line in rmc_a:
        assert one(line)[0] == [("1994-03-23T12:35:19+00:00", 48.1173, 11.516667, None, None)]


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("$GPRMC,123519.00,V,", "no_fix"),
        ("$GPRMC,123519.00,,", "no_fix"),
        ("$GPGGA,201716.684", "no_fix"),
        ("$GPVTG", "no_position"),
        ("$GPGSV,3,3,09,24,03,046,*47", "unsupported_sentence"),
        ("$GPGSV,3,3,09,24,03,046,*47\\\\", "bad_format"),  # two backslashes after *hh
        ("$GPRTE", "unsupported_sentence"),
        ("$PASHR,LTN", "unsupported_sentence"),
        ("$IIMWV", "unsupported_sentence"),
        ("$GPABC", "missing_checksum"),
        ("$GPZDA", "missing_checksum"),
        ("$GPGGA,161405.680", "bad_format"),  # 87 characters
    ],
)
def test_samples_without_a_fix_say_why(prefix: str, reason: str) -> None:
    exact = "*" in prefix  # a whole sentence rather than a prefix
    matching = [x for x in SAMPLES if (x == prefix if exact else x.startswith(prefix))]
    assert matching
    for line in matching:
        assert one(line) == ([], [reason]), line


def test_beidou_and_multi_constellation_talkers_are_accepted_others_not() -> None:
    body = "RMC,082000.00,A,2326.000,N,11704.000,E,3.5,120.0,010726,,,A"
    for talker in ("GP", "BD", "GB", "GN"):
        fixes, _ = one(with_checksum(talker + body, "$").decode())
        assert fixes == [("2026-07-01T08:20:00+00:00", 23.433333, 117.066667, 3.5, 120.0)]
    assert one(with_checksum("GL" + body, "$").decode()) == ([], ["unsupported_talker"])


def test_sentences_of_one_epoch_merge_and_vtg_adds_motion() -> None:
    lines = [
        with_checksum(
            "GNGGA,082000.00,2326.000,N,11704.000,E,1,12,0.9,5.0,M,0.0,M,,", "$"
        ).decode(),
        with_checksum("GNVTG,120.0,T,,M,3.5,N,6.5,K,A", "$").decode(),
        with_checksum("BDGLL,2326.100,N,11704.100,E,082100.00,A,A", "$").decode(),
    ]
    fixes, rejections = parse_nmea_fixes(lines, now=NOW)
    assert rejections == []
    assert [(f.ts.hour, f.ts.minute, f.sog, f.cog) for f in fixes] == [
        (8, 20, 3.5, 120.0),
        (8, 21, None, None),
    ]


def test_an_rmc_dates_the_gga_of_its_batch_and_a_late_time_is_yesterday() -> None:
    rmc = with_checksum("GPRMC,235959.00,A,2326.000,N,11704.000,E,0.0,0.0,300626,,,A", "$").decode()
    gga = with_checksum("GPGGA,235959.00,2326.000,N,11704.000,E,1,08,1.0,3.0,M,,M,,", "$").decode()
    fixes, _ = parse_nmea_fixes([rmc, gga], now=NOW)
    assert [f.ts.date() for f in fixes] == [dt.date(2026, 6, 30)]  # one epoch, dated by RMC
    fixes, _ = parse_nmea_fixes([gga], now=dt.datetime(2026, 7, 1, 0, 5, tzinfo=dt.UTC))
    assert fixes[0].ts.date() == dt.date(2026, 6, 30)


def test_a_bad_checksum_is_refused() -> None:
    line = "$GPGLL,4916.45,N,12311.12,W,225444,A,*1E"
    assert one(line) == ([], [NmeaReject.BAD_CHECKSUM.value])


@fuzz_settings(300)
@given(st.lists(st.text(max_size=90), max_size=8))
def test_never_raises_and_every_line_has_a_fate(lines: list[str]) -> None:
    fixes, rejections = parse_nmea_fixes(lines, now=NOW)
    assert all(isinstance(r.reason, NmeaReject) and r.detail for r in rejections)
    assert len(fixes) + len(rejections) <= len([x for x in lines if x.strip()])


@fuzz_settings(200)
@given(
    st.sampled_from(["GP", "BD", "GB", "GN", "GL"]),
    st.sampled_from(["RMC", "GGA", "GLL", "VTG", "GSV"]),
    st.lists(st.text(alphabet="0123456789.,NSEWAVT-", max_size=12), max_size=14),
)
def test_well_framed_random_fields_never_raise(talker: str, kind: str, fields: list[str]) -> None:
    line = with_checksum(talker + kind + "," + ",".join(fields), "$").decode()
    fixes, rejections = parse_nmea_fixes([line], now=NOW)
    assert len(fixes) + len(rejections) >= 1 or kind == "VTG"
    for f in fixes:
        assert -90 <= f.lat <= 90 and -180 <= f.lon <= 180
