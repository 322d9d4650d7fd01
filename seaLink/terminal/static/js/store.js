// The tablet's memory: everything that must survive a reload or a flat battery lives in
// localStorage, under one namespace per vessel.

export class Store {
  constructor(vesselId) {
    this.vesselId = vesselId;
    this.prefix = `sealink-terminal:${vesselId}:`;
  }

  get(name, fallback) {
    const raw = localStorage.getItem(this.prefix + name);
    if (raw === null) return fallback;
    try {
      return JSON.parse(raw);
    } catch {
      return fallback;
    }
  }

  set(name, value) {
    localStorage.setItem(this.prefix + name, JSON.stringify(value));
  }

  /** An id unique across restarts, as the protocol asks: vid-epochseconds-counter. */
  newId(kind) {
    const n = this.get("counter", 0) + 1;
    this.set("counter", n);
    return `${this.vesselId}-${kind}${Math.floor(Date.now() / 1000)}-${n}`;
  }
}

export function nowIso() {
  return new Date().toISOString();
}

/** A UTC instant as Beijing time (UTC+8, no daylight saving), whatever the tablet's zone. */
export function beijingTime(iso) {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return "";
  return new Date(ms + 8 * 3600 * 1000).toISOString().slice(5, 16).replace("T", " ");
}

/** WGS-84 decimal degrees with hemisphere letters, as a crew reads them off a chart plotter. */
export function formatPosition(lat, lon) {
  const ns = `${Math.abs(lat).toFixed(5)}°${lat >= 0 ? "N" : "S"}`;
  const ew = `${Math.abs(lon).toFixed(5)}°${lon >= 0 ? "E" : "W"}`;
  return `${ns}  ${ew}`;
}

/** "23:04": the hour and minute of a UTC instant in Beijing time. */
export function beijingClock(iso) {
  return beijingTime(iso).slice(6);
}
