"""The text catalogue: every phrase the code uses exists in both languages, every slot is filled,
times are Beijing time with their age, positions are degrees and minutes, codes become words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from seaLink.texts import Phrase, catalogue, in_every_language, lang_of, position, render
from seaLink.texts.catalogue import LANGS, PHRASES, WORDS
from seaLink.texts.render import _SLOT

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 6, 15, 7, 37, tzinfo=UTC)


def _keys_used_in_code() -> set[str]:
    """Every literal key handed to Phrase(...) in the hub's code (f-string keys expanded)."""
    keys: set[str] = set()
    for path in (ROOT / "seaLink").rglob("*.py"):
        for key in re.findall(r'Phrase\(\s*f?"([a-z_.{}]+)"', path.read_text(encoding="utf-8")):
            if "{" not in key:
                keys.add(key)
            elif key == "log.task_{a.state.value}":
                keys |= {"log.task_accepted", "log.task_declined"}
            elif key == "{which}.title" or key == "{which}.body":
                part = key.split(".")[-1]
                keys |= {f"down.distress_ack.{part}", f"down.distress_cancel_ack.{part}"}
            elif key == "down.distress_status.{stage}.title":
                keys |= {f"down.distress_status.{s}.title" for s in ("seen", "organised", "closed")}
            elif key in ("down.drill.{kind}.title", "down.drill.{kind}.body"):
                part = key.split(".")[-1]
                keys |= {f"down.drill.{k}.{part}" for k in ("distress", "man_overboard")}
            elif key.startswith("alert.{type_}"):
                suffix = key.removeprefix("alert.{type_}")
                keys |= {f"alert.lost_contact{suffix}", f"alert.maintenance{suffix}"}
            else:
                raise AssertionError(f"a computed key this test does not know: {key}")
    return keys


def test_every_key_the_code_uses_is_in_the_catalogue() -> None:
    used = _keys_used_in_code()
    assert len(used) > 30
    assert used <= set(PHRASES), sorted(used - set(PHRASES))


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_both_languages_have_the_same_slots(key: str) -> None:
    zh, en = PHRASES[key]
    slots = [{m[1] for m in _SLOT.finditer(t)} for t in (zh, en)]
    # English may name a slot's English twin (zone -> zone_en); otherwise the same values.
    assert {s.removesuffix("_en") for s in slots[0]} == {s.removesuffix("_en") for s in slots[1]}
    for text in (zh, en):
        for m in _SLOT.finditer(text):
            assert m[2] is None or m[2] in WORDS or m[2] in {
                "time", "clock", "age", "pos", "count", "persons", "nm", "suffix", "eta", "phrase",
            }, (key, m[0])  # fmt: skip


def test_every_word_table_has_both_languages() -> None:
    for table, entries in WORDS.items():
        for code, words in entries.items():
            assert len(words) == len(LANGS) and all(words), (table, code)


def test_times_are_beijing_time_with_their_age_never_iso_or_utc() -> None:
    heard = NOW - timedelta(minutes=95)
    p = Phrase("alert.lost_contact", {"last_heard": heard})
    assert render(p, "zh-CN", NOW) == "最后联系 2026-12-06 21:32（1 小时前）"
    assert render(p, "en", NOW) == "Last heard 2026-12-06 21:32 (1 h ago)"
    # Stored as JSON and read back, the same words.
    again = Phrase.from_json(p.to_json())
    assert again is not None and render(again, "en", NOW) == render(p, "en", NOW)
    assert render(Phrase("alert.lost_contact.never"), "en") == "Never heard from"


def test_positions_are_degrees_and_minutes() -> None:
    assert position(23.30, 117.60) == "23°18.00′N 117°36.00′E"
    assert position(-0.5, -1.999999) == "00°30.00′S 002°00.00′W"
    assert render(
        Phrase("alert.distress", {"nature": "fire", "persons": None, "where": [None, None]}), "en"
    ) == ("fire, persons aboard unknown, position unknown")


def test_codes_become_words_in_the_readers_language() -> None:
    inner = Phrase("alert.zone", {"kind": "protected", "zone": "南澎列岛保护区",
                                  "zone_en": "Nanpeng Islands Reserve", "zone_id": 7})  # fmt: skip
    sms = Phrase("notify.alert", {"type": "zone", "vessel": "粤南澳渔01234",
                                  "detail": inner.as_dict(), "alert_id": 9, "level": 2})  # fmt: skip
    words = in_every_language(sms, NOW)
    assert words["zh-CN"] == (
        "【区域】粤南澳渔01234：进入保护区：南澎列岛保护区（告警#9，通知县应急办）请立即处置"
    )
    assert words["en"] == (
        "[Zone] 粤南澳渔01234: Entered protected area: Nanpeng Islands Reserve "
        "(alert #9, to the county emergency desk). Act now."
    )
    for text in words.values():
        assert "zone:" not in text and "{" not in text


def test_the_language_asked_for() -> None:
    assert lang_of("en-GB,en;q=0.9") == "en"
    assert lang_of("zh-CN,zh;q=0.9") == "zh-CN"
    assert lang_of(None) == "zh-CN"
    assert set(catalogue()) == set(LANGS)
    assert catalogue()["en"]["words"]["nature"]["fire"] == "fire"


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# Phrases moved into the catalogue from the services (issue 14, point 6), with English values
# for their slots: what an English reader gets must hold no Chinese of the catalogue's own.
MOVED: dict[str, dict[str, Any]] = {
    "down.typhoon_recall.title": {"name": "Usagi"},
    "down.typhoon_recall.body": {"name": "Usagi"},
    "down.training_pack.title": {"title": "First aid"},
    "down.training_start.title": {"title": "First aid"},
    "down.training_start.notice": {},
    "sitrep.assistance.tasked": {"vessels": "V4 (accepted)"},
    "sitrep.assistance.vessel": {"vessel": "V4", "state": "accepted"},
    "sitrep.assistance.none": {},
    "sitrep.coordinating_centre": {"desk": "County desk", "actor": "admin"},
    "cap.sender_name": {},
    "cap.event": {},
    "cap.headline": {"vessel": "V1", "nature": "fire", "persons": 3},
    "cap.headline.unknown": {"vessel": "V1", "nature": "flooding"},
    "cap.description": {
        "vessel": "V1",
        "nature": "fire",
        "persons": None,
        "where": [23.4, 117.1],
        "mmsi": Phrase("none").as_dict(),
    },
    "cap.instruction": {},
    "cap.area": {"vessel": "V1", "km": 10},
    "robot.open_link": {},
    "user.admin": {},
    "none": {},
}


@pytest.mark.parametrize("key", sorted(MOVED))
def test_moved_phrases_read_in_english_without_chinese(key: str) -> None:
    en = render(Phrase(key, MOVED[key]), "en", NOW)
    zh = render(Phrase(key, MOVED[key]), "zh-CN", NOW)
    assert en and "{" not in en and not CJK.search(en), en
    assert en != zh and CJK.search(zh), zh  # the Chinese is Chinese, and not the English


def test_moved_phrases_keep_their_chinese_words() -> None:
    """Boats and the desk read these today: the catalogue must give them the same bytes."""
    assert render(Phrase("down.typhoon_recall.title", {"name": "天兔 Usagi"})) == (
        "台风“天兔 Usagi”撤离令"
    )
    assert (
        render(Phrase("down.training_start.title", {"title": "海上急救"})) == "【培训开始】海上急救"
    )
    tasked = render(
        Phrase("sitrep.assistance.vessel", {"vessel": "粤南澳渔00004", "state": "accepted"})
    )
    assert tasked == "粤南澳渔00004（已接受）"
    desc = Phrase("cap.description", {"vessel": "粤A", "nature": "fire", "persons": None,
                                      "where": [23.5, 117.25], "mmsi": Phrase("none").as_dict()})  # fmt: skip
    assert render(desc) == "粤A（MMSI 无）于 23°30.00′N 117°15.00′E 报告火灾，船上 不详 人。"
    assert render(Phrase("cap.description", {**desc.args, "mmsi": "412000001"}), "en").startswith(
        "粤A (MMSI 412000001) reports fire"
    )
