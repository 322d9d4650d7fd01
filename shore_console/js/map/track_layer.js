/**
 * A vessel's track from /api/v1/vessels/{id}/track (GeoJSON: the LineString, then one Point per
 * fix). Fixes sent late from the terminal's memory (backfill) are drawn hollow and the legs to and
 * from them dashed: the coordinator sees where the boat was, and that it was not heard live there.
 */
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { formatNumber } from "../ui/labels.js";
import { TRACK_COLOUR } from "./colours.js";

const L = window.L;

function fixesOf(geojson) {
  return (geojson.features || [])
    .filter((f) => f.geometry?.type === "Point")
    .map((f) => ({
      lat: f.geometry.coordinates[1],
      lon: f.geometry.coordinates[0],
      ...f.properties,
    }));
}

function tipFor(fix) {
  const el = document.createElement("span");
  const parts = [formatTime(fix.ts), `${formatNumber(fix.sog)} ${t("unit.knots")}`];
  if (fix.backfill) parts.push(t("track.backfill"));
  el.textContent = parts.join(" · ");
  return el;
}

export class TrackLayer {
  constructor(map) {
    this._map = map;
    // SVG, not canvas: only the drawn fixes take the mouse (for their tooltips), so zones and
    // vessels under and over the track stay hoverable and clickable.
    this._renderer = L.svg({ pane: "track" });
    this._group = L.layerGroup().addTo(map);
    this._fixes = [];
  }

  /** Draw a track document (replaces what was drawn). Returns the number of fixes. */
  show(geojson) {
    this._fixes = fixesOf(geojson);
    this._redraw();
    return this._fixes.length;
  }

  /** Extend the drawn track with a live fix (when the selected vessel moves). */
  append(fix) {
    const last = this._fixes[this._fixes.length - 1];
    if (last && Date.parse(fix.ts) <= Date.parse(last.ts)) return;
    this._fixes.push(fix);
    this._redraw();
  }

  clear() {
    this._fixes = [];
    this._group.clearLayers();
  }

  bounds() {
    return this._fixes.length ? L.latLngBounds(this._fixes.map((f) => [f.lat, f.lon])) : null;
  }

  remove() {
    this._group.remove();
  }

  _redraw() {
    this._group.clearLayers();
    const fixes = this._fixes;
    const renderer = this._renderer;
    // Legs in runs of the same style: solid between live fixes, dashed next to a backfilled one.
    let run = [];
    let dashed = null;
    const flush = () => {
      if (run.length > 1) {
        L.polyline(run, {
          renderer,
          color: TRACK_COLOUR,
          weight: 2.5,
          opacity: 0.9,
          dashArray: dashed ? "6 6" : null,
          interactive: false,
        }).addTo(this._group);
      }
    };
    for (let i = 1; i < fixes.length; i++) {
      const legDashed = !!(fixes[i - 1].backfill || fixes[i].backfill);
      if (legDashed !== dashed) {
        flush();
        run = [[fixes[i - 1].lat, fixes[i - 1].lon]];
        dashed = legDashed;
      }
      run.push([fixes[i].lat, fixes[i].lon]);
    }
    flush();
    for (const f of fixes) {
      L.circleMarker([f.lat, f.lon], {
        renderer,
        radius: f.backfill ? 4 : 3,
        color: TRACK_COLOUR,
        weight: f.backfill ? 2 : 1,
        fillColor: TRACK_COLOUR,
        fillOpacity: f.backfill ? 0 : 0.9,
        className: f.backfill ? "fix-backfill" : "fix-live",
      })
        .bindTooltip(tipFor(f))
        .addTo(this._group);
    }
  }
}
