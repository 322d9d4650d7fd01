/** Times: the hub speaks UTC; coordinators read Beijing time (Asia/Shanghai), whatever the PC says. */
import { t } from "./i18n.js";

const TZ = "Asia/Shanghai";
const PARTS = new Intl.DateTimeFormat("en-CA", {
  timeZone: TZ,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** "2026-07-01 08:41:00" in Beijing time ("—" for none); `short` drops the year and seconds. */
export function formatTime(iso, { short = false } = {}) {
  if (!iso) return "—";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return "—";
  const p = Object.fromEntries(PARTS.formatToParts(ms).map((x) => [x.type, x.value]));
  return short
    ? `${p.month}-${p.day} ${p.hour}:${p.minute}`
    : `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

// The hub's time as this page best knows it: the hub says its time in the live link's hello, and
// every live event carries the hub's time of the event. A PC whose clock is off (or a test hub's
// fake clock) then still shows the right ages, and a silence ends when the hub says it does.
let offsetMs = 0;

/** The hub's time now, in ms since the epoch. */
export function hubNow() {
  return Date.now() + offsetMs;
}

/** The hub said that it is `iso` (exact: the hello) or that something happened at `iso` (then the
 * hub's time is at least that: only ever moves our idea of it forward). */
export function noteHubTime(iso, { exact = false } = {}) {
  const ms = Date.parse(iso || "");
  if (Number.isNaN(ms)) return;
  if (exact || ms > hubNow()) offsetMs = ms - Date.now();
}

/** "08:41" in Beijing time: the hour and minute of a time. */
export function clockTime(iso) {
  if (!iso) return "—";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return "—";
  const p = Object.fromEntries(PARTS.formatToParts(ms).map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute}`;
}

/** "2026-07-01 08:41:00（12 分钟前）": a time in Beijing time with its age. */
export function timeWithAge(iso, opts) {
  if (!iso) return "—";
  const age = ago(iso);
  return age ? t("time.with_age", { time: formatTime(iso, opts), age }) : formatTime(iso, opts);
}

/** "12 分钟前" style age of a time, for "last heard" (by the hub's time). */
export function ago(iso, now = hubNow()) {
  if (!iso) return "";
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (Number.isNaN(s)) return "";
  if (s < 0) return t("time.future");
  if (s < 60) return t("time.seconds_ago", { n: s });
  if (s < 3600) return t("time.minutes_ago", { n: Math.floor(s / 60) });
  if (s < 86400 * 2) return t("time.hours_ago", { n: Math.floor(s / 3600) });
  return t("time.days_ago", { n: Math.floor(s / 86400) });
}

/** An ISO time `hours` before another, in UTC with an offset (what the track API wants). */
export function hoursBefore(iso, hours) {
  return new Date(Date.parse(iso) - hours * 3600_000).toISOString();
}

/** "8 分钟后" style time to go until `iso` (by the hub's time): an escalation, a silence's end. */
export function fromNow(iso, now = hubNow()) {
  if (!iso) return "";
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (Number.isNaN(s)) return "";
  if (s <= 0) return t("time.now");
  if (s < 60) return t("time.in_seconds", { n: s });
  if (s < 3600) return t("time.in_minutes", { n: Math.ceil(s / 60) });
  return t("time.in_hours", { n: Math.floor(s / 3600) });
}
