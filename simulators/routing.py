"""Sea routes that never cross land: a coarse grid, distance fields, and line-of-sight smoothing.

A boat of 深澳 (north coast) fishing south of the island has to round a cape, and a greedy
"turn when land is ahead" rule gets stuck in bays. So routes come from a breadth-first distance
field over a grid of about one mile (a cell is sea only when all four underlying mask cells are
sea, which makes every step between neighbouring cell centres safe), then the corner points are
pulled tight wherever the straight line stays at sea. Fields towards the ports are computed once
per process; a field towards any other point (a scenario `goto`) only when the direct line is
blocked.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from functools import cache

from seaLink.wire.geo import haversine_nm
from simulators.geo import PORTS, PortPoint
from simulators.landmask import LandMask, default_mask

LatLon = tuple[float, float]
SAMPLE_NM = 0.1  # line-of-sight sampling; a mask cell is about 0.5 nmi
_NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))
_MAX_CACHED = 4096


class Router:
    """Navigability checks and routes inside the land mask's window."""

    def __init__(self, mask: LandMask, port_allowance_nm: float = 1.5) -> None:
        self.mask = mask
        self.port_allowance_nm = port_allowance_nm
        self._ports: tuple[PortPoint, ...] = tuple(PORTS.values())
        self.crows = mask.rows // 2
        self.ccols = mask.cols // 2
        self._sea = self._coarse_sea()
        self._port_fields: dict[str, array[int]] = {}
        self._point_fields: dict[int, array[int]] = {}
        self._paths: dict[tuple[str, int, int], list[LatLon]] = {}

    # -- the fine mask -------------------------------------------------------------------------

    def near_port(self, lat: float, lon: float) -> bool:
        """Ports sit on the coastline, so the last mile into one may cross mask land."""
        allowance_deg = self.port_allowance_nm / 60.0
        for p in self._ports:
            # A cheap box test first: most points are far from every port.
            if (
                abs(p.lat - lat) <= allowance_deg
                and abs(p.lon - lon) <= 2 * allowance_deg
                and haversine_nm(lat, lon, p.lat, p.lon) <= self.port_allowance_nm
            ):
                return True
        return False

    def navigable(self, lat: float, lon: float) -> bool:
        return self.mask.is_ocean(lat, lon) or (
            self.mask.covers(lat, lon) and self.near_port(lat, lon)
        )

    def clear_line(self, a: LatLon, b: LatLon) -> bool:
        """Every point of the segment a-b (sampled every 0.1 nmi, ends included) is navigable."""
        n = max(1, math.ceil(haversine_nm(a[0], a[1], b[0], b[1]) / SAMPLE_NM))
        for k in range(n + 1):
            f = k / n
            if not self.navigable(a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f):
                return False
        return True

    # -- the coarse grid -----------------------------------------------------------------------

    def _coarse_sea(self) -> bytearray:
        m = self.mask
        fine, cols = m.ocean_bytes, m.cols
        sea = bytearray(self.crows * self.ccols)
        for r in range(self.crows):
            top = 2 * r * cols
            bottom = top + cols
            for c in range(self.ccols):
                f = top + 2 * c
                g = bottom + 2 * c
                if fine[f] and fine[f + 1] and fine[g] and fine[g + 1]:
                    sea[r * self.ccols + c] = 1
        return sea

    def cell(self, lat: float, lon: float) -> int | None:
        if not self.mask.covers(lat, lon):
            return None
        r = (self.mask.lat_index(lat) - self.mask.row0) // 2
        c = (self.mask.lon_index(lon) - self.mask.col0) // 2
        if not (0 <= r < self.crows and 0 <= c < self.ccols):
            return None
        return r * self.ccols + c

    def centre(self, cell: int) -> LatLon:
        r, c = divmod(cell, self.ccols)
        m = self.mask
        # The shared corner of the cell's four mask cells.
        lat = m.index_lat(m.row0 + 2 * r + 1)
        lon = m.index_lon(m.col0 + 2 * c + 1)
        return lat, lon

    def _bfs(self, sources: list[int]) -> array[int]:
        rows, cols, sea = self.crows, self.ccols, self._sea
        field = array("i", [-1]) * (rows * cols)
        queue: deque[int] = deque()
        for s in sources:
            if sea[s] and field[s] < 0:
                field[s] = 0
                queue.append(s)
        while queue:
            cur = queue.popleft()
            r, c = divmod(cur, cols)
            d = field[cur] + 1
            for dr, dc in _NEIGHBOURS:
                nr, nc = r + dr, c + dc
                if not (0 <= nr < rows and 0 <= nc < cols):
                    continue
                nxt = nr * cols + nc
                if field[nxt] >= 0 or not sea[nxt]:
                    continue
                # No corner cutting: a diagonal move needs both orthogonal cells at sea.
                if dr and dc and not (sea[r * cols + nc] and sea[nr * cols + c]):
                    continue
                field[nxt] = d
                queue.append(nxt)
        return field

    def port_field(self, port: str) -> array[int]:
        field = self._port_fields.get(port)
        if field is None:
            p = PORTS[port]
            sources = [
                cell
                for cell in self._cells_near(p.lat, p.lon, self.port_allowance_nm)
                if self._sea[cell]
            ]
            if not sources:  # a port further inland than the allowance: take the nearest sea
                sources = [cell for cell in self._cells_near(p.lat, p.lon, 4.0) if self._sea[cell]][
                    :1
                ]
            field = self._bfs(sources)
            self._port_fields[port] = field
        return field

    def _cells_near(self, lat: float, lon: float, radius_nm: float) -> list[int]:
        centre = self.cell(lat, lon)
        if centre is None:
            return []
        r0, c0 = divmod(centre, self.ccols)
        k = math.ceil(radius_nm) + 1
        found = []
        for r in range(max(0, r0 - k), min(self.crows, r0 + k + 1)):
            for c in range(max(0, c0 - k), min(self.ccols, c0 + k + 1)):
                cell = r * self.ccols + c
                clat, clon = self.centre(cell)
                dist = haversine_nm(lat, lon, clat, clon)
                if dist <= radius_nm:
                    found.append((dist, cell))
        return [cell for _, cell in sorted(found)]

    def reachable_from_port(self, port: str, lat: float, lon: float) -> bool:
        start = self._entry_cell(self.port_field(port), (lat, lon))
        return start is not None

    def _entry_cell(self, field: array[int], point: LatLon) -> int | None:
        """The grid cell a boat at `point` joins the field from: its own, or a close one in
        plain sight (a boat just off a rocky shore sits in a cell the grid calls land)."""
        own = self.cell(*point)
        if own is not None and field[own] >= 0:
            return own
        for cell in self._cells_near(point[0], point[1], 3.0):
            if field[cell] >= 0 and self.clear_line(point, self.centre(cell)):
                return cell
        return None

    def _descend(self, field: array[int], start: int) -> list[int]:
        cols = self.ccols
        path = [start]
        cur = start
        while field[cur] > 0:
            r, c = divmod(cur, cols)
            want = field[cur] - 1
            for dr, dc in _NEIGHBOURS:
                nr, nc = r + dr, c + dc
                if 0 <= nr < self.crows and 0 <= nc < cols and field[nr * cols + nc] == want:
                    if dr and dc and not (self._sea[r * cols + nc] and self._sea[nr * cols + c]):
                        continue
                    cur = nr * cols + nc
                    break
            else:  # cannot happen for a BFS field, but never loop forever on a bad one
                break
            path.append(cur)
        return path

    def _pull(self, points: list[LatLon]) -> list[LatLon]:
        """Drop every corner the straight line can skip (greedy string pulling)."""
        out: list[LatLon] = []
        i = 0
        while i < len(points) - 1:
            j = i + 1
            while j + 1 < len(points) and self.clear_line(points[i], points[j + 1]):
                j += 1
            out.append(points[j])
            i = j
        return out

    def _path_from(self, key: str, field: array[int], start: LatLon) -> list[LatLon] | None:
        entry = self._entry_cell(field, start)
        if entry is None:
            return None
        cache_key = (key, entry, 0)
        path = self._paths.get(cache_key)
        if path is None:
            centres = [self.centre(c) for c in self._descend(field, entry)]
            path = [centres[0], *self._pull(centres)] if len(centres) > 1 else centres
            if len(self._paths) >= _MAX_CACHED:
                self._paths.clear()
            self._paths[cache_key] = path
        return path

    # -- routes --------------------------------------------------------------------------------

    def route(self, a: LatLon, b: LatLon) -> list[LatLon]:
        """Waypoints from a to b (b last); the straight line when it is clear."""
        if self.clear_line(a, b):
            return [b]
        target = self._entry_cell(self._open_field(), b)
        if target is None:
            return [b]
        field = self._point_fields.get(target)
        if field is None:
            if len(self._point_fields) >= 8:
                self._point_fields.pop(next(iter(self._point_fields)))
            field = self._bfs([target])
            self._point_fields[target] = field
        path = self._path_from(f"cell{target}", field, a)
        return self._finish(a, path, b)

    def _open_field(self) -> array[int]:
        # Any port field marks every cell connected to the open sea around Nan'ao.
        return self.port_field(next(iter(PORTS)))

    def route_home(self, a: LatLon, port: str) -> list[LatLon]:
        p = PORTS[port]
        b = (p.lat, p.lon)
        if self.clear_line(a, b):
            return [b]
        path = self._path_from(port, self.port_field(port), a)
        return self._finish(a, path, b)

    def route_out(self, port: str, b: LatLon) -> list[LatLon]:
        p = PORTS[port]
        a = (p.lat, p.lon)
        if self.clear_line(a, b):
            return [b]
        back = self._path_from(port, self.port_field(port), b)
        if back is None:
            return [b]
        # The field leads from b towards the port; sail it backwards, then pull again from the
        # port's side, where the smoothing started at the other end.
        points = [a, *reversed(back), b]
        return self._pull(points)

    def _finish(self, a: LatLon, path: list[LatLon] | None, b: LatLon) -> list[LatLon]:
        if path is None:
            return [b]
        points = [a, *path, b]
        return self._pull(points)


@cache
def default_router() -> Router:
    """One router per process: its distance fields and routes are shared by every boat."""
    return Router(default_mask())
