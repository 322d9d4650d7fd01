// The boat's position: the tablet's own GNSS fix if the crew allowed it, else a position entered
// by hand (typed by the crew, or given when the tablet was set up, `--lat/--lon`), always shown as
// entered by hand and never passed off as a fix. Reported every interval; fixes taken while the
// link is down are kept and sent after the next hello as one array marked `backfill` (§2.2).

import { t } from "./i18n.js";
import { beijingTime, formatPosition, nowIso } from "./store.js";

const REPORT_INTERVAL_MS = 10 * 60 * 1000; // the protocol's "every 10 minutes at sea"
const MAX_BACKFILL = 400; // fixes per message, the protocol's limit (§3)

export class Position {
  constructor(store, link, config) {
    this.store = store;
    this.link = link;
    this.current = store.get("position", null);
    if (!this.current && typeof config.lat === "number" && typeof config.lon === "number") {
      this.current = { lat: config.lat, lon: config.lon, source: "config", ts: nowIso() };
    }
    link.beforeFlush.push(() => this._moveBackfill());
    // The first report goes out live, once the link is up (a fix before that would be history).
    this.reportedLive = false;
    link.addEventListener("state", (e) => {
      if (e.detail === "online" && !this.reportedLive) {
        this.reportedLive = true;
        this.report();
      }
    });
    this._watchGnss();
    setInterval(() => this.report(), REPORT_INTERVAL_MS);
    this._wire();
  }

  _watchGnss() {
    if (!navigator.geolocation) return;
    navigator.geolocation.watchPosition(
      (p) => {
        const fix = { lat: round(p.coords.latitude), lon: round(p.coords.longitude), source: "gnss", ts: new Date(p.timestamp).toISOString() };
        if (p.coords.speed !== null && p.coords.speed >= 0) fix.sog = Math.min(102.2, +(p.coords.speed * 1.943844).toFixed(1));
        if (p.coords.heading !== null && p.coords.heading >= 0 && p.coords.heading < 360) fix.cog = +p.coords.heading.toFixed(1);
        const first = !this.current || this.current.source !== "gnss";
        this._set(fix);
        if (first) this.report();
      },
      // Refused or unavailable: the typed or preset position stays.
      () => {},
      { enableHighAccuracy: true, maximumAge: 30_000 },
    );
  }

  _set(fix) {
    this.current = fix;
    this.store.set("position", fix);
    this.render();
    this.onChange?.();
  }

  /** Where the position comes from: gnss, manual, config (entered at set-up), none. */
  source() {
    return this.current ? this.current.source : "none";
  }

  /** Whether the position is this tablet's own satellite fix. */
  isOwnFix() {
    return this.current?.source === "gnss";
  }

  /** A fresh fix for a report or a distress: GNSS time if we have it, else now. */
  fix() {
    if (!this.current) return null;
    const { lat, lon, sog, cog } = this.current;
    const ts = this.current.source === "gnss" ? this.current.ts : nowIso();
    const fix = { ts, lat, lon };
    if (sog !== undefined) fix.sog = sog;
    if (cog !== undefined) fix.cog = cog;
    return fix;
  }

  report() {
    const fix = this.fix();
    if (!fix) return;
    if (this.link.state === "online") {
      this.link.send(`fix:${fix.ts}`, "position", fix);
    } else {
      const kept = this.store.get("backfill", []);
      if (!kept.some((f) => f.ts === fix.ts)) kept.push({ ...fix, backfill: true });
      this.store.set("backfill", kept.slice(-MAX_BACKFILL));
    }
    this.store.set("last-report", nowIso());
    this.render();
  }

  _moveBackfill() {
    const kept = this.store.get("backfill", []);
    if (kept.length === 0) return;
    this.link.outbox.put(`backfill:${kept[0].ts}:${kept.length}`, "position", kept);
    this.store.set("backfill", []);
  }

  _wire() {
    document.getElementById("position-report").addEventListener("click", () => this.report());
    document.getElementById("manual-use").addEventListener("click", () => {
      const lat = parseFloat(document.getElementById("manual-lat").value);
      const lon = parseFloat(document.getElementById("manual-lon").value);
      const error = document.getElementById("manual-error");
      if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) {
        error.textContent = t("badPosition");
        error.hidden = false;
        return;
      }
      error.hidden = true;
      this._set({ lat: round(lat), lon: round(lon), source: "manual", ts: nowIso() });
      this.report();
    });
  }

  render() {
    const p = this.current;
    document.getElementById("position-text").textContent = p ? formatPosition(p.lat, p.lon) : t("noPosition");
    document.getElementById("position-source").textContent = t(`src.${p ? p.source : "none"}`);
    document.getElementById("position-warning").hidden = !p || p.source === "gnss";
    const last = this.store.get("last-report", null);
    document.getElementById("position-sent").textContent = last ? `${t("beijing")} ${beijingTime(last)}` : "—";
  }
}

function round(x) {
  return Math.round(x * 1e6) / 1e6;
}
