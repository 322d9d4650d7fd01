"""Training sessions: study pack ahead, a persisted job that survives a restart and runs once,
attendance with crew names, quiz scoring, CSV export."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import func, select

from seaLink.domain.training import parse_quiz, score
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store.tables import TrainingRun
from tests.heard import until_heard, uplinks_heard
from tests.test_broadcasts import online
from tests.test_ingest import wait_for

QUIZ = [
    {"text": "落水者救生圈应抛向？", "options": ["上风", "下风"], "answer": "A"},
    {"text": "火警电话？", "options": ["110", "119", "120"], "answer": "B"},
    {"text": "遇险报警后应？", "options": ["关机", "保持通信", "返航"], "answer": "B"},
]


def test_quiz_scoring_against_the_pass_mark() -> None:
    quiz = parse_quiz(QUIZ)
    assert score(["A", "B", "B"], quiz, 80) == score(["a", " b", "B "], quiz, 80)
    full = score(["A", "B", "B"], quiz, 80)
    assert full is not None and (full.correct, full.score, full.passed) == (3, 100, True)
    two = score(["A", "C", "B"], quiz, 80)
    assert two is not None and (two.correct, two.score, two.passed) == (2, 66, False)
    short = score(["A"], quiz, 30)
    assert short is not None and (short.score, short.passed) == (33, True)
    assert score(["A"], [], 80) is None
    try:
        parse_quiz([{"text": "?", "options": ["x", "y"], "answer": "C"}])
    except ValueError as exc:
        assert "question 1" in str(exc)
    else:
        raise AssertionError("an answer outside the options must be refused")


async def _login(base: str) -> dict[str, str]:
    async with aiohttp.ClientSession() as s:
        r = await s.post(
            f"{base}/api/v1/auth/login", json={"username": "admin", "password": "admin-pass-123"}
        )
        return {"Authorization": f"Bearer {(await r.json())['token']}"}


async def test_a_training_job_survives_a_restart_runs_once_and_records_attendance(
    registered: Settings,
) -> None:
    settings = registered.model_copy(update={"admin_password": "admin-pass-123"})
    base = f"http://127.0.0.1:{settings.api.port}"
    hub = Hub(settings)
    vessels = {}
    async with hub.running():
        for vid in ("V1", "V2", "V3"):
            vessels[vid] = online(hub, vid, hub.clock)
        await wait_for(lambda: _reachable(hub, list(vessels)))
        h = await _login(base)
        starts = datetime.now(UTC) + timedelta(seconds=4)
        async with aiohttp.ClientSession(headers=h) as s:
            r = await s.post(f"{base}/api/v1/trainings", json={
                "title": "海上急救", "study_pack": "第一讲：心肺复苏要点……", "target": {"grids": ["G01"]},
                "starts_at": starts.isoformat(), "duration_min": 30, "quiz": QUIZ,
            })  # fmt: skip
            body = await r.json()
            assert r.status == 201, body
            tid = body["id"]
            assert body["next_run"] is not None
            bad = await s.post(
                f"{base}/api/v1/trainings",
                json={"title": "x", "study_pack": "y", "target": {"all": True}},
            )
            assert bad.status == 400 and "starts_at" in (await bad.json())["message"]
        packs = {
            vid: await asyncio.to_thread(vessels[vid].received.get, True, 10) for vid in vessels
        }
        assert all(
            p["kind"] == "training" and p["title"].startswith("【学习资料】")
            for p in packs.values()
        )
    # The hub goes down before the session starts, and comes back after its start time.
    await asyncio.sleep(max(0.0, (starts - datetime.now(UTC)).total_seconds()) + 1)
    hub2 = Hub(settings)
    try:
        async with hub2.running():
            notices = {
                vid: await asyncio.to_thread(vessels[vid].received.get, True, 15) for vid in vessels
            }
            for n in notices.values():
                assert (
                    n["title"] == "【培训开始】海上急救"
                    and n["ack"] == "confirm"
                    and n["training_id"] == tid
                )
                assert [q["text"] for q in n["quiz"]] == [
                    q["text"] for q in QUIZ
                ] and "answer" not in n["quiz"][0]
            now = datetime.now(UTC).isoformat()
            heard = uplinks_heard(hub2)
            vessels["V1"].publish(
                "ack",
                {
                    "msg_id": notices["V1"]["msg_id"],
                    "state": "acknowledged",
                    "ts": now,
                    "crew": ["陈海生", "林水生"],
                    "answers": ["A", "B", "B"],
                },
            )
            vessels["V2"].publish(
                "ack",
                {
                    "msg_id": notices["V2"]["msg_id"],
                    "state": "acknowledged",
                    "ts": now,
                    "crew": ["许德华"],
                    "answers": ["A", "C", "B"],
                },
            )
            await until_heard(hub2, heard, ack=2)
            h = await _login(base)
            async with aiohttp.ClientSession(headers=h) as s:
                report = await (await s.get(f"{base}/api/v1/trainings/{tid}/attendance")).json()
                text = await (
                    await s.get(f"{base}/api/v1/trainings/{tid}/attendance?format=csv")
                ).text()
            async with hub2.db.engine.connect() as conn:
                runs = (
                    await conn.execute(select(func.count()).select_from(TrainingRun))
                ).scalar_one()
        hub3 = Hub(settings)  # a further restart must not run it again
        async with hub3.running():
            await asyncio.sleep(1.5)
            async with hub3.db.engine.connect() as conn:
                runs_after = (
                    await conn.execute(select(func.count()).select_from(TrainingRun))
                ).scalar_one()
            assert all(vessels[v].received.empty() for v in vessels)
    finally:
        for v in vessels.values():
            v.close()
    assert runs == 1 and runs_after == 1
    by_vessel = {v["vessel_id"]: v for v in report["vessels"]}
    assert (
        by_vessel["V1"]["attended"],
        by_vessel["V1"]["crew_count"],
        by_vessel["V1"]["score"],
        by_vessel["V1"]["passed"],
    ) == (True, 2, 100, True)
    assert (by_vessel["V2"]["score"], by_vessel["V2"]["passed"]) == (66, False)
    assert by_vessel["V3"]["attended"] is False and by_vessel["V3"]["score"] is None
    assert report["grids"] == [
        {"grid_id": "G01", "vessels": 3, "attended": 2, "crew": 3, "passed": 1}
    ]
    assert sorted(c["crew_member"] for c in report["crew"]) == ["林水生", "许德华", "陈海生"]
    lines = list(csv.DictReader(io.StringIO(text)))
    assert len(lines) == 4 and {ln["crew_member"] for ln in lines} == {
        "陈海生",
        "林水生",
        "许德华",
        "",
    }


async def _reachable(hub: Hub, vids: list[str]) -> bool:
    return all(hub.outbox.reachable(v, hub.clock.now()) for v in vids)
