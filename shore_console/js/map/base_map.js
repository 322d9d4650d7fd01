/**
 * A Leaflet map with no tile layer (the console must work with no internet): the sea is the map's
 * background colour, land comes from the bundled Natural Earth file, zones and ports from the hub.
 */
import { getLang, t } from "../core/i18n.js";
import { formatLatLon } from "../ui/labels.js";

const L = window.L;
export const HOME = { center: [23.3, 117.1], zoom: 9 };
// The bundled land covers 105-125 E, 15-30 N; beyond it the map would look like open sea.
const BOUNDS = L.latLngBounds([12, 103], [32, 127]);

let landData = null;
// The hub's zones, shared by every map of the page. Admins change zones: the admin page says so
// (zonesChanged), other tabs of this browser hear it on a BroadcastChannel, and a copy older than
// ZONES_MAX_AGE_MS is read again when a map opens (a change made on another PC shows by then).
const ZONES_MAX_AGE_MS = 5 * 60_000;
let zonesData = null;
let zonesAt = 0;
const zoneMaps = new Set(); // a refresh() per live map
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("sealink-zones") : null;

function loadLand() {
  landData ??= fetch("data/land.geojson").then((r) => r.json());
  return landData;
}

function loadZones(api) {
  if (zonesData && Date.now() - zonesAt > ZONES_MAX_AGE_MS) zonesData = null;
  if (!zonesData) {
    zonesAt = Date.now();
    const loading = api.zones().catch((err) => {
      if (zonesData === loading) zonesData = null; // try again next time a map opens
      throw err;
    });
    zonesData = loading;
  }
  return zonesData;
}

function refreshZones() {
  zonesData = null;
  for (const refresh of zoneMaps) refresh();
}

/** The zones changed (added, retired): every open map, here and in this browser's other tabs,
 * reads them again and redraws them. */
export function zonesChanged() {
  refreshZones();
  channel?.postMessage("zones");
}

channel?.addEventListener("message", (e) => e.data === "zones" && refreshZones());

const ZONE_STYLE = {
  protected: { color: "#3fbf7f", weight: 2, fillOpacity: 0.12 },
  sensitive: { color: "#ff9f43", weight: 2, dashArray: "6 4", fillOpacity: 0.08 },
  moratorium: { color: "#d9c36a", weight: 1.5, dashArray: "10 8", fill: false },
  port: { color: "#4dabf7", weight: 2, fillOpacity: 0.25 },
};

function zoneName(props) {
  return getLang() === "en" ? props.name_en || props.name : props.name;
}

/** Draw the zones; returns the layer group and the ids of the zones drawn. */
function addZones(map, doc) {
  const group = L.featureGroup();
  const ids = [];
  for (const f of doc.features || []) {
    const kind = f.properties?.kind;
    const style = ZONE_STYLE[kind];
    if (!style) continue; // "land" zones are rough boxes; the bundled coastline is better
    let layer;
    if (f.geometry.type === "Point") {
      const [lon, lat] = f.geometry.coordinates;
      const radius = (f.properties.radius_nmi || 0.5) * 1852;
      layer = L.circle([lat, lon], { radius, ...style });
    } else {
      layer = L.geoJSON(f, { style: () => style });
    }
    const kindText = t(`zone.${kind}`);
    const label = document.createElement("span"); // text, never HTML from the hub
    label.textContent = `${zoneName(f.properties)} · ${kindText}`;
    layer.bindTooltip(label, { sticky: true });
    group.addLayer(layer);
    ids.push(f.properties?.id ?? f.id);
  }
  group.addTo(map);
  return { group, ids };
}

function addCoordinates(map) {
  const Coords = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd() {
      const div = L.DomUtil.create("div", "map-coords");
      div.setAttribute("aria-hidden", "true");
      map.on("mousemove", (e) => {
        div.textContent = formatLatLon(e.latlng.lat, e.latlng.lng);
      });
      return div;
    },
  });
  new Coords().addTo(map);
}

/** Create the map in `el`. Resolves the land and zone layers in the background. */
export function createBaseMap(el, api, { view = HOME, onLayerError } = {}) {
  const map = L.map(el, {
    center: view.center,
    zoom: view.zoom,
    minZoom: 5,
    maxZoom: 16,
    maxBounds: BOUNDS,
    attributionControl: false,
    zoomControl: true,
    keyboard: true,
  });
  for (const [name, z] of [["land", 200], ["track", 420], ["vessels", 450]]) {
    const pane = map.createPane(name);
    pane.style.zIndex = z;
    pane.style.pointerEvents = "none"; // clicks are hit-tested by the layers themselves
  }
  L.control.attribution({ prefix: false }).addAttribution(t("map.attribution")).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  addCoordinates(map);
  // Leaflet 1.9 ends a zoom animation from a 250 ms timer that remove() does not cancel; if the
  // coordinator leaves the page mid-zoom the timer would throw on the removed map. Skip it then.
  const endZoom = map._onZoomTransitionEnd;
  map._onZoomTransitionEnd = function guardedZoomEnd() {
    if (this._mapPane) endZoom.call(this);
  };
  // The files may arrive after the page that made this map is gone: then add nothing.
  let removed = false;
  map.on("unload", () => {
    removed = true;
  });
  const landRenderer = L.canvas({ pane: "land", padding: 0.2 });
  loadLand()
    .then((doc) => {
      if (removed) return;
      L.geoJSON(doc, {
        renderer: landRenderer,
        interactive: false,
        style: { color: "#7d8f7f", weight: 1, fillColor: "#34443a", fillOpacity: 1 },
      }).addTo(map);
    })
    .catch((err) => onLayerError?.(err));
  // Zones are drawn again when they change; only the latest read is drawn.
  let zoneLayer = null;
  let zoneRead = 0;
  function drawZones() {
    const mine = ++zoneRead;
    loadZones(api)
      .then((doc) => {
        if (removed || mine !== zoneRead) return;
        zoneLayer?.remove();
        const drawn = addZones(map, doc);
        zoneLayer = drawn.group;
        el.dataset.zoneIds = drawn.ids.join(","); // which zones this map shows (tests read it)
      })
      .catch((err) => removed || onLayerError?.(err));
  }
  zoneMaps.add(drawZones);
  map.on("unload", () => zoneMaps.delete(drawZones));
  drawZones();
  return map;
}
