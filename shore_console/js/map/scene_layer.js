/**
 * An incident's scene on a map: where the distress is, the boats that could help with the age of
 * their fix, and the boats tasked with their answers (on their way, declined, no answer yet).
 * Few markers (a scene has tens of boats at most): Leaflet markers, labels as text, never HTML.
 */
import { t } from "../core/i18n.js";
import { formatLatLon } from "../ui/labels.js";
import { ICONS } from "../ui/icons.js";

const L = window.L;

/** A tooltip's content: the boat's name (data, marked so) and our words, as text never HTML. */
function label(name, words) {
  const span = document.createElement("span");
  if (name) {
    const n = document.createElement("span");
    n.dataset.raw = "";
    n.textContent = name;
    span.append(n, " · ");
  }
  span.append(words);
  return span;
}

// Boats by what they are to this incident: colour and size of the dot.
const STYLE = {
  ready: { color: "#4dd0e1", fillColor: "#4dd0e1", radius: 7, fillOpacity: 0.85, weight: 2 },
  apart: { color: "#a0a7b0", fillColor: "#a0a7b0", radius: 6, fillOpacity: 0.25, weight: 2, dashArray: "3 3" },
  tasked: { color: "#ffb020", fillColor: "#ffb020", radius: 9, fillOpacity: 0.9, weight: 3 },
  accepted: { color: "#2ecc71", fillColor: "#2ecc71", radius: 10, fillOpacity: 0.95, weight: 3 },
  declined: { color: "#ff7b7d", fillColor: "#3a1517", radius: 8, fillOpacity: 0.9, weight: 3 },
};

export class SceneLayer {
  constructor(map) {
    this._map = map;
    this._group = L.layerGroup().addTo(map);
    this._points = [];
    this._fitted = false;
  }

  /** scene: {lat, lon, exercise}; boats: [{id, name, words, lat, lon, role}] (role: ready,
   * apart, tasked, accepted, declined). */
  show(scene, boats) {
    this._group.clearLayers();
    this._points = [];
    const latlngs = [];
    for (const b of boats) {
      if (b.lat == null || b.lon == null) continue;
      const style = STYLE[b.role] || STYLE.ready;
      const m = L.circleMarker([b.lat, b.lon], { ...style, className: `scene-boat role-${b.role}` });
      const permanent = b.role === "tasked" || b.role === "accepted" || b.role === "declined";
      m.bindTooltip(label(b.name, b.words), { permanent, direction: "right", offset: [8, 0], className: `scene-tip role-${b.role}` });
      m.addTo(this._group);
      if (permanent) {
        // The way to the scene of a boat sent there.
        if (scene?.lat != null) {
          L.polyline([[b.lat, b.lon], [scene.lat, scene.lon]], {
            color: style.color, weight: 2, opacity: 0.7, dashArray: b.role === "accepted" ? null : "6 6",
            interactive: false,
          }).addTo(this._group);
        }
      }
      latlngs.push([b.lat, b.lon]);
      this._points.push({ id: b.id, role: b.role, lat: b.lat, lon: b.lon, tip: `${b.name} · ${b.words}` });
    }
    if (scene?.lat != null) {
      const icon = L.divIcon({
        className: `scene-distress${scene.exercise ? " drill" : ""}`,
        html: `${ICONS.distress}<b>${scene.exercise ? "EX" : "SOS"}</b>`, // static markup only
        iconSize: [44, 44],
        iconAnchor: [22, 22],
      });
      const where = `${scene.exercise ? `${t("alert.exercise")} · ` : ""}${t("scene.distress")} ${formatLatLon(scene.lat, scene.lon)}`;
      L.marker([scene.lat, scene.lon], { icon, keyboard: false, zIndexOffset: 1000 })
        .bindTooltip(label("", where), { permanent: true, direction: "left", offset: [-22, 0], className: "scene-tip scene-here" })
        .addTo(this._group);
      latlngs.push([scene.lat, scene.lon]);
      this._points.push({ id: "scene", role: "distress", lat: scene.lat, lon: scene.lon });
    }
    if (!this._fitted && latlngs.length) {
      this._fitted = true;
      if (latlngs.length === 1) this._map.setView(latlngs[0], 11, { animate: false });
      else this._map.fitBounds(L.latLngBounds(latlngs).pad(0.25), { maxZoom: 12, animate: false });
    }
  }

  /** What is drawn (tests read it): [{id, role, lat, lon, tip}]. */
  points() {
    return this._points.map((p) => ({ ...p }));
  }
}
