/**
 * What an alert means, for how it is shown and how it sounds. A real distress call (the crew's
 * button on the terminal, an AIS beacon or MAYDAY, a Beidou distress) is unmistakable and never
 * alike anything else; a lost contact at its distress phase is critical but not a call for help;
 * zones, recalls, separations are attention, not alarm; a drill is always a drill.
 */
import { hubNow } from "./time.js";

/** The presentation class: distress, lost, zone, recall, separation, maintenance, other. */
export function alarmClass(a) {
  const type = a.type || "";
  if (type === "distress") return "distress";
  if (type === "lost_contact") return "lost";
  if (type.startsWith("zone")) return "zone";
  if (type === "recall_track" || type === "left_port") return "recall"; // a recall's track checks
  if (type === "recall" || type === "separation" || type === "maintenance") return type;
  return "other";
}

/** The sound of an alert: distress (a call for help), critical, alert, drill, or none. */
export function soundOf(a) {
  if (a.type === "maintenance") return null;
  if (a.exercise) return "drill";
  if (a.type === "distress") return "distress";
  if (a.severity === "critical" || a.phase === "distress") return "critical";
  return "alert";
}

/** An alarm that sounds again every 30 s until a named person acknowledges it (IMO MSC.252(83)):
 * a distress call, a lost contact at its distress phase, any critical alert. */
export function keepsSounding(a) {
  return a.state === "raised" && (a.type === "distress" || a.phase === "distress" || a.severity === "critical");
}

/** Silenced now (by the hub's time): no sound, though the alert stays unacknowledged. */
export function isSilenced(a) {
  return !!a.silenced_until && Date.parse(a.silenced_until) > hubNow();
}

/** Which source raised a distress call: terminal, beidou, epirb, sart, mob, ais (a MAYDAY); null
 * while the alert's detail is not read yet. */
export function distressSource(a) {
  const data = a.data;
  if (!data) return null;
  if (data.link === "beidou") return "beidou";
  if (data.link === "ais") {
    const m = /^AIS (epirb|sart|mob)\b/.exec(data.text || "");
    return m ? m[1] : "ais";
  }
  return "terminal";
}

/** The page that works an alert: a distress call's incident, else the alert itself. */
export function alertPath(a) {
  if (a.type === "distress" && a.incident_id != null) return `/incident/${a.incident_id}`;
  return `/alerts/${a.id}`;
}

/** Banner order: a real distress first, then the other real alarms by urgency, drills last. */
export function precedence(a) {
  const real = a.exercise ? 0 : 1000;
  const call = a.type === "distress" ? 500 : 0;
  const critical = a.severity === "critical" || a.phase === "distress" ? 100 : 0;
  const sev = { major: 30, warning: 20, notice: 10 }[a.severity] || 0;
  return real + call + critical + sev;
}
