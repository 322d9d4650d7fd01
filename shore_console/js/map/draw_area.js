/**
 * Drawing a target area on a Leaflet map: a polygon, one click per corner, or a circle, a click
 * for the centre with the radius given in nautical miles. The shape is kept in WGS-84 and handed
 * out in the API's form: a closed [lon, lat] ring, or {lon, lat, radius_nmi}.
 *
 * While a polygon is being drawn the map's double-click zoom is off: a double click on the last
 * corner, or "finish", closes the ring; "undo" takes back the last corner.
 */
const L = window.L;
const STYLE = { color: "#ffd43b", weight: 3, fillColor: "#ffd43b", fillOpacity: 0.15 };
const NM_M = 1852;

export class AreaDrawer {
  constructor(map, { onChange = () => {} } = {}) {
    this._map = map;
    this._onChange = onChange;
    this.mode = null; // "polygon" | "circle" | null (not listening to clicks)
    this.corners = []; // [lat, lon]
    this.closed = false;
    this.centre = null; // [lat, lon]
    this.radiusNm = 5;
    this._layer = L.layerGroup().addTo(map);
    this._click = (e) => this._onClick(e);
    this._dblclick = () => this._onDoubleClick();
    map.on("click", this._click);
    map.on("dblclick", this._dblclick);
  }

  /** Start a new polygon (forgets any shape drawn before). */
  drawPolygon() {
    this.clear(false);
    this.mode = "polygon";
    this._map.doubleClickZoom.disable();
    this._map.getContainer().classList.add("drawing");
    this._changed();
  }

  /** Start a new circle: the next click is its centre. */
  drawCircle(radiusNm = this.radiusNm) {
    this.clear(false);
    this.radiusNm = radiusNm;
    this.mode = "circle";
    this._map.getContainer().classList.add("drawing");
    this._changed();
  }

  setRadius(nm) {
    this.radiusNm = nm;
    this._redraw();
    this._changed();
  }

  /** Close the polygon (needs three corners). */
  finish() {
    if (this.mode !== "polygon" || this.corners.length < 3) return false;
    this.closed = true;
    this._stopListening();
    this._redraw();
    this._changed();
    return true;
  }

  undo() {
    if (this.mode !== "polygon" || !this.corners.length) return;
    this.corners.pop();
    this._redraw();
    this._changed();
  }

  clear(notify = true) {
    this._stopListening();
    this.corners = [];
    this.closed = false;
    this.centre = null;
    this._layer.clearLayers();
    if (notify) this._changed();
  }

  /** The finished polygon as the API wants it (closed [lon, lat] ring), else null. */
  polygon() {
    if (!this.closed) return null;
    const ring = this.corners.map(([lat, lon]) => [round(lon), round(lat)]);
    return [...ring, ring[0]];
  }

  /** The circle as the API wants it, else null. */
  circle() {
    if (!this.centre || !(this.radiusNm > 0)) return null;
    return { lon: round(this.centre[1]), lat: round(this.centre[0]), radius_nmi: this.radiusNm };
  }

  destroy() {
    this._map.off("click", this._click);
    this._map.off("dblclick", this._dblclick);
    this._layer.remove();
  }

  _stopListening() {
    this.mode = null;
    this._map.doubleClickZoom.enable();
    this._map.getContainer().classList.remove("drawing");
  }

  _onClick(e) {
    const at = [e.latlng.lat, e.latlng.lng];
    if (this.mode === "polygon") {
      this.corners.push(at);
    } else if (this.mode === "circle") {
      this.centre = at;
      this.mode = null;
      this._map.getContainer().classList.remove("drawing");
    } else {
      return;
    }
    this._redraw();
    this._changed();
  }

  // A double click ends the polygon. Its two clicks came first and put the last corner in twice.
  _onDoubleClick() {
    if (this.mode !== "polygon") return;
    const [a, b] = this.corners.slice(-2);
    if (a && b && a[0] === b[0] && a[1] === b[1]) this.corners.pop();
    if (!this.finish()) {
      this._redraw();
      this._changed();
    }
  }

  _redraw() {
    this._layer.clearLayers();
    if (this.corners.length) {
      const shape = this.closed || this.corners.length >= 3 ? L.polygon : L.polyline;
      shape(this.corners, { ...STYLE, dashArray: this.closed ? null : "6 6", interactive: false }).addTo(this._layer);
      for (const c of this.corners) {
        L.circleMarker(c, { radius: 5, color: "#111", weight: 1, fillColor: STYLE.color, fillOpacity: 1, interactive: false }).addTo(this._layer);
      }
    }
    if (this.centre) {
      L.circle(this.centre, { ...STYLE, radius: this.radiusNm * NM_M, interactive: false }).addTo(this._layer);
    }
  }

  _changed() {
    this._onChange(this);
  }
}

// Six decimals is about 0.1 m: plenty, and keeps the request small.
const round = (x) => Math.round(x * 1e6) / 1e6;
