// Builds data/land.geojson: Natural Earth 1:10m land (via the npm package `world-atlas`), clipped
// to the South China Sea box the console shows, coordinates rounded, tiny islets dropped.
// Run from a folder where `npm install world-atlas@2.0.2 topojson-client@3.1.0` was done:
//   node /path/to/shore_console/tools/build_land.mjs > /path/to/shore_console/data/land.geojson
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

// Resolve the packages from the folder where they were installed, not from this script's folder.
const require = createRequire(join(process.cwd(), "package.json"));
const { feature } = require("topojson-client");

const BOX = { west: 105, east: 125, south: 15, north: 30 };
const DIGITS = 3; // ~100 m: finer than the 1:10m source itself
const MIN_AREA = 1e-5; // square degrees (~0.1 km²): smaller rings are noise at this scale

const topo = JSON.parse(readFileSync(require.resolve("world-atlas/land-10m.json"), "utf8"));
const land = feature(topo, topo.objects.land);

// Sutherland-Hodgman against one box edge; good enough for filled land (edges on the box border
// are invisible because the map never shows outside the box at useful zooms).
function clipEdge(ring, inside, cut) {
  const out = [];
  for (let i = 0; i < ring.length; i++) {
    const cur = ring[i];
    const prev = ring[(i + ring.length - 1) % ring.length];
    if (inside(cur)) {
      if (!inside(prev)) out.push(cut(prev, cur));
      out.push(cur);
    } else if (inside(prev)) {
      out.push(cut(prev, cur));
    }
  }
  return out;
}

const atX = (x) => (a, b) => [x, a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0])];
const atY = (y) => (a, b) => [a[0] + ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]), y];

function clipRing(ring) {
  let r = ring.slice(0, -1); // open the ring
  r = clipEdge(r, (p) => p[0] >= BOX.west, atX(BOX.west));
  r = clipEdge(r, (p) => p[0] <= BOX.east, atX(BOX.east));
  r = clipEdge(r, (p) => p[1] >= BOX.south, atY(BOX.south));
  r = clipEdge(r, (p) => p[1] <= BOX.north, atY(BOX.north));
  const f = 10 ** DIGITS;
  const rounded = [];
  for (const [x, y] of r) {
    const p = [Math.round(x * f) / f, Math.round(y * f) / f];
    const last = rounded[rounded.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) rounded.push(p);
  }
  if (rounded.length < 3) return null;
  rounded.push(rounded[0]);
  return rounded;
}

function area(ring) {
  let s = 0;
  for (let i = 1; i < ring.length; i++) {
    s += ring[i - 1][0] * ring[i][1] - ring[i][0] * ring[i - 1][1];
  }
  return Math.abs(s) / 2;
}

const polygons = [];
for (const f of land.features) {
  const g = f.geometry;
  const polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
  for (const poly of polys) {
    const rings = poly.map(clipRing).filter((r) => r && area(r) >= MIN_AREA);
    // A polygon whose outer ring fell away (outside the box or too small) is dropped whole.
    const outer = clipRing(poly[0]);
    if (outer && area(outer) >= MIN_AREA) polygons.push(rings);
  }
}

const out = {
  type: "FeatureCollection",
  features: [
    {
      type: "Feature",
      properties: {
        kind: "land",
        source: "Natural Earth 1:10m land v4.1.0 (public domain) via world-atlas 2.0.2",
        bbox: [BOX.west, BOX.south, BOX.east, BOX.north],
      },
      geometry: { type: "MultiPolygon", coordinates: polygons },
    },
  ],
};
process.stdout.write(JSON.stringify(out));
