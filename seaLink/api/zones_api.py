"""Zones in the API: list (GeoJSON), add, retire, and permits that exempt a vessel from one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from seaLink.api import responses as out
from seaLink.api.ids import path_id
from seaLink.api.security import json_error, principal
from seaLink.domain.zones import Zone, ZoneKind, parse_calendar
from seaLink.services.zone_admin import ZoneSpec
from seaLink.wire.codec import describe_errors

if TYPE_CHECKING:
    from seaLink.api.services import ApiServices


class ZoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=128)]
    name_en: Annotated[str, Field(max_length=128)] = ""
    kind: Literal["protected", "moratorium", "sensitive", "shipping_lane", "port"]
    geometry: dict[str, Any]
    radius_nmi: Annotated[float, Field(ge=0, le=500)] = 0.0
    buffer_nmi: Annotated[float, Field(ge=0, le=100)] = 0.0
    calendar: Annotated[str, Field(max_length=128)] = ""
    exempt_gear: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=20
    )

    @model_validator(mode="after")
    def _valid(self) -> ZoneIn:
        g = self.geometry
        kind = g.get("type")
        if kind not in ("Polygon", "Point", "LineString"):
            raise ValueError(
                "geometry must be a GeoJSON Polygon, Point (with radius_nmi) or LineString"
            )
        if kind == "Point" and self.radius_nmi <= 0:
            raise ValueError("a Point zone needs radius_nmi > 0")
        if kind == "Polygon" and (len(g.get("coordinates", [[]])[0]) < 4):
            raise ValueError("a Polygon needs a closed ring of at least 4 positions")
        try:
            parse_calendar(self.calendar or None)
            Zone(0, self.name, ZoneKind(self.kind), g, self.radius_nmi, self.buffer_nmi)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"zone not usable: {exc}") from None
        return self


class PermitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    vessel_id: Annotated[str, Field(max_length=32)]
    note: Annotated[str, Field(max_length=256)] = ""


def routes(api: ApiServices) -> list[web.RouteDef]:
    zones = api.zone_admin

    async def list_(_request: web.Request) -> web.Response:
        return out.respond(
            out.FeatureCollectionOut, await zones.geojson(), content_type="application/geo+json"
        )

    async def add(request: web.Request) -> web.Response:
        who = principal(request)
        zones.authorize(who)  # a viewer learns nothing from how his body is refused
        try:
            body = ZoneIn.model_validate_json(await request.read())
        except ValidationError as exc:
            return json_error(400, "invalid_body", describe_errors(exc, 5))
        spec = ZoneSpec(
            name=body.name, name_en=body.name_en, kind=body.kind, geometry=body.geometry,
            radius_nmi=body.radius_nmi, buffer_nmi=body.buffer_nmi, calendar=body.calendar,
            exempt_gear=list(body.exempt_gear),
        )  # fmt: skip
        zid = await zones.add(spec, who)
        return out.respond(out.CreatedOut, {"id": zid}, status=201)

    async def retire(request: web.Request) -> web.Response:
        who = principal(request)
        zones.authorize(who)
        zid = path_id(request, "zid", "zone")
        await zones.retire(zid, who)
        return out.respond(out.RetiredOut, {"retired": zid})

    async def permit(request: web.Request) -> web.Response:
        who = principal(request)
        zones.authorize(who)
        zid = path_id(request, "zid", "zone")
        try:
            body = PermitIn.model_validate_json(await request.read())
        except ValidationError as exc:
            return json_error(400, "invalid_body", describe_errors(exc, 3))
        await zones.permit(zid, body.vessel_id, body.note, who)
        return out.respond(out.PermitOut, {"zone_id": zid, "vessel_id": body.vessel_id}, status=201)

    return [
        web.get("/api/v1/zones", list_),
        web.post("/api/v1/zones", add),
        web.delete("/api/v1/zones/{zid}", retire),
        web.post("/api/v1/zones/{zid}/permits", permit),
    ]
