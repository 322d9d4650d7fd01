"""Ports as zones: a fix within a harbour's polygon (when the zones document draws one), or else
within its radius of the port's point, counts as in port."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from seaLink.domain.zones import _point_in_ring
from seaLink.wire.geo import haversine_nm


@dataclass(frozen=True, slots=True)
class Port:
    name: str
    name_en: str
    lat: float
    lon: float
    radius_nmi: float
    # The harbour's outline (lon, lat ring) when drawn: it decides, not the radius.
    polygon: tuple[tuple[float, float], ...] | None = None

    def contains(self, lat: float, lon: float) -> bool:
        if self.polygon:
            return _point_in_ring(lon, lat, [list(p) for p in self.polygon])
        return haversine_nm(lat, lon, self.lat, self.lon) <= self.radius_nmi

    @property
    def reach_nmi(self) -> float:
        """How far from its point the harbour extends (for the cheap reject)."""
        if not self.polygon:
            return self.radius_nmi
        return max(haversine_nm(self.lat, self.lon, la, lo) for lo, la in self.polygon)


class PortIndex:
    """Few ports (tens): a linear scan with a cheap bounding-box reject is fast enough."""

    def __init__(self, ports: list[Port]) -> None:
        self.ports = ports
        self._reach = [(p, p.reach_nmi) for p in ports]

    def port_at(self, lat: float, lon: float) -> Port | None:
        for p, reach in self._reach:
            # 1 nmi is 1/60 degree of latitude; reject far ports before the trigonometry.
            if abs(p.lat - lat) * 60 > reach + 0.1:
                continue
            if p.contains(lat, lon):
                return p
        return None

    def named(self, name: str) -> Port | None:
        """The harbour of this Chinese or English name (English: any case)."""
        folded = name.strip().casefold()
        for p in self.ports:
            if name.strip() == p.name or (p.name_en and folded == p.name_en.casefold()):
                return p
        return None

    def near(self, lat: float, lon: float, within_nmi: float) -> Port | None:
        """The harbour this position is in, else the nearest whose edge is within `within_nmi`
        (a boat reporting its exit is often just outside already)."""
        inside = self.port_at(lat, lon)
        if inside is not None:
            return inside
        best: tuple[float, Port] | None = None
        for p, reach in self._reach:
            gap = haversine_nm(lat, lon, p.lat, p.lon) - reach
            if gap <= within_nmi and (best is None or gap < best[0]):
                best = (gap, p)
        return best[1] if best else None


def ports_from_geojson(doc: dict[str, Any], default_radius_nmi: float = 0.5) -> list[Port]:
    ports = []
    for feature in doc.get("features", []):
        props = feature.get("properties") or {}
        geom = feature.get("geometry") or {}
        if props.get("kind") != "port" or geom.get("type") not in ("Point", "Polygon"):
            continue
        ring: tuple[tuple[float, float], ...] | None = None
        if geom["type"] == "Polygon":
            ring = tuple((float(x), float(y)) for x, y, *_ in geom["coordinates"][0])
            # Its point: the outline's mean (for distances to the harbour, ETAs).
            lon = sum(x for x, _ in ring[:-1]) / max(1, len(ring) - 1)
            lat = sum(y for _, y in ring[:-1]) / max(1, len(ring) - 1)
        else:
            lon, lat = geom["coordinates"][:2]
        ports.append(
            Port(
                name=props.get("name", ""),
                name_en=props.get("name_en", ""),
                lat=float(lat),
                lon=float(lon),
                radius_nmi=float(props.get("radius_nmi", default_radius_nmi)),
                polygon=ring,
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
