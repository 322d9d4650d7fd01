"""REST resources of training sessions: create (study pack goes out at once), list, one with its
runs and next run, attendance (JSON or CSV)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from seaLink.api import responses as out
from seaLink.api.ids import path_id
from seaLink.api.inputs import query_int
from seaLink.api.models import TargetIn
from seaLink.api.security import json_error, principal
from seaLink.services.training import TrainingSpec, attendance_csv
from seaLink.store.phrases import BOAT_LANG
from seaLink.texts import Phrase, render
from seaLink.wire.codec import describe_errors

if TYPE_CHECKING:
    from seaLink.api.services import ApiServices


class QuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: Annotated[str, Field(min_length=1, max_length=500)]
    options: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=2, max_length=8
    )
    answer: Annotated[str, Field(pattern=r"^[A-Ha-h]$")]


class TrainingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: Annotated[str, Field(min_length=1, max_length=200)]
    study_pack: Annotated[str, Field(min_length=1, max_length=20000)]
    start_notice: Annotated[str, Field(min_length=1, max_length=2000)] = render(
        Phrase("down.training_start.notice"), BOAT_LANG
    )  # sent to the boats as it is, so in their language
    target: TargetIn
    starts_at: AwareDatetime | None = None
    cron: Annotated[str, Field(max_length=64)] = ""
    duration_min: Annotated[int, Field(ge=5, le=600)] = 45
    quiz: list[QuestionIn] = Field(default_factory=list, max_length=100)
    pass_mark: Annotated[int, Field(ge=0, le=100)] = 80

    @model_validator(mode="after")
    def _when(self) -> TrainingIn:
        if bool(self.starts_at) == bool(self.cron):
            raise ValueError(
                "give exactly one of starts_at (one-off) and cron (recurring, Asia/Shanghai)"
            )
        return self


def routes(api: ApiServices) -> list[web.RouteDef]:
    def tid_of(request: web.Request) -> int:
        return path_id(request, "tid", "training")

    async def visible(request: web.Request) -> dict[str, Any]:
        tid = tid_of(request)
        t = await api.training.get(tid)
        if t is None or not all(principal(request).can_read_grid(g) for g in t["grids"]):
            raise web.HTTPNotFound(
                text=json_error(404, "not_found", f"no training {tid} in your grids").text,
                content_type="application/json",
            )
        return t

    async def create(request: web.Request) -> web.Response:
        try:
            body = TrainingIn.model_validate_json(await request.read())
        except ValidationError as exc:
            return json_error(400, "invalid_body", describe_errors(exc, 5))
        spec = TrainingSpec(title=body.title, study_pack=body.study_pack, start_notice=body.start_notice,
                            target=body.target.to_domain(), starts_at=body.starts_at, cron=body.cron,
                            duration_min=body.duration_min, quiz=[q.model_dump() for q in body.quiz],
                            pass_mark=body.pass_mark)  # fmt: skip
        who = principal(request)
        tid = await api.training.create(spec, who)
        return out.respond(out.TrainingOut, await api.training.get(tid), status=201)

    async def list_(request: web.Request) -> web.Response:
        rows = await api.training.list(principal(request).grid_filter())
        return out.respond(out.TrainingListOut, {"trainings": rows, "count": len(rows)})

    async def one(request: web.Request) -> web.Response:
        return out.respond(out.TrainingOut, await visible(request))

    async def attendance(request: web.Request) -> web.Response:
        t = await visible(request)
        run = query_int(request, "run")
        if request.query.get("format", "json") not in ("json", "csv"):
            return json_error(400, "bad_query", "format must be json or csv")
        report = await api.training.attendance(int(t["id"]), run)
        who = principal(request)
        report["vessels"] = [v for v in report["vessels"] if who.can_read_grid(v["grid_id"])]
        report["crew"] = [c for c in report["crew"] if who.can_read_grid(c["grid_id"])]
        report["grids"] = [g for g in report["grids"] if who.can_read_grid(g["grid_id"])]
        if request.query.get("format") == "csv":
            return web.Response(
                text=attendance_csv(report),
                content_type="text/csv",
                charset="utf-8",
                headers={"Content-Disposition": f'attachment; filename="training-{t["id"]}.csv"'},
            )
        return out.respond(out.AttendanceOut, report)

    return [
        web.post("/api/v1/trainings", create),
        web.get("/api/v1/trainings", list_),
        web.get("/api/v1/trainings/{tid}", one),
        web.get("/api/v1/trainings/{tid}/attendance", attendance),
    ]
