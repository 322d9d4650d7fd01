"""Training sessions, one-off or recurring, scheduled with APScheduler 3 in the project's database.

When a training is created its study pack goes out at once, so boats get it while in coverage.
At session time a job sends the start notice (with the quiz); the crews' acknowledgements, with
their names and answers, make the attendance. Jobs live in the database: they survive restarts,
and a `training_run` row, inserted before anything is sent, makes sure no session runs twice.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from seaLink.clock import Clock
from seaLink.domain.messaging import BroadcastKind, Target
from seaLink.domain.roles import Principal, Role
from seaLink.domain.training import parse_quiz, score
from seaLink.errors import Refused
from seaLink.services.broadcasts import BroadcastService, BroadcastSpec
from seaLink.store.db import Database
from seaLink.store.outage import StoreOutage
from seaLink.store.phrases import BOAT_LANG
from seaLink.store.tables import AckEvent, Delivery, Training, TrainingRun, Vessel
from seaLink.store.users import audit
from seaLink.texts import Phrase, render

log = logging.getLogger(__name__)

_t: Any = Training.__table__  # type: ignore[attr-defined]
_run: Any = TrainingRun.__table__  # type: ignore[attr-defined]
_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_ack: Any = AckEvent.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]

TZ = "Asia/Shanghai"
_SERVICE: TrainingService | None = None  # the running hub's service, for persisted jobs


def run_training_job(training_id: int) -> None:
    """Entry point of the persisted job (referenced by name, so it survives restarts). Runs in the
    scheduler's thread and hands the work to the hub's event loop."""
    svc = _SERVICE
    if svc is None or svc.loop is None:
        return
    asyncio.run_coroutine_threadsafe(svc.run(training_id), svc.loop).result(timeout=600)


def sync_url(url: str) -> str:
    """The same database for APScheduler's synchronous job store."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return str(u.set(drivername="sqlite"))
    return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@dataclass(frozen=True, slots=True)
class TrainingSpec:
    title: str
    study_pack: str
    start_notice: str
    target: Target
    starts_at: datetime | None
    cron: str
    duration_min: int
    quiz: list[dict[str, Any]]
    pass_mark: int


class TrainingService:
    def __init__(self, *, db: Database, clock: Clock, broadcasts: BroadcastService) -> None:
        self._db = db
        self._clock = clock
        self._broadcasts = broadcasts
        # A thread-based scheduler: its job store talks to the database synchronously, which must
        # never block the hub's event loop (on SQLite that could even deadlock with our writer).
        url = sync_url(db.url)
        # The job store reads rarely, so it keeps no connection open: a pooled one that the
        # scheduler's thread returns after the store was shut down would stay open for good.
        connect: dict[str, Any] = (
            {"timeout": 30}
            if url.startswith("sqlite")
            else {"application_name": "sealink-scheduler"}
        )
        options: dict[str, Any] = {"poolclass": NullPool, "connect_args": connect}
        store = SQLAlchemyJobStore(url=url, tablename="apscheduler_jobs", engine_options=options)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": store},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
            timezone=TZ,
        )
        self.loop: asyncio.AbstractEventLoop | None = None

    async def start(self, *, paused: bool = False) -> None:
        """Start the scheduler; paused on a hub that does not hold the schedule, so that sessions
        created through its API reach the shared job store but run only on the holder."""
        global _SERVICE
        _SERVICE = self
        self.loop = asyncio.get_running_loop()
        await asyncio.to_thread(self.scheduler.start, paused=paused)

    def resume(self) -> None:
        self.scheduler.resume()

    def wakeup(self) -> None:
        """Look at the job store again (another hub may have added a session)."""
        self.scheduler.wakeup()

    def stop(self) -> None:
        global _SERVICE
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if _SERVICE is self:
            _SERVICE = None

    async def create(self, spec: TrainingSpec, who: Principal) -> int:
        try:
            parse_quiz(spec.quiz)
            trigger = self._trigger(spec)
        except ValueError as exc:
            raise Refused("invalid_body", str(exc)) from None
        now = self._clock.now()
        study = await self._broadcasts.create(
            BroadcastSpec(kind=BroadcastKind.TRAINING, title=render(Phrase("down.training_pack.title", {"title": spec.title}), BOAT_LANG), body=spec.study_pack,
                          target=spec.target, reply="read",
                          expires_at=(spec.starts_at or now) + timedelta(days=7)),
            who,
        )  # fmt: skip
        b = await self._broadcasts_row(study)
        async with self._db.engine.begin() as conn:
            key = (await conn.execute(_t.insert().values(
                title=spec.title, study_pack=spec.study_pack, start_notice=spec.start_notice,
                target=json.dumps(_target_json(spec.target)), starts_at=spec.starts_at, cron=spec.cron,
                duration_min=spec.duration_min, quiz=json.dumps(spec.quiz, ensure_ascii=False),
                pass_mark=spec.pass_mark, study_broadcast_id=study, created_by=who.username, created_at=now,
                grid_ids=b, active=True, creator_role=who.role.value, creator_grids=",".join(sorted(who.grid_ids)),
            ))).inserted_primary_key  # fmt: skip
        assert key is not None
        tid = int(key[0])
        await asyncio.to_thread(
            self.scheduler.add_job,
            run_training_job,
            trigger,
            args=[tid],
            id=f"training-{tid}",
            replace_existing=True,
            name=spec.title,
        )
        await audit(
            self._db,
            ts=now,
            username=who.username,
            action="training.create",
            target=f"training/{tid}",
            detail=spec.title,
        )
        return tid

    async def _broadcasts_row(self, bid: int) -> str:
        from seaLink.store.broadcast_store import get_broadcast

        b = await get_broadcast(self._db, bid)
        return ",".join(b["grids"]) if b else ""

    @staticmethod
    def _trigger(spec: TrainingSpec) -> DateTrigger | CronTrigger:
        if spec.cron:
            return CronTrigger.from_crontab(spec.cron, timezone=TZ)
        if spec.starts_at is None:
            raise ValueError("give starts_at (one-off) or cron (recurring)")
        return DateTrigger(run_date=spec.starts_at)

    async def run(self, training_id: int) -> int | None:
        """Start one occurrence: claim it, then send the start notice with the quiz.

        Each step waits out a database outage (a session due while PostgreSQL restarts still
        starts, late); the claim, committed first, keeps a retried or repeated job from
        starting the occurrence twice.
        """
        now = self._clock.now()
        occurrence = now.replace(second=0, microsecond=0)
        outage = StoreOutage(f"training {training_id}", logger=log)
        claimed = await outage.until_done(lambda: self._claim(training_id, occurrence, now))
        if claimed is None:
            return None
        t, run_id = claimed
        quiz = [{"text": q["text"], "options": q["options"]} for q in json.loads(t["quiz"])]
        target = _target_from_json(json.loads(t["target"]))
        creator = creator_scope(t)
        spec = BroadcastSpec(
            kind=BroadcastKind.TRAINING, title=render(Phrase("down.training_start.title", {"title": t["title"]}), BOAT_LANG), body=t["start_notice"],
            target=target, reply="confirm", per_crew=True,
            expires_at=now + timedelta(minutes=int(t["duration_min"]) + 60),
            extra={"training_id": training_id, "run_id": run_id, "quiz": quiz or None},
        )  # fmt: skip
        try:
            bid = await outage.until_done(lambda: self._broadcasts.create(spec, creator))
        except Refused as exc:  # e.g. no vessel of the creator's grids matches the target now
            log.warning("training %d: run %d not sent: %s", training_id, run_id, exc.message)
            return int(run_id)

        async def link_run() -> None:
            async with self._db.engine.begin() as conn:
                await conn.execute(update(_run).where(_run.c.id == run_id).values(broadcast_id=bid))

        await outage.until_done(link_run)
        log.info("training %d: run %d started (broadcast %d)", training_id, run_id, bid)
        return int(run_id)

    async def _claim(
        self, training_id: int, occurrence: datetime, now: datetime
    ) -> tuple[Any, int] | None:
        """The training and the id of this occurrence's run, or None if it is not to run."""
        async with self._db.engine.begin() as conn:
            t = (await conn.execute(select(_t).where(_t.c.id == training_id))).mappings().first()
            if t is None or not t["active"]:
                return None
            claimed = await conn.execute(
                self._db.insert_ignore(_run),
                [{"training_id": training_id, "occurrence": occurrence, "started_at": now}],
            )
            if not claimed.rowcount:
                return None  # this occurrence already ran
            run_id = (await conn.execute(select(_run.c.id).where(
                _run.c.training_id == training_id, _run.c.occurrence == occurrence))).scalar_one()  # fmt: skip
        return t, int(run_id)

    async def get(self, training_id: int) -> dict[str, Any] | None:
        async with self._db.engine.connect() as conn:
            t = (await conn.execute(select(_t).where(_t.c.id == training_id))).mappings().first()
            runs = (
                (
                    await conn.execute(
                        select(_run).where(_run.c.training_id == training_id).order_by(_run.c.id)
                    )
                )
                .mappings()
                .all()
            )
        if t is None:
            return None
        job = await asyncio.to_thread(self.scheduler.get_job, f"training-{training_id}")
        out = {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in t.items()
            if k not in ("creator_role", "creator_grids")
        }
        out["quiz"] = [{"text": q["text"], "options": q["options"]} for q in json.loads(t["quiz"])]
        out["target"] = json.loads(t["target"])
        out["grids"] = [g for g in t["grid_ids"].split(",") if g]
        out["next_run"] = job.next_run_time.isoformat() if job and job.next_run_time else None
        out["runs"] = [
            {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()}
            for r in runs
        ]
        return out

    async def list(self, grid_ids: list[str] | None) -> list[dict[str, Any]]:
        async with self._db.engine.connect() as conn:
            ids = [
                r[0]
                for r in (
                    await conn.execute(select(_t.c.id).order_by(_t.c.id.desc()).limit(200))
                ).all()
            ]
        out = [t for t in [await self.get(i) for i in ids] if t is not None]
        if grid_ids is not None:
            out = [t for t in out if set(t["grids"]) <= set(grid_ids)]
        return out

    async def attendance(self, training_id: int, run_id: int | None = None) -> dict[str, Any]:
        """Per run: each targeted vessel, whether it attended (acknowledged the start notice),
        its crew with their names, and quiz results."""
        async with self._db.engine.connect() as conn:
            t = (await conn.execute(select(_t).where(_t.c.id == training_id))).mappings().first()
            if t is None:
                raise Refused("not_found", f"no training {training_id}")
            q = select(_run).where(_run.c.training_id == training_id)
            if run_id is not None:
                q = q.where(_run.c.id == run_id)
            runs = (await conn.execute(q.order_by(_run.c.id))).mappings().all()
            rows = []
            for run in runs:
                if run["broadcast_id"] is None:
                    continue
                ds = (await conn.execute(
                    select(_d.c.vessel_id, _d.c.grid_id, _d.c.msg_id, _d.c.state, _v.c.hull_name)
                    .select_from(_d.join(_v, _v.c.id == _d.c.vessel_id))
                    .where(_d.c.broadcast_id == run["broadcast_id"]).order_by(_d.c.grid_id, _d.c.vessel_id)
                )).all()  # fmt: skip
                acks = {
                    r[0]: (json.loads(r[1]), json.loads(r[2]))
                    for r in (
                        await conn.execute(
                            select(_ack.c.msg_id, _ack.c.crew, _ack.c.answers).where(
                                _ack.c.msg_id.in_([d[2] for d in ds]),
                                _ack.c.state == "acknowledged",
                            )
                        )
                    ).all()
                }
                for vid, grid, msg_id, state, hull in ds:
                    crew, answers = acks.get(msg_id, ([], []))
                    rows.append((run, vid, grid, hull, state, crew, answers))
        quiz = parse_quiz(json.loads(t["quiz"]))
        vessels: list[dict[str, Any]] = []
        people: list[dict[str, Any]] = []
        grids: dict[str, dict[str, Any]] = {}
        for run, vid, grid, hull, state, crew, answers in rows:
            attended = state == "acknowledged"
            result = score(answers, quiz, int(t["pass_mark"])) if attended else None
            vessels.append({"run_id": run["id"], "occurrence": run["occurrence"].isoformat(), "vessel_id": vid,
                            "hull_name": hull, "grid_id": grid, "attended": attended, "crew": crew,
                            "crew_count": len(crew), "score": result.score if result else None,
                            "passed": result.passed if result else None})  # fmt: skip
            for name in crew:
                people.append({"run_id": run["id"], "vessel_id": vid, "hull_name": hull, "grid_id": grid,
                               "crew_member": name, "score": result.score if result else None,
                               "passed": result.passed if result else None})  # fmt: skip
            g = grids.setdefault(
                grid, {"grid_id": grid, "vessels": 0, "attended": 0, "crew": 0, "passed": 0}
            )
            g["vessels"] += 1
            g["attended"] += int(attended)
            g["crew"] += len(crew)
            g["passed"] += int(bool(result and result.passed))
        return {
            "training_id": training_id,
            "title": t["title"],
            "pass_mark": t["pass_mark"],
            "grids": sorted(grids.values(), key=lambda x: x["grid_id"]),
            "vessels": vessels,
            "crew": people,
        }


def creator_scope(t: Any) -> Principal:
    """Who a training's start notices go out as: its creator with the scope it had when it made
    the training (a coordinator's training reaches his grids only, never every grid). A training
    stored before the scope was: a coordinator of the grids its study pack reached."""
    grids = t["creator_grids"] if t["creator_role"] is not None else t["grid_ids"]
    role = Role(t["creator_role"]) if t["creator_role"] is not None else Role.COORDINATOR
    return Principal(t["created_by"], role, frozenset(g for g in (grids or "").split(",") if g))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will show as text: a crew name the boat sent as `=HYPERLINK(...)`
    (or starting with + - @, TAB or CR) gets a leading apostrophe instead of becoming a
    formula (OWASP: CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def attendance_csv(report: dict[str, Any]) -> str:
    """One line per crew member (or per vessel that did not attend), for the office's records."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "run_id",
            "occurrence",
            "grid_id",
            "vessel_id",
            "hull_name",
            "attended",
            "crew_member",
            "score",
            "passed",
        ]
    )
    for v in report["vessels"]:
        names = v["crew"] or [""]
        for name in names:
            w.writerow([csv_cell(c) for c in (
                v["run_id"], v["occurrence"], v["grid_id"], v["vessel_id"], v["hull_name"],
                "yes" if v["attended"] else "no", name, "" if v["score"] is None else v["score"],
                "" if v["passed"] is None else ("yes" if v["passed"] else "no"))])  # fmt: skip
    return out.getvalue()


def _target_json(t: Target) -> dict[str, Any]:
    return {
        "all": t.all,
        "grids": list(t.grids),
        "groups": list(t.groups),
        "vessels": list(t.vessels),
        "polygon": [list(p) for p in t.polygon],
        "circle": list(t.circle) if t.circle else None,
        "at_sea": t.at_sea,
    }


def _target_from_json(d: dict[str, Any]) -> Target:
    return Target(
        all=d.get("all", False),
        grids=tuple(d.get("grids", [])),
        groups=tuple(d.get("groups", [])),
        vessels=tuple(d.get("vessels", [])),
        polygon=tuple(tuple(p) for p in d.get("polygon", [])),  # type: ignore[misc]
        circle=tuple(d["circle"]) if d.get("circle") else None,  # type: ignore[arg-type]
        at_sea=d.get("at_sea", False),
    )
