"""Land or sea, from the global_land_mask data (GLOBE, 1/120 degree, about 0.5 nmi), for a window
around Nan'ao.

We read the package's `globe_combined_mask_compressed.npz` ourselves instead of importing
`global_land_mask.globe` because that module needs numpy (not a SeaLink dependency) and loads the
whole 933 MB grid into every process; a window of the South China Sea coast is 0.3 MB and takes
about 0.3 s to extract with the standard library. Indexing follows `globe.lat_to_index` /
`lon_to_index` exactly, so `is_land` gives the package's answers inside the window.
"""

from __future__ import annotations

import importlib.util
import struct
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO

DATA_FILE = "globe_combined_mask_compressed.npz"


class LandMaskError(RuntimeError):
    """The global_land_mask data file is missing or not in the expected format."""


@dataclass(frozen=True, slots=True)
class Window:
    """The area the simulator sails in; everything outside counts as not navigable."""

    lat_min: float = 21.5
    lat_max: float = 25.5
    lon_min: float = 115.5
    lon_max: float = 121.0


def _data_path() -> Path:
    # find_spec locates the package without executing its __init__ (which imports numpy).
    spec = importlib.util.find_spec("global_land_mask")
    if spec is None or not spec.submodule_search_locations:
        raise LandMaskError("the global_land_mask package is not installed")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / DATA_FILE
        if path.is_file():
            return path
    raise LandMaskError(f"{DATA_FILE} not found in the global_land_mask package")


def _npy_header(f: IO[bytes]) -> str:
    if f.read(6) != b"\x93NUMPY":
        raise LandMaskError("not a .npy member")
    major = f.read(2)[0]
    size_fmt = "<H" if major == 1 else "<I"
    (length,) = struct.unpack(size_fmt, f.read(struct.calcsize(size_fmt)))
    return f.read(length).decode("latin1")


def _first_two(z: zipfile.ZipFile, member: str) -> tuple[float, float]:
    with z.open(member) as f:
        header = _npy_header(f)
        if "'<f8'" not in header:
            raise LandMaskError(f"{member}: expected little-endian float64, got {header}")
        a, b = struct.unpack("<2d", f.read(16))
        return a, b


class LandMask:
    """`is_land(lat, lon)` as `global_land_mask.globe.is_land`, inside a window."""

    def __init__(self, window: Window | None = None, path: Path | None = None) -> None:
        self.window = window or Window()
        with zipfile.ZipFile(path or _data_path()) as z:
            lat0, lat1 = _first_two(z, "lat.npy")
            lon0, lon1 = _first_two(z, "lon.npy")
            self._lat0, self._dlat = lat0, lat1 - lat0
            self._lon0, self._dlon = lon0, lon1 - lon0
            w = self.window
            self.row0 = self.lat_index(w.lat_max)
            self.col0 = self.lon_index(w.lon_min)
            self.rows = self.lat_index(w.lat_min) - self.row0 + 1
            self.cols = self.lon_index(w.lon_max) - self.col0 + 1
            self._ocean = self._extract(z)

    def lat_index(self, lat: float) -> int:
        return int((lat - self._lat0) / self._dlat)

    def lon_index(self, lon: float) -> int:
        return int((lon - self._lon0) / self._dlon)

    def index_lat(self, row: float) -> float:
        """The latitude of a (fractional) row index: the inverse of `lat_index`."""
        return self._lat0 + row * self._dlat

    def index_lon(self, col: float) -> float:
        return self._lon0 + col * self._dlon

    def _extract(self, z: zipfile.ZipFile) -> bytes:
        with z.open("mask.npy") as f:
            header = _npy_header(f)
            shape = header.split("'shape':")[1].split(")")[0].strip(" (")
            full_cols = int(shape.split(",")[1])
            if "'|b1'" not in header or "'fortran_order': False" not in header:
                raise LandMaskError(f"mask.npy: unexpected layout {header}")
            skip = self.row0 * full_cols
            while skip > 0:  # stream past the rows north of the window without keeping them
                skip -= len(f.read(min(skip, 1 << 23)))
            out = bytearray()
            for _ in range(self.rows):
                row = f.read(full_cols)
                out += row[self.col0 : self.col0 + self.cols]
            return bytes(out)

    @property
    def ocean_bytes(self) -> bytes:
        """The window, row by row from the north, one byte per cell: 1 = ocean, 0 = land."""
        return self._ocean

    def covers(self, lat: float, lon: float) -> bool:
        w = self.window
        return w.lat_min <= lat <= w.lat_max and w.lon_min <= lon <= w.lon_max

    def is_ocean(self, lat: float, lon: float) -> bool:
        """Sea according to the mask; False outside the window (the simulator stays inside)."""
        if not self.covers(lat, lon):
            return False
        r = self.lat_index(lat) - self.row0
        c = self.lon_index(lon) - self.col0
        return self._ocean[r * self.cols + c] == 1

    def is_land(self, lat: float, lon: float) -> bool:
        """Land according to the mask; raises outside the window, where we hold no data."""
        if not self.covers(lat, lon):
            raise ValueError(f"({lat:.4f}, {lon:.4f}) is outside the land mask window")
        return not self.is_ocean(lat, lon)


@cache
def default_mask() -> LandMask:
    """One mask per process, loaded on first use."""
    return LandMask()
