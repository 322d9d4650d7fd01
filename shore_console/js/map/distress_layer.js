/**
 * Boats in distress on the fleet map: a pulsing lifebuoy where the distress is (the alert's
 * position, else the boat's last fix), above every dot, whatever the filters; a drill is marked
 * EX and drawn apart from a real call. A click opens the incident. Few markers: Leaflet markers.
 */
import { t } from "../core/i18n.js";
import { ICONS } from "../ui/icons.js";

const L = window.L;

/** "演练 · 粤南澳渔00003 遇险": the name as data, as text never HTML. */
function label(exercise, name) {
  const span = document.createElement("span");
  const n = document.createElement("span");
  n.dataset.raw = "";
  n.textContent = name;
  const [before, after] = t("map.in_distress", { name: "\u0000" }).split("\u0000");
  span.append(exercise ? `${t("alert.exercise")} · ` : "", before, n, after);
  return span;
}

export class DistressLayer {
  constructor(map, { onOpen }) {
    this._group = L.layerGroup().addTo(map);
    this._onOpen = onOpen;
    this._points = [];
  }

  /** marks: [{alert_id, incident_id, vessel_id, name, lat, lon, exercise, acked}] */
  show(marks) {
    this._group.clearLayers();
    this._points = [];
    for (const m of marks) {
      if (m.lat == null || m.lon == null) continue;
      const icon = L.divIcon({
        className: `map-distress${m.exercise ? " drill" : ""}${m.acked ? " acked" : ""}`,
        html: `${ICONS.distress}<b>${m.exercise ? "EX" : "SOS"}</b>`, // static markup only
        iconSize: [40, 40],
        iconAnchor: [20, 20],
      });
      L.marker([m.lat, m.lon], { icon, zIndexOffset: m.exercise ? 900 : 1000 })
        .bindTooltip(label(m.exercise, m.name), { direction: "top", offset: [0, -20] })
        .on("click", () => this._onOpen(m))
        .addTo(this._group);
      this._points.push({ ...m });
    }
  }

  /** What is drawn (tests read it). */
  points() {
    return this._points.map((p) => ({ ...p }));
  }
}
