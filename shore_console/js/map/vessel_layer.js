/**
 * All vessels on one canvas, drawn in a handful of path operations (one per contact state), so
 * 10,000 boats redraw in milliseconds. It is a Leaflet Renderer, which gives it Leaflet's canvas
 * positioning and zoom animation; it does its own hit-testing for clicks and hover.
 *
 * Fires "vesselclick" {id} on itself.
 */
import { perf } from "../core/perf.js";
import { STATE_COLOURS } from "./colours.js";

const L = window.L;
const DRAW_ORDER = ["unknown", "maintenance", "ok", "overdue", "lost"]; // the worst on top
const RADIUS = { lost: 8, overdue: 7 };
const BASE_RADIUS = 6;
const TAU = Math.PI * 2;

function textElement(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}

export const VesselLayer = L.Renderer.extend({
  options: { pane: "vessels", padding: 0.1, tolerance: 8 },

  initialize(options) {
    L.Renderer.prototype.initialize.call(this, options);
    this._dots = [];
    this._byId = new Map();
    this._selected = null;
    this._keep = null;
    this._frame = 0;
    this.drawn = 0; // vessels inside the view at the last draw
  },

  // ---- data -----------------------------------------------------------------------------------

  /** Replace every vessel: [{id, label, state, lat, lon}]. */
  setVessels(list) {
    this._dots = list.map((v) => ({ ...v, x: NaN, y: NaN }));
    this._byId = new Map(this._dots.map((d) => [d.id, d]));
    this.redraw();
  },

  /** Move the vessels of a positions batch ([{id, lat, lon}]) and redraw at once. */
  move(list) {
    for (const p of list) {
      const d = this._byId.get(p.id);
      if (d) {
        d.lat = p.lat;
        d.lon = p.lon;
      }
    }
    this.redraw();
  },

  setState(id, state) {
    const d = this._byId.get(id);
    if (d && d.state !== state) {
      d.state = state;
      this.requestRedraw();
    }
  },

  setSelected(id) {
    this._selected = id;
    this.requestRedraw();
  },

  /** Show only the vessels for which keep(id) is true (null shows all). */
  setFilter(keep) {
    this._keep = keep;
    this.requestRedraw();
  },

  redraw() {
    if (this._map && this._bounds) this._draw();
  },

  requestRedraw() {
    if (!this._frame) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this.redraw();
      });
    }
  },

  // ---- Leaflet renderer hooks ---------------------------------------------------------------

  getEvents() {
    const events = L.Renderer.prototype.getEvents.call(this);
    events.click = this._onClick;
    events.mousemove = this._onMouseMove;
    events.mouseout = this._hideTip;
    return events;
  },

  _initContainer() {
    this._container = document.createElement("canvas");
    this._ctx = this._container.getContext("2d");
    this._tip = L.tooltip({ direction: "top", offset: [0, -8], className: "vessel-tip" });
  },

  _destroyContainer() {
    cancelAnimationFrame(this._frame);
    this._frame = 0;
    L.DomUtil.remove(this._container);
    delete this._container;
    delete this._ctx;
  },

  _update() {
    if (this._map._animatingZoom && this._bounds) return;
    L.Renderer.prototype._update.call(this);
    const b = this._bounds;
    const size = b.getSize();
    const dpr = window.devicePixelRatio || 1;
    const canvas = this._container;
    L.DomUtil.setPosition(canvas, b.min);
    canvas.width = Math.round(dpr * size.x);
    canvas.height = Math.round(dpr * size.y);
    canvas.style.width = `${size.x}px`;
    canvas.style.height = `${size.y}px`;
    this._draw();
  },

  _draw() {
    const t0 = performance.now();
    const ctx = this._ctx;
    const b = this._bounds;
    const dpr = window.devicePixelRatio || 1;
    // Draw in layer-point coordinates: the canvas sits at b.min in the map pane.
    ctx.setTransform(dpr, 0, 0, dpr, -b.min.x * dpr, -b.min.y * dpr);
    ctx.clearRect(b.min.x, b.min.y, b.max.x - b.min.x, b.max.y - b.min.y);
    const scale = 256 * 2 ** this._map.getZoom();
    const origin = this._map.getPixelOrigin();
    const buckets = Object.fromEntries(DRAW_ORDER.map((s) => [s, []]));
    const keep = this._keep;
    let drawn = 0;
    for (const d of this._dots) {
      d.x = NaN;
      if (d.lat == null || d.lon == null || (keep && !keep(d.id))) continue;
      // Web Mercator (EPSG:3857), as Leaflet projects, without allocating a point per vessel.
      d.x = scale * (d.lon / 360 + 0.5) - origin.x;
      d.y = scale * (0.5 - Math.log(Math.tan(Math.PI / 4 + (d.lat * Math.PI) / 360)) / TAU) - origin.y;
      if (d.x < b.min.x - 10 || d.x > b.max.x + 10 || d.y < b.min.y - 10 || d.y > b.max.y + 10) {
        continue;
      }
      (buckets[d.state] || buckets.unknown).push(d);
      drawn++;
    }
    this.drawn = drawn;
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "rgba(0, 0, 0, 0.75)";
    for (const state of DRAW_ORDER) {
      const list = buckets[state];
      if (!list.length) continue;
      const r = RADIUS[state] || BASE_RADIUS;
      ctx.beginPath();
      for (const d of list) {
        ctx.moveTo(d.x + r, d.y);
        ctx.arc(d.x, d.y, r, 0, TAU);
      }
      ctx.fillStyle = STATE_COLOURS[state];
      ctx.fill();
      ctx.stroke();
    }
    const sel = this._selected && this._byId.get(this._selected);
    if (sel && !Number.isNaN(sel.x)) {
      ctx.beginPath();
      ctx.arc(sel.x, sel.y, 12, 0, TAU);
      ctx.lineWidth = 3;
      ctx.strokeStyle = "#ffffff";
      ctx.stroke();
    }
    perf.draw(performance.now() - t0);
  },

  // ---- hit-testing ----------------------------------------------------------------------------

  /** The vessel drawn nearest to a layer point, within the click tolerance. */
  hit(layerPoint) {
    let best = null;
    let bestD2 = Infinity;
    for (const d of this._dots) {
      if (Number.isNaN(d.x)) continue;
      const r = (RADIUS[d.state] || BASE_RADIUS) + this.options.tolerance;
      const dx = d.x - layerPoint.x;
      const dy = d.y - layerPoint.y;
      const d2 = dx * dx + dy * dy;
      if (d2 <= r * r && d2 < bestD2) {
        best = d;
        bestD2 = d2;
      }
    }
    return best;
  },

  _onClick(e) {
    const d = this.hit(e.layerPoint);
    if (d) this.fire("vesselclick", { id: d.id });
  },

  _onMouseMove(e) {
    const d = this.hit(e.layerPoint);
    this._map.getContainer().classList.toggle("over-vessel", !!d);
    if (!d) return this._hideTip();
    this._tip.setLatLng([d.lat, d.lon]).setContent(textElement(d.label)); // never as HTML
    if (!this._map.hasLayer(this._tip)) this._tip.addTo(this._map);
  },

  _hideTip() {
    if (this._map?.hasLayer(this._tip)) this._tip.remove();
  },

  // ---- checks (tests and the benchmark) ------------------------------------------------------

  /** The container point where a vessel is drawn, or null if it is not drawn. */
  pointOf(id) {
    const d = this._byId.get(id);
    if (!d || Number.isNaN(d.x)) return null;
    const p = this._map.layerPointToContainerPoint([d.x, d.y]);
    return { x: p.x, y: p.y, lat: d.lat, lon: d.lon, state: d.state };
  },

  /** The [r, g, b] painted at the centre of a vessel's dot. */
  colourOf(id) {
    const d = this._byId.get(id);
    if (!d || Number.isNaN(d.x)) return null;
    const dpr = window.devicePixelRatio || 1;
    const x = Math.round((d.x - this._bounds.min.x) * dpr);
    const y = Math.round((d.y - this._bounds.min.y) * dpr);
    return [...this._ctx.getImageData(x, y, 1, 1).data.slice(0, 3)];
  },
});
