"""REST resources of alerts and incidents: one alert with its trail, acknowledge, resolve;
an incident with its log; the duty roster."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from seaLink.api import responses as out
from seaLink.api.ids import path_id
from seaLink.api.security import json_error, principal
from seaLink.api.words import alert_in_words, log_in_words, reader_lang
from seaLink.domain.rescue import nearest_ready
from seaLink.errors import Refused
from seaLink.services.duty import Shift
from seaLink.wire.codec import describe_errors

if TYPE_CHECKING:
    from seaLink.api.services import ApiServices


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class AckIn(_Body):
    note: Annotated[str, Field(max_length=1000)] = ""


class SilenceIn(_Body):
    minutes: Annotated[int, Field(ge=1, le=60)] = 10


class AssignIn(_Body):
    username: Annotated[str, Field(min_length=1, max_length=64)]


class CommentIn(_Body):
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class BulkAckIn(_Body):
    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(min_length=1, max_length=500)
    note: Annotated[str, Field(max_length=1000)] = ""


class DrillIn(_Body):
    vessel_id: Annotated[str, Field(min_length=1, max_length=32)]
    kind: Literal["distress", "man_overboard"] = "distress"


class ResolveIn(_Body):
    outcome: Literal["rescued", "false_alarm", "contact_restored", "other"]
    note: Annotated[str, Field(max_length=2000)] = ""


class TaskIn(_Body):
    vessels: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=50)
    top: Annotated[int, Field(ge=1, le=20)] | None = None


class SitrepIn(_Body):
    final: bool = False


class DutyIn(_Body):
    grid_id: Annotated[str, Field(max_length=32)]
    coordinator_id: Annotated[str, Field(max_length=32)]
    backup_id: Annotated[str, Field(max_length=32)] | None = None
    starts_at: AwareDatetime
    ends_at: AwareDatetime


async def _body(request: web.Request, model: type[_Body]) -> Any:
    raw = await request.read()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise web.HTTPBadRequest(
            text=json_error(400, "invalid_body", describe_errors(exc, 5)).text,
            content_type="application/json",
        ) from None


def _int(request: web.Request, name: str) -> int:
    return path_id(request, name, "alert" if name == "aid" else "incident")


def _iso(v: Any) -> Any:
    return v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v


def routes(api: ApiServices) -> list[web.RouteDef]:
    desk = api.alert_desk

    async def visible_alert(request: web.Request, write: bool = False) -> dict[str, Any]:
        return await desk.visible(_int(request, "aid"), principal(request), write=write)

    async def detail(request: web.Request, alert_id: int) -> web.Response:
        alert = await desk.alert(alert_id)
        worded = alert_in_words(alert, reader_lang(request), api.clock.now())
        await desk.with_delivery(worded)
        return out.respond(out.AlertDetailOut, worded)

    async def assignees(request: web.Request) -> web.Response:
        people = await desk.assignees(_int(request, "aid"), principal(request))
        return out.respond(out.AssigneesOut, {"people": people})

    async def get_alert(request: web.Request) -> web.Response:
        return await detail(request, (await visible_alert(request))["id"])

    async def ack(request: web.Request) -> web.Response:
        alert_id = _int(request, "aid")
        body: AckIn = await _body(request, AckIn)
        await desk.acknowledge(alert_id, principal(request), body.note)
        return await detail(request, alert_id)

    async def silence(request: web.Request) -> web.Response:
        alert_id = _int(request, "aid")
        body: SilenceIn = await _body(request, SilenceIn)
        await desk.silence(alert_id, principal(request), body.minutes)
        return await detail(request, alert_id)

    async def assign(request: web.Request) -> web.Response:
        alert_id = _int(request, "aid")
        body: AssignIn = await _body(request, AssignIn)
        await desk.assign(alert_id, principal(request), body.username)
        return await detail(request, alert_id)

    async def comment(request: web.Request) -> web.Response:
        alert_id = _int(request, "aid")
        body: CommentIn = await _body(request, CommentIn)
        await desk.comment(alert_id, principal(request), body.text)
        return await detail(request, alert_id)

    async def ack_many(request: web.Request) -> web.Response:
        body: BulkAckIn = await _body(request, BulkAckIn)
        results = await desk.acknowledge_many(body.ids, principal(request), body.note)
        return out.respond(out.BulkAckOut, {"results": {str(k): v for k, v in results.items()}})

    async def drill(request: web.Request) -> web.Response:
        body: DrillIn = await _body(request, DrillIn)
        msg_id = await api.drills.start(body.vessel_id, body.kind, principal(request))
        return out.respond(out.DrillOut, {"msg_id": msg_id, "vessel_id": body.vessel_id,
                                          "kind": body.kind}, status=201)  # fmt: skip

    async def resolve(request: web.Request) -> web.Response:
        alert_id = _int(request, "aid")
        body: ResolveIn = await _body(request, ResolveIn)
        await desk.resolve(alert_id, principal(request), body.outcome, body.note)
        return await detail(request, alert_id)

    async def incident(request: web.Request) -> web.Response:
        iid = _int(request, "iid")
        try:
            row, entries = await api.rescue.record(iid)
        except Refused:
            row, entries = None, []
        if row is None or not principal(request).can_read_grid(row["grid_id"]):
            return json_error(404, "not_found", f"no incident {iid} in your grids")
        lang, now = reader_lang(request), api.clock.now()
        body = {k: _iso(v) for k, v in row.items()}
        body["log"] = [log_in_words({k: _iso(v) for k, v in e.items()}, lang, now) for e in entries]
        alert = await desk.alert(int(row["alert_id"]))
        body["alert"] = alert_in_words(alert, lang, now)
        await desk.with_delivery(body["alert"])
        body["tasks"] = [{k: _iso(v) for k, v in t.items()} for t in await api.rescue.tasks(iid)]
        return out.respond(out.IncidentOut, body)

    async def visible_incident(request: web.Request, write: bool = False) -> int:
        iid = _int(request, "iid")
        case = await api.rescue.case(iid)
        who = principal(request)
        ok = who.can_write_grid(case["grid_id"]) if write else who.can_read_grid(case["grid_id"])
        if not ok:
            raise web.HTTPNotFound(
                text=json_error(404, "not_found", f"no incident {iid} in your grids").text,
                content_type="application/json",
            )
        return iid

    async def nearest(request: web.Request) -> web.Response:
        iid = await visible_incident(request)
        try:
            limit = max(1, min(50, int(request.query.get("limit", "10"))))
        except ValueError:
            return json_error(400, "bad_query", "limit must be an integer")
        who = principal(request)
        ranked = await api.rescue.nearest(iid, limit, who)
        rules = api.rescue.rules
        vessels = []
        for r in ranked:
            shown = api.rescue.shows_position(who, r)
            vessels.append({
                "id": r.id, "name": r.name, "source": r.source, "grid_id": r.grid_id or None,
                "other_grid": r.source == "sealink" and not who.can_read_grid(r.grid_id),
                "same_group": r.same_group,
                "lat": round(r.lat, 6) if shown else None, "lon": round(r.lon, 6) if shown else None,
                "distance_nm": round(r.distance_nm, 2), "bearing_deg": round(r.bearing_deg, 1),
                "eta_min": round(r.eta_min, 1), "fix_age_min": round(r.fix_age_min, 1),
                "stale": r.stale, "reachable": r.reachable, "link": r.link or None,
                "ready": r.ready, "apart": list(r.apart),
            })  # fmt: skip
        return out.respond(out.NearestOut, {"incident_id": iid, "vessels": vessels, "rule": {
            "transit_kn": rules.transit_kn, "stale_after_min": rules.stale_after_min,
            "tie_min": rules.tie_min, "max_dead_reckoning_min": rules.max_dead_reckoning_min,
        }})  # fmt: skip

    async def task(request: web.Request) -> web.Response:
        iid = await visible_incident(request, write=True)
        body: TaskIn = await _body(request, TaskIn)
        if (await api.rescue.case(iid))["lat"] is None:
            # The rescue_task names the scene: without one there is nothing to send boats to.
            return json_error(409, "no_position", "the distress gave no position")
        vessels = list(dict.fromkeys(body.vessels))  # a boat named twice is tasked once
        if body.top:
            ranked = await api.rescue.nearest(iid, 50)
            # Only ready boats (fresh fix, reachable now), by ETA: never one listed apart.
            vessels += [
                r.id for r in nearest_ready((r for r in ranked if r.id not in vessels), body.top)
            ]
            if not vessels:
                return json_error(
                    409,
                    "none_ready",
                    "no boat has a fresh fix and a link now: task boats by name, or hail them",
                )
        if not vessels:
            return json_error(400, "invalid_body", "name vessels or ask for the top N nearest")
        who = principal(request)
        msg_ids = await api.rescue.task(iid, vessels, who.username, who)
        return out.respond(
            out.TaskedOut, {"incident_id": iid, "tasked": vessels, "msg_ids": msg_ids}, status=201
        )

    async def new_sitrep(request: web.Request) -> web.Response:
        iid = await visible_incident(request, write=True)
        body: SitrepIn = await _body(request, SitrepIn)
        who = principal(request)
        text = await api.rescue.next_sitrep(iid, who.username, final=body.final)
        return out.respond(out.SitrepOut, {"incident_id": iid, "text": text}, status=201)

    async def cap(request: web.Request) -> web.Response:
        iid = await visible_incident(request)
        return web.Response(
            text=await api.rescue.cap(iid), content_type="application/cap+xml", charset="utf-8"
        )

    async def duty_list(request: web.Request) -> web.Response:
        rows = await api.duty.shifts(principal(request))
        shifts = [{k: _iso(v) for k, v in r.items()} for r in rows]
        return out.respond(out.DutyListOut, {"shifts": shifts})

    async def duty_add(request: web.Request) -> web.Response:
        body: DutyIn = await _body(request, DutyIn)
        shift = Shift(
            body.grid_id, body.coordinator_id, body.backup_id, body.starts_at, body.ends_at
        )
        await api.duty.add(shift, principal(request))
        return out.respond(out.OkOut, {"ok": True}, status=201)

    return [
        web.get("/api/v1/alerts/{aid}", get_alert),
        web.get("/api/v1/alerts/{aid}/assignees", assignees),
        web.post("/api/v1/acknowledgements", ack_many),
        web.post("/api/v1/drills", drill),
        web.post("/api/v1/alerts/{aid}/ack", ack),
        web.post("/api/v1/alerts/{aid}/silence", silence),
        web.post("/api/v1/alerts/{aid}/assign", assign),
        web.post("/api/v1/alerts/{aid}/comment", comment),
        web.post("/api/v1/alerts/{aid}/resolve", resolve),
        web.get("/api/v1/incidents/{iid}", incident),
        web.get("/api/v1/incidents/{iid}/nearest", nearest),
        web.post("/api/v1/incidents/{iid}/task", task),
        web.post("/api/v1/incidents/{iid}/sitrep", new_sitrep),
        web.get("/api/v1/incidents/{iid}/cap", cap),
        web.get("/api/v1/duty", duty_list),
        web.post("/api/v1/duty", duty_add),
    ]
