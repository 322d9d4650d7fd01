"""Draw the console's app icons (shore_console/icons/*.png) with the standard library only.

A lifebuoy (white with red quarters) on the console's night blue: what a phone shows on its home
screen once the console is installed. Run from the repository root after changing the drawing:
    python3 shore_console/tools/make_icons.py
The "maskable" icon keeps the buoy inside the middle 80 % (the safe zone a launcher may crop to).
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "icons"
NIGHT = (11, 22, 34)
PANEL = (18, 34, 51)
WHITE = (240, 244, 248)
RED = (214, 48, 49)


def pixel(x: float, y: float, size: int, scale: float, rounded: bool) -> tuple[int, int, int, int]:
    c = size / 2
    dx, dy = x - c, y - c
    r = math.hypot(dx, dy) / (size / 2)  # 0 at the centre, 1 at the edge
    if rounded:  # a rounded square (corner radius 18 %): the plain icon
        k = size * 0.18
        qx, qy = max(abs(dx) - (c - k), 0), max(abs(dy) - (c - k), 0)
        if math.hypot(qx, qy) > k:
            return (0, 0, 0, 0)
    outer, inner = 0.78 * scale, 0.44 * scale
    if inner <= r <= outer:
        quarter = int(((math.degrees(math.atan2(dy, dx)) + 360 + 45) % 360) // 90)
        return (*(RED if quarter % 2 else WHITE), 255)
    if r < inner * 0.86:
        return (*PANEL, 255)
    return (*NIGHT, 255)


def png(size: int, scale: float, rounded: bool) -> bytes:
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            row += bytes(pixel(x + 0.5, y + 0.5, size, scale, rounded))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, size, scale, rounded in [
        ("icon-192.png", 192, 1.0, True),
        ("icon-512.png", 512, 1.0, True),
        ("icon-maskable-512.png", 512, 0.8, False),
        ("apple-touch-icon.png", 180, 1.0, False),
    ]:
        (OUT / name).write_bytes(png(size, scale, rounded))


if __name__ == "__main__":
    main()
