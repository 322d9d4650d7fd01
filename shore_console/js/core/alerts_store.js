/**
 * Open alerts, from /api/v1/alerts and live "alert" events. Emits "change" on any change and
 * "new" with each alert the console had not seen before (the banner and the alarm sound listen),
 * including alerts found in a snapshot re-read after the live link was down.
 */
import { Emitter } from "./emitter.js";

const ms = (iso) => (iso ? Date.parse(iso) : 0);

export class AlertsStore extends Emitter {
  constructor() {
    super();
    this.open = new Map();
    this._seen = new Set(); // every alert id shown so far, so nothing is announced twice
    this.loaded = false;
  }

  reset(alerts) {
    const announce = this.loaded;
    this.open = new Map(alerts.filter((a) => a.state !== "resolved").map((a) => [a.id, a]));
    const fresh = [...this.open.values()].filter((a) => !this._seen.has(a.id));
    for (const a of this.open.values()) this._seen.add(a.id);
    this.loaded = true;
    this.emit("change");
    if (announce) for (const a of fresh) this.emit("new", { alert: a, escalated: false });
  }

  /** Apply a live alert event {alert_id, vessel_id, grid_id, type, action, phase, severity, at}. */
  apply(ev) {
    const existing = this.open.get(ev.alert_id);
    if (ev.action === "resolved") {
      if (existing) {
        this.open.delete(ev.alert_id);
        this.emit("change");
      }
      return;
    }
    if (existing && ms(ev.at) < ms(existing.updated_at)) return; // an old replayed event
    const escalated = !!existing && existing.phase !== ev.phase;
    const alert = existing ?? {
      id: ev.alert_id,
      vessel_id: ev.vessel_id,
      grid_id: ev.grid_id,
      type: ev.type,
      state: "raised",
      raised_at: ev.at,
      resolved_at: null,
      outcome: null,
      detail: "",
      incident_id: ev.incident_id ?? null,
    };
    if (ev.incident_id != null) alert.incident_id = ev.incident_id;
    alert.phase = ev.phase;
    alert.severity = ev.severity;
    alert.updated_at = ev.at;
    this.open.set(alert.id, alert);
    const isNew = !this._seen.has(alert.id);
    this._seen.add(alert.id);
    this.emit("change");
    if (isNew || escalated) this.emit("new", { alert, escalated });
  }

  /** Open alerts, most urgent first, then newest first. */
  sorted() {
    return [...this.open.values()].sort(
      (a, b) => urgency(b) - urgency(a) || ms(b.raised_at) - ms(a.raised_at),
    );
  }
}

const SEVERITY_RANK = { critical: 4, major: 3, warning: 2, notice: 1 };
const PHASE_RANK = { distress: 3, alert: 2, uncertainty: 1 };

export function urgency(a) {
  return (SEVERITY_RANK[a.severity] || 0) * 10 + (PHASE_RANK[a.phase] || 0);
}

/** Critical alerts and the distress phase need the coordinator now: loud alarm, red banner. */
export function isCritical(a) {
  return a.severity === "critical" || a.phase === "distress" || a.type === "distress";
}
