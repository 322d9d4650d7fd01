"""Zones in the API: list (GeoJSON), add, retire, and permits that exempt a vessel from one."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select

from seaLink.api import responses as out
from seaLink.api.ids import path_id
from seaLink.api.security import json_error, principal, refusal
from seaLink.domain.roles import Role
from seaLink.domain.zones import Zone, ZoneKind, parse_calendar
from seaLink.store import zone_store
from seaLink.store.tables import ZoneRecord
from seaLink.store.users import audit
from seaLink.wire.codec import describe_errors

if TYPE_CHECKING:
    from seaLink.runtime import Hub

_zones: Any = ZoneRecord.__table__  # type: ignore[attr-defined]


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


def routes(hub: Hub) -> list[web.RouteDef]:
    def admin_only(request: web.Request) -> None:
        if principal(request).role is not Role.ADMIN:
            raise web.HTTPForbidden(
                text=json_error(403, "forbidden", "only an admin manages zones").text,
                content_type="application/json",
            )

    async def existing_zone(request: web.Request) -> int:
        """The zone of the URL (retired ones too: a permit may outlive a season), else 404."""
        zid = path_id(request, "zid", "zone")
        async with hub.db.engine.connect() as conn:
            found = (await conn.execute(select(_zones.c.id).where(_zones.c.id == zid))).first()
        if found is None:
            raise refusal(404, "not_found", f"no zone {zid}")
        return zid

    async def list_(_request: web.Request) -> web.Response:
        return out.respond(
            out.FeatureCollectionOut,
            await zone_store.all_zones_geojson(hub.db),
            content_type="application/geo+json",
        )

    async def add(request: web.Request) -> web.Response:
        admin_only(request)
        try:
            body = ZoneIn.model_validate_json(await request.read())
        except ValidationError as exc:
            return json_error(400, "invalid_body", describe_errors(exc, 5))
        zid = await zone_store.add_zone(hub.db, {
            "name": body.name, "name_en": body.name_en, "kind": body.kind, "geometry": json.dumps(body.geometry),
            "radius_nmi": body.radius_nmi, "buffer_nmi": body.buffer_nmi, "calendar": body.calendar,
            "exempt_gear": ",".join(body.exempt_gear), "active": True, "created_at": hub.clock.now(),
        })  # fmt: skip
        await hub.zones.reload()
        await audit(
            hub.db,
            ts=hub.clock.now(),
            username=principal(request).username,
            action="zone.add",
            target=f"zone/{zid}",
            detail=body.name,
        )
        return out.respond(out.CreatedOut, {"id": zid}, status=201)

    async def retire(request: web.Request) -> web.Response:
        admin_only(request)
        zid = path_id(request, "zid", "zone")
        if not await zone_store.deactivate_zone(hub.db, zid):
            return json_error(404, "not_found", f"no zone {zid}")
        await hub.zones.reload()
        await audit(
            hub.db,
            ts=hub.clock.now(),
            username=principal(request).username,
            action="zone.retire",
            target=f"zone/{zid}",
        )
        return out.respond(out.RetiredOut, {"retired": zid})

    async def permit(request: web.Request) -> web.Response:
        admin_only(request)
        zid = await existing_zone(request)
        try:
            body = PermitIn.model_validate_json(await request.read())
        except ValidationError as exc:
            return json_error(400, "invalid_body", describe_errors(exc, 3))
        if hub.registry.get(body.vessel_id) is None:
            return json_error(400, "unknown_vessel", f"no vessel {body.vessel_id}")
        await zone_store.add_permit(hub.db, zid, body.vessel_id, body.note)
        await hub.zones.reload()
        await audit(
            hub.db,
            ts=hub.clock.now(),
            username=principal(request).username,
            action="zone.permit",
            target=f"zone/{zid}",
            detail=body.vessel_id,
        )
        return out.respond(out.PermitOut, {"zone_id": zid, "vessel_id": body.vessel_id}, status=201)

    return [
        web.get("/api/v1/zones", list_),
        web.post("/api/v1/zones", add),
        web.delete("/api/v1/zones/{zid}", retire),
        web.post("/api/v1/zones/{zid}/permits", permit),
    ]
