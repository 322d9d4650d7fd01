"""Ports as zones: a fix within a port's radius counts as in port."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from seaLink.wire.geo import haversine_nm


@dataclass(frozen=True, slots=True)
class Port:
    name: str
    name_en: str
    lat: float
    lon: float
    radius_nmi: float


class PortIndex:
    """Few ports (tens): a linear scan with a cheap bounding-box reject is fast enough."""

    def __init__(self, ports: list[Port]) -> None:
        self.ports = ports

    def port_at(self, lat: float, lon: float) -> Port | None:
        for p in self.ports:
            # 1 nmi is 1/60 degree of latitude; reject far ports before the trigonometry.
            if abs(p.lat - lat) * 60 > p.radius_nmi + 0.1:
                continue
            if haversine_nm(lat, lon, p.lat, p.lon) <= p.radius_nmi:
                return p
        return None


def ports_from_geojson(doc: dict[str, Any], default_radius_nmi: float = 0.5) -> list[Port]:
    ports = []
    for feature in doc.get("features", []):
        props = feature.get("properties") or {}
        geom = feature.get("geometry") or {}
        if props.get("kind") != "port" or geom.get("type") != "Point":
            continue
        lon, lat = geom["coordinates"][:2]
        ports.append(
            Port(
                name=props.get("name", ""),
                name_en=props.get("name_en", ""),
                lat=float(lat),
                lon=float(lon),
                radius_nmi=float(props.get("radius_nmi", default_radius_nmi)),
            )
        )
    return ports


def load_zones_document(path: str | Path | None = None) -> dict[str, Any]:
    """The zones GeoJSON: a given file, or the Nan'ao defaults shipped with SeaLink."""
    if path is not None:
        return dict(json.loads(Path(path).read_text(encoding="utf-8")))
    text = (
        resources.files("seaLink.data").joinpath("nanao_zones.geojson").read_text(encoding="utf-8")
    )
    return dict(json.loads(text))
