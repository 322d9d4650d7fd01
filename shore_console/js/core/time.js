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

/** "12 分钟前" style age of a time, for "last heard". */
export function ago(iso, now = Date.now()) {
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
