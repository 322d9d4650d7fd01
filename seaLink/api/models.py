"""Request bodies of the REST API, validated strictly (wrong types are refused, not coerced)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from seaLink.domain.messaging import TYPHOON_SIGNALS, BroadcastKind, Target

LonLat = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CircleIn(_Body):
    lon: Annotated[float, Field(ge=-180, le=180)]
    lat: Annotated[float, Field(ge=-90, le=90)]
    radius_nmi: Annotated[float, Field(gt=0, le=500)]


class TargetIn(_Body):
    all: bool = False
    grids: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=500)
    groups: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=1000
    )
    vessels: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=100_000
    )
    polygon: list[LonLat] | None = Field(
        None, min_length=4, max_length=1000, description="closed (lon, lat) ring"
    )
    circle: CircleIn | None = None
    at_sea: bool = Field(False, description="only vessels not in port (alone: every vessel at sea)")

    @model_validator(mode="after")
    def _not_empty(self) -> TargetIn:
        if not (
            self.all
            or self.grids
            or self.groups
            or self.vessels
            or self.polygon
            or self.circle
            or self.at_sea
        ):
            raise ValueError(
                "the target names no vessel: give all, grids, groups, vessels, polygon, circle or at_sea"
            )
        return self

    def to_domain(self) -> Target:
        return Target(
            all=self.all,
            grids=tuple(self.grids),
            groups=tuple(self.groups),
            vessels=tuple(self.vessels),
            polygon=tuple((float(a), float(b)) for a, b in self.polygon or ()),
            circle=(self.circle.lon, self.circle.lat, self.circle.radius_nmi)
            if self.circle
            else None,
            at_sea=self.at_sea,
        )


class RecallIn(_Body):
    deadline: AwareDatetime
    shelter: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="the harbour to make for (a port of the zones document)"
    )


class AshoreIn(_Body):
    """Persons ashore of a recalled boat, as a coordinator found them (a phone check)."""

    persons_ashore: Annotated[int, Field(ge=0, le=500)]
    note: Annotated[str, Field(max_length=200)] = ""


class BroadcastIn(_Body):
    kind: BroadcastKind
    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(min_length=1, max_length=5000)]
    target: TargetIn
    priority: Annotated[int, Field(ge=0, le=9)] | None = None
    reply: Literal["none", "read", "confirm"] | None = None
    per_crew: bool = False
    expires_at: AwareDatetime | None = None
    signal: Literal[TYPHOON_SIGNALS] | None = None  # type: ignore[valid-type]
    recall: RecallIn | None = None

    @model_validator(mode="after")
    def _warning_fields(self) -> BroadcastIn:
        if (self.signal or self.recall) and self.kind is not BroadcastKind.WARNING:
            raise ValueError("signal and recall belong to kind 'warning'")
        return self

    @property
    def reply_expected(self) -> str:
        if self.reply:
            return self.reply
        return "confirm" if self.kind is BroadcastKind.WARNING else "read"
