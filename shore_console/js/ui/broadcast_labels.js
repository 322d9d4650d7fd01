/**
 * Words and small pieces shared by the broadcast pages: kinds, delivery states, the roll-up as
 * "reached at least this far" counts, the progress bar, and the API's refusals in plain words.
 */
import { t } from "../core/i18n.js";
import { h } from "./dom.js";

export const KINDS = ["notice", "policy", "warning", "training"];
export const SIGNALS = ["white", "blue", "yellow", "orange", "red"];
export const REPLIES = ["none", "read", "confirm"];
export const DELIVERY_STATES = ["queued", "sent", "delivered", "read", "acknowledged", "expired", "failed"];
// Rescue tasks use "accepted"/"declined"; on a broadcast they count as acknowledged.
const ANSWERED = ["acknowledged", "accepted", "declined"];

const known = (family, code, list) => (list.includes(code) ? t(`${family}.${code}`) : code || "—");
export const kindLabel = (code) => known("bc.kind", code, KINDS);
export const signalLabel = (code) => known("bc.signal", code, SIGNALS);
export const replyLabel = (code) => known("bc.reply", code, REPLIES);
export const deliveryLabel = (code) =>
  ANSWERED.includes(code) ? t("bc.state.acknowledged") : known("bc.state", code, DELIVERY_STATES);

/** How many deliveries got at least as far as delivered / read / acknowledged (the ladder). */
export function reached(states = {}) {
  const n = (...keys) => keys.reduce((sum, k) => sum + (states[k] || 0), 0);
  const acknowledged = n(...ANSWERED);
  const read = acknowledged + n("read");
  const delivered = read + n("delivered");
  return { delivered, read, acknowledged, expired: n("expired"), failed: n("failed") };
}

/** A bar of three nested layers (delivered, read, acknowledged), with the figures as text too. */
export function progressBar(rollup) {
  const total = rollup?.total || 0;
  const r = reached(rollup?.states);
  const pct = (x) => (total ? Math.round((100 * x) / total) : 0);
  const done = rollup?.done ?? 0;
  return h(
    "div",
    {
      class: "bc-progress",
      role: "progressbar",
      "aria-valuemin": "0",
      "aria-valuemax": String(total),
      "aria-valuenow": String(done),
      "aria-label": t("bc.progress_label", { done, total }),
      dataset: { done: String(done), total: String(total) },
    },
    h("span", { class: "bc-bar bc-bar-delivered", style: { width: `${pct(r.delivered)}%` } }),
    h("span", { class: "bc-bar bc-bar-read", style: { width: `${pct(r.read)}%` } }),
    h("span", { class: "bc-bar bc-bar-acknowledged", style: { width: `${pct(r.acknowledged)}%` } }),
  );
}

/** "送达 3 · 已读 2 · 确认 1 / 共 5" */
export function rollupText(rollup) {
  const r = reached(rollup?.states);
  return t("bc.rollup", { delivered: r.delivered, read: r.read, acknowledged: r.acknowledged, total: rollup?.total || 0 });
}

/** Percent done (what the reply expected asks for), whole numbers. */
export function percentDone(rollup) {
  return rollup?.total ? Math.floor((100 * (rollup.done || 0)) / rollup.total) : 0;
}

const ERROR_KEYS = new Set(["forbidden", "unknown_vessel", "no_target", "expired", "invalid_body", "not_found", "network", "unknown_shelter", "bad_forecast", "too_many_persons"]);

/** A refusal of the hub in the coordinator's words, with the hub's own explanation after it. */
export function apiErrorText(err) {
  const code = err?.code;
  const head = ERROR_KEYS.has(code) ? t(`bc.error.${code}`) : t("bc.error.other", { status: err?.status ?? "?" });
  return err?.message && code !== "network" ? t("bc.error.with_detail", { head, msg: err.message }) : head;
}
