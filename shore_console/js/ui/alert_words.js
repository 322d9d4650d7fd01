/** An alert in words: what it is (and from which source), where it stands, who was told, the
 * drill mark. Shared by the banner, the alerts list, the alert page and the incident page. */
import { alarmClass, distressSource } from "../core/alarm_kinds.js";
import { t } from "../core/i18n.js";
import { clockTime } from "../core/time.js";
import { h, raw } from "./dom.js";
import { icon } from "./icons.js";
import { alertTypeLabel, phaseLabel } from "./labels.js";

export const OUTCOMES = ["rescued", "false_alarm", "contact_restored", "other"];
const SOURCES = new Set(["terminal", "beidou", "epirb", "sart", "mob", "ais"]);

/** "遇险报警 · 船载终端", "失联 · 遇险阶段", "进入管控海域 · 保护区". */
export function alertTitle(a) {
  const kind = alertTypeLabel(a.type);
  if (a.type === "distress") {
    const src = distressSource(a);
    return SOURCES.has(src) ? `${kind} · ${t(`alert.source.${src}`)}` : kind;
  }
  const phase = a.phase ? phaseLabel(a.phase) : "";
  return phase && phase !== "—" ? `${kind} · ${phase}` : kind;
}

/** The icon of what the alert is: a lifebuoy only for a call for help. */
export function alertIcon(a) {
  return icon(alarmClass(a));
}

export function outcomeLabel(code) {
  return OUTCOMES.includes(code) ? t(`alert.outcome.${code}`) : t("alert.outcome.other");
}

/** "待确认", "已确认（张三 08:41）", "已结案：误报". */
export function stateText(a) {
  if (a.state === "resolved") return t("alert.state.resolved_as", { outcome: outcomeLabel(a.outcome) });
  if (a.state === "acknowledged") {
    return t("alert.state.acked_by", { by: a.acked_by || "—", time: clockTime(a.acked_at) });
  }
  return t("alert.state.raised");
}

/** Who an escalation level reaches: 0 duty officer, 1 grid leader, 2 county desk. */
export function levelLabel(level) {
  const n = Math.max(0, Math.min(2, Number(level) || 0));
  return t(`alert.level.${n}`);
}

/** "已通知：值班员 张三；网格长 李四" (the names are data); null when nobody is known to have been
 * told yet. */
export function toldWords(told, { prefix = true } = {}) {
  if (!told.length) return null;
  const parts = prefix ? [t("alert.told")] : [];
  told.forEach(({ level, names }, i) => {
    if (i) parts.push(t("alert.told_sep"));
    parts.push(`${levelLabel(level)} `, raw(names.join("、"), "told-names"));
  });
  return parts;
}

/** "已静音至 08:51（ca）". */
export function silenceText(a) {
  return t("alert.silenced_until", { time: clockTime(a.silenced_until), by: a.silenced_by || "—" });
}

/** The drill mark: 演练 / EXERCISE, on everything of a drill. */
export function drillBadge() {
  return h("span", { class: "drill-badge", title: t("alert.exercise_hint") }, t("alert.exercise"));
}
