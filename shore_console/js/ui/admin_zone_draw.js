/**
 * Drawing a polygon on the offline map: each click adds a corner, the shape is previewed as it
 * grows; undo and clear. `ring()` gives the closed GeoJSON ring ([lon, lat], first = last) or
 * null with fewer than three corners.
 */
import { t } from "../core/i18n.js";
import { createBaseMap } from "../map/base_map.js";
import { h } from "./dom.js";

const L = window.L;
const STYLE = { color: "#ff6bcb", weight: 2, dashArray: "4 4", fillOpacity: 0.15 };

export function zoneDrawer(api, { onLayerError } = {}) {
  const mapEl = h("div", { class: "map zone-draw-map" });
  const count = h("span", { class: "muted zone-draw-count" });
  const undo = h("button", { type: "button", class: "zone-undo" }, t("admin.zone.undo"));
  const clear = h("button", { type: "button", class: "zone-clear" }, t("admin.zone.clear"));
  const el = h(
    "div",
    { class: "zone-draw" },
    h("p", { class: "muted" }, t("admin.zone.draw_hint")),
    mapEl,
    h("div", { class: "form-actions" }, undo, clear, count),
  );
  const points = []; // [lat, lon]
  let map = null;
  let shape = null;
  let marks = null;

  function redraw() {
    shape?.remove();
    marks.clearLayers();
    for (const p of points) L.circleMarker(p, { radius: 4, color: STYLE.color, interactive: false }).addTo(marks);
    if (points.length >= 3) shape = L.polygon(points, { ...STYLE, interactive: false }).addTo(map);
    else if (points.length === 2) shape = L.polyline(points, { ...STYLE, interactive: false }).addTo(map);
    else shape = null;
    count.textContent = t("admin.zone.corners", { n: points.length });
  }

  undo.addEventListener("click", () => {
    points.pop();
    redraw();
  });
  clear.addEventListener("click", () => {
    points.length = 0;
    redraw();
  });

  return {
    el,
    /** Create the map once the element is in the page (Leaflet measures its container). */
    start() {
      map = createBaseMap(mapEl, api, { view: { center: [23.35, 117.1], zoom: 10 }, onLayerError });
      marks = L.layerGroup().addTo(map);
      map.on("click", (e) => {
        points.push([Number(e.latlng.lat.toFixed(5)), Number(e.latlng.lng.toFixed(5))]);
        redraw();
      });
      redraw();
    },
    ring() {
      if (points.length < 3) return null;
      const ring = points.map(([lat, lon]) => [lon, lat]);
      return [...ring, ring[0]];
    },
    reset() {
      points.length = 0;
      if (map) redraw();
    },
    destroy() {
      map?.remove();
      map = null;
    },
  };
}
