/**
 * The duty room's alarm sounds. An alert that needs the duty officer anew (raised, a worse phase,
 * escalated) sounds once, with the sound of what it is. An unacknowledged alarm (a distress call,
 * a lost contact at its distress phase, any critical alert) sounds again every REPEAT_MS until a
 * named person acknowledges it, on every console (IMO MSC.252(83) alert management). Silencing it
 * stops the sound, and only the sound, until the silence ends.
 */
import { keepsSounding, isSilenced, soundOf } from "./alarm_kinds.js";

export const REPEAT_MS = 30_000;
const TICK_MS = 1000;
const LOUDEST = ["distress", "critical", "alert", "drill"];

export class AlarmBell {
  constructor(alerts, play) {
    this._alerts = alerts;
    this._play = play;
    this._last = new Map(); // alert id -> when this console last sounded it (ms, page clock)
    this._offs = [alerts.on("announce", ({ alert }) => this._announce(alert))];
    this._timer = setInterval(() => this._tick(), TICK_MS);
  }

  destroy() {
    clearInterval(this._timer);
    for (const off of this._offs) off();
  }

  _announce(alert) {
    const kind = soundOf(alert);
    if (!kind || isSilenced(alert)) return;
    this._last.set(alert.id, Date.now());
    this._play(kind, { ids: [alert.id] });
  }

  /** Every second: the unacknowledged alarms whose 30 s have passed sound again, together. An
   * alarm found in the first snapshot after login sounds at once (it has never sounded here). */
  _tick() {
    const now = Date.now();
    const due = [];
    for (const a of this._alerts.open.values()) {
      if (!keepsSounding(a) || isSilenced(a)) continue;
      const last = this._last.get(a.id);
      if (last === undefined || now - last >= REPEAT_MS) due.push([a, last === undefined]);
    }
    if (!due.length) return;
    for (const [a] of due) this._last.set(a.id, now);
    const kind = LOUDEST.find((k) => due.some(([a]) => soundOf(a) === k));
    const first = due.filter(([, never]) => never);
    this._play(kind, { repeat: first.length === 0, ids: due.map(([a]) => a.id) });
  }
}
