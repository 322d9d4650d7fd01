/** Codes of the API turned into words of the current language (unknown codes are shown as they are). */
import { t } from "../core/i18n.js";

function label(prefix, code) {
  if (!code) return "—";
  const key = `${prefix}.${code}`;
  return KNOWN.has(key) ? t(key) : code;
}

const KNOWN = new Set([
  ...["ok", "overdue", "lost", "maintenance", "unknown"].map((s) => `state.${s}`),
  ...["uncertainty", "alert", "distress", "unaccounted", "returning_late", "returning_on_time"].map((s) => `phase.${s}`),
  ...["critical", "major", "warning", "notice"].map((s) => `severity.${s}`),
  ...["lost_contact", "maintenance", "distress", "zone", "separation", "recall", "recall_track", "left_port"].map(
    (s) => `alert_type.${s}`,
  ),
  ...["protected", "sensitive", "moratorium", "port", "shipping_lane"].map((s) => `zone.${s}`),
  ...["trawl", "pair_trawl", "gillnet", "hook_and_line", "purse_seine", "trap"].map(
    (s) => `gear.${s}`,
  ),
  ...["mqtt", "beidou", "ais"].map((s) => `link.${s}`),
  ...["online", "offline"].map((s) => `link_status.${s}`),
  ...["fishing", "steaming", "drifting", "in_port"].map((s) => `navstate.${s}`),
]);

export const stateLabel = (code) => label("state", code || "unknown");
const ZONE_KINDS = new Set(["protected", "sensitive", "moratorium", "port", "shipping_lane"]);

/** A zone alert's "phase" is the kind of zone; a separation alert's is "separation" (no phase). */
export function phaseLabel(code) {
  if (ZONE_KINDS.has(code)) return label("zone", code);
  if (code === "separation") return "—";
  return label("phase", code);
}
export const severityLabel = (code) => label("severity", code);
/** Zone alerts are typed "zone:<zone id>". */
export const alertTypeLabel = (code) => label("alert_type", code?.startsWith("zone:") ? "zone" : code);
export const gearLabel = (code) => label("gear", code);
export const linkLabel = (code) => label("link", code);
export const linkStatusLabel = (code) => label("link_status", code);
export const navLabel = (code) => label("navstate", code);

/** "23°27.07′N 117°04.81′E": degrees and minutes, as seafarers read them (and as the hub writes). */
export function formatLatLon(lat, lon) {
  if (lat == null || lon == null) return "—";
  const part = (value, pos, neg, width) => {
    const v = Math.abs(value);
    let deg = Math.floor(v);
    let min = (v - deg) * 60;
    if (Math.round(min * 100) >= 6000) {
      deg += 1;
      min = 0;
    }
    return `${String(deg).padStart(width, "0")}°${min.toFixed(2).padStart(5, "0")}′${value >= 0 ? pos : neg}`;
  };
  return `${part(lat, "N", "S", 2)} ${part(lon, "E", "W", 3)}`;
}

export function formatNumber(value, digits = 1) {
  return value == null ? "—" : Number(value).toFixed(digits);
}
