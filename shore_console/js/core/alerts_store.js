/**
 * Open alerts (raised or acknowledged), from /api/v1/alerts, kept current by the live `alert` and
 * `alert_notify` events and by the answers to our own actions. Every console sees every action at
 * once: who acknowledged, silenced, assigned, commented, resolved.
 *
 * Emits "change" on any change; "announce" {alert, why} when an alert needs the duty officer anew
 * (why: raised, phase, escalated), including alerts found in a snapshot re-read after the live
 * link was down; "event" {ev, alert} with each live alert event (pages re-read what they show).
 */
import { Emitter } from "./emitter.js";
import { noteHubTime } from "./time.js";

const ms = (iso) => (iso ? Date.parse(iso) : 0);

export class AlertsStore extends Emitter {
  constructor() {
    super();
    this.open = new Map();
    this._seen = new Set(); // every alert id shown so far, so nothing is announced twice
    this._told = new Map(); // alert id -> [{level, name}]: who the hub told, as far as we know
    this.loaded = false;
  }

  reset(alerts) {
    const announce = this.loaded;
    this.open = new Map(alerts.filter((a) => a.state !== "resolved").map((a) => [a.id, a]));
    const fresh = [...this.open.values()].filter((a) => !this._seen.has(a.id));
    for (const a of this.open.values()) this._seen.add(a.id);
    this.loaded = true;
    this.emit("change");
    if (announce) for (const a of fresh) this._announce(a, "raised");
  }

  /** An alert as an action of ours answered it (the live event follows; this is at once). */
  upsert(alert) {
    if (!alert) return;
    if (alert.notifications) this._toldFrom(alert);
    const held = this.open.get(alert.id);
    // A read that a later live event overtook (an acknowledgement meanwhile): keep the newer.
    if (held && ms(alert.updated_at) < ms(held.updated_at)) return this.emit("change");
    if (alert.state === "resolved") this.open.delete(alert.id);
    else if (this.open.has(alert.id) || !this._seen.has(alert.id)) {
      // A read answered in the same instant as a live escalation (a test's still clock, a busy
      // hub) may predate it: an alert's escalation level only ever climbs.
      const level = Math.max(Number(held?.escalation_level) || 0, Number(alert.escalation_level) || 0);
      this.open.set(alert.id, { ...held, ...alert, escalation_level: level, _why: held?._why });
    }
    this._seen.add(alert.id);
    this.emit("change");
  }

  /** Apply a live alert event {alert_id, vessel_id, grid_id, type, action, phase, severity, at,
   * exercise, and by/level/until/to/outcome/incident_id as the action has them}. */
  apply(ev) {
    noteHubTime(ev.at);
    const existing = this.open.get(ev.alert_id);
    if (ev.action === "resolved") {
      if (existing) {
        this.open.delete(ev.alert_id);
        this.emit("change");
      }
      this.emit("event", { ev, alert: existing ?? null });
      return;
    }
    if (existing && ms(ev.at) < ms(existing.updated_at)) return; // an old replayed event
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
      escalation_level: 0,
      acked_by: null,
      incident_id: ev.incident_id ?? null,
    };
    if (ev.incident_id != null) alert.incident_id = ev.incident_id;
    if (ev.exercise != null) alert.exercise = !!ev.exercise;
    const worse = !!existing && ev.phase && existing.phase !== ev.phase;
    if (ev.phase) alert.phase = ev.phase;
    if (ev.severity) alert.severity = ev.severity;
    alert.updated_at = ev.at;
    let why = existing ? null : "raised";
    switch (ev.action) {
      case "phase":
        // A new SAR phase waits for acknowledgement again, whatever was acknowledged before.
        Object.assign(alert, { state: "raised", acked_by: null, acked_at: null });
        if (worse) why = "phase";
        break;
      case "escalated":
        alert.escalation_level = ev.level ?? (alert.escalation_level || 0) + 1;
        why = "escalated";
        break;
      case "acknowledged":
        Object.assign(alert, { state: "acknowledged", acked_by: ev.by, acked_at: ev.at });
        break;
      case "silenced":
        Object.assign(alert, { silenced_until: ev.until, silenced_by: ev.by });
        break;
      case "assigned":
        alert.assigned_to = ev.to;
        break;
      case "cancel_requested":
        alert.data = { ...(alert.data || {}), cancel_requested: true };
        break;
      default:
        break;
    }
    this.open.set(alert.id, alert);
    this._seen.add(alert.id);
    this.emit("change");
    this.emit("event", { ev, alert });
    if (why) this._announce(alert, why);
  }

  /** A live `alert_notify`: the hub told someone of an alert (level 0 duty officer, 1 grid
   * leader, 2 county desk). */
  applyNotify(ev) {
    this._tell(ev.alert_id, ev.level, ev.recipient_name || ev.recipient);
    if (this.open.has(ev.alert_id)) this.emit("change");
  }

  /** Who was told of an alert, by level: [{level, names: [...]}], lowest level first. */
  toldOf(id) {
    const by = new Map();
    for (const { level, name } of this._told.get(id) || []) {
      if (!by.has(level)) by.set(level, []);
      if (!by.get(level).includes(name)) by.get(level).push(name);
    }
    return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([level, names]) => ({ level, names }));
  }

  /** Whether the notifications of an alert were read from the hub (else ask for its detail). */
  knowsTold(id) {
    return this._told.has(id);
  }

  _toldFrom(detail) {
    if (!this._told.has(detail.id)) this._told.set(detail.id, []);
    for (const n of detail.notifications || []) {
      if (n.ok !== false) this._tell(detail.id, n.level, n.recipient_name || n.recipient);
    }
  }

  _tell(id, level, name) {
    if (!name) return;
    if (!this._told.has(id)) this._told.set(id, []);
    const list = this._told.get(id);
    if (!list.some((x) => x.level === level && x.name === name)) list.push({ level, name });
  }

  _announce(alert, why) {
    alert._why = why;
    this.emit("announce", { alert, why });
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

/** How urgent an alert is: a real distress call above everything, a drill below every real alert. */
export function urgency(a) {
  const real = a.exercise ? 0 : 100;
  const call = a.type === "distress" ? 50 : 0;
  return real + call + (SEVERITY_RANK[a.severity] || 0) * 10 + (PHASE_RANK[a.phase] || 0);
}

/** Critical alerts and the distress phase need the coordinator now: loud alarm, red banner. */
export function isCritical(a) {
  return a.severity === "critical" || a.phase === "distress" || a.type === "distress";
}
