/** An alert's trail (what happened to it, who did what) and its notifications (who the hub told,
 * at which escalation level, on which channel), in words and Beijing time. */
import { t } from "../core/i18n.js";
import { clockTime, formatTime } from "../core/time.js";
import { levelLabel, outcomeLabel } from "./alert_words.js";
import { h, raw } from "./dom.js";
import { phaseLabel } from "./labels.js";

const ACTIONS = new Set([
  "raised", "phase", "escalated", "acknowledged", "silenced", "assigned", "comment", "resolved",
  "cancel_requested",
]);
const CHANNELS = new Set(["console", "sms", "email", "webhook", "wecom", "dingtalk", "feishu"]);

function channelName(channel) {
  return CHANNELS.has(channel) ? t(`trail.channel.${channel}`) : raw(channel);
}

function recipientName(d) {
  if (String(d.recipient_id || "").startsWith("robot:")) return t("delivery.robot");
  return raw(d.recipient_name || d.recipient_id || "—");
}

// A retry or a digest happens in the hub with no live event of its own: while one is pending, the
// page reads the alert again this often.
export const DELIVERY_RECHECK_MS = 30_000;

export function deliveryPending(list) {
  return (list || []).some((d) => d.state === "retrying" || d.state === "held");
}

/** Where each notification stands, per person (or group robot) and channel: sent, retrying,
 * held for the digest, failed, or acknowledged by the person told (issue 20.3). */
export function deliveryList(list) {
  if (!list?.length) return h("p", { class: "muted" }, t("trail.told_none"));
  return h(
    "table",
    { class: "delivery-table" },
    h(
      "thead",
      null,
      h("tr", null, ["delivery.col.who", "trail.col.channel", "trail.col.level", "delivery.col.state",
        "delivery.col.attempts", "delivery.col.last"].map((k) => h("th", { scope: "col" }, t(k)))),
    ),
    h(
      "tbody",
      null,
      list.map((d) =>
        h(
          "tr",
          { class: `delivery-row state-${d.state}`, "data-channel": d.channel, "data-recipient": d.recipient_id,
            "data-state": d.state },
          h("td", null, recipientName(d)),
          h("td", null, channelName(d.channel)),
          h("td", null, levelLabel(d.level)),
          h("td", { class: "delivery-state-cell" },
            h("span", { class: `notify-state notify-${d.state}` }, t(`delivery.state.${d.state}`)),
            d.error ? h("small", { class: "delivery-error" }, " ", raw(d.error)) : null),
          h("td", { class: "num" }, String(d.attempts)),
          h("td", { class: "time" }, formatTime(d.last_at)),
        ),
      ),
    ),
  );
}

function actorName(actor) {
  if (!actor || actor === "system") return t("trail.actor.system");
  if (actor.startsWith("vessel:")) return t("trail.actor.vessel", { id: actor.slice(7) });
  return actor;
}

/** What one trail entry says: words of ours, with the person's own words (notes) as data. */
function said(e) {
  switch (e.action) {
    case "raised":
      return [t("trail.raised", { phase: e.phase ? phaseLabel(e.phase) : "" })];
    case "phase":
      return [t("trail.phase", { phase: phaseLabel(e.phase) })];
    case "escalated":
      return [t("trail.escalated", { level: levelLabel(e.phase) })];
    case "acknowledged":
      return [t("trail.acknowledged"), e.note ? [" — ", raw(e.note)] : null];
    case "silenced":
      return [t("trail.silenced", { time: clockTime(e.note) })];
    case "assigned":
      return [t("trail.assigned"), " ", raw(e.note)];
    case "comment":
      return [t("trail.comment"), " ", raw(e.note, "trail-comment")];
    case "resolved":
      return [
        t("trail.resolved", { outcome: e.phase ? outcomeLabel(e.phase) : t("trail.resolved_by_itself") }),
        e.note ? [" — ", raw(e.note)] : null,
      ];
    case "cancel_requested":
      return [t("trail.cancel_requested"), e.note ? [" — ", raw(e.note)] : null];
    default:
      return [raw(e.action)];
  }
}

export function alertTrail(events) {
  if (!events?.length) return h("p", { class: "muted" }, t("trail.empty"));
  return h(
    "ol",
    { class: "trail-list" },
    events.map((e) =>
      h(
        "li",
        { class: `trail-entry trail-${ACTIONS.has(e.action) ? e.action : "other"}`, "data-action": e.action },
        h("span", { class: "time" }, formatTime(e.ts)),
        " · ",
        raw(actorName(e.actor), "trail-actor"),
        " · ",
        h("span", { class: "trail-what" }, said(e)),
      ),
    ),
  );
}

export function notificationList(notes) {
  if (!notes?.length) return h("p", { class: "muted" }, t("trail.told_none"));
  return h(
    "table",
    { class: "told-table" },
    h(
      "thead",
      null,
      h("tr", null, ["trail.col.time", "trail.col.level", "trail.col.who", "trail.col.channel", "trail.col.result"]
        .map((k) => h("th", { scope: "col" }, t(k)))),
    ),
    h(
      "tbody",
      null,
      notes.map((n) =>
        h(
          "tr",
          { class: `told-row${n.ok ? "" : " failed"}`, "data-level": n.level },
          h("td", { class: "time" }, formatTime(n.ts)),
          h("td", null, levelLabel(n.level)),
          h("td", null, raw(n.recipient_name || n.recipient_id || "—")),
          h("td", null, channelName(n.channel)),
          h("td", null, n.ok ? t("trail.sent") : [t("trail.not_sent"), " ", raw(n.error || "")]),
        ),
      ),
    ),
  );
}
