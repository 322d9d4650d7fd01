/**
 * One request: what was asked, its log (received, reminders, replies with how far each reply got
 * to the boat, assignment, resolution) and the actions: reply (a tracked message to the boat),
 * assign, resolve. `onChanged()` is called after an action the hub accepted.
 */
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { busy, input, textarea } from "./admin_form.js";
import { h, raw } from "./dom.js";
import { categoryLabel } from "./request_table.js";

const LOG_KINDS = new Set(["received", "reminded", "replied", "assigned", "resolved"]);
const DELIVERY_STATES = new Set(["queued", "sent", "delivered", "read", "acknowledged", "expired", "failed"]);

function logEntry(e) {
  const kind = LOG_KINDS.has(e.kind) ? t(`request.log.${e.kind}`) : e.kind;
  return h(
    "li",
    { class: "log-entry", "data-kind": e.kind },
    h("span", { class: "time" }, formatTime(e.ts)),
    " ",
    h("strong", null, kind),
    " · ",
    raw(e.actor),
    e.text ? [": ", raw(e.text)] : null,
    e.kind === "replied" && e.delivery
      ? h(
          "span",
          { class: `delivery-state delivery-${e.delivery}` },
          DELIVERY_STATES.has(e.delivery) ? t(`request.delivery.${e.delivery}`) : e.delivery,
        )
      : null,
  );
}

/** `status` is the page's status line: it outlives this panel, which is redrawn after each action. */
export function requestDetail(r, { api, session, status, onChanged }) {
  const canWrite = session.role !== "viewer" && r.state !== "resolved";
  const replyText = textarea("reply", { rows: 3, maxlength: 2000, placeholder: t("request.reply_hint") });
  const replyBtn = h("button", { type: "button", class: "primary request-reply" }, t("request.reply"));
  const assignee = input("assign", { maxlength: 64, value: r.assigned_to || session.username });
  const assignBtn = h("button", { type: "button", class: "request-assign" }, t("request.assign"));
  const note = input("resolve_note", { maxlength: 2000, placeholder: t("request.resolve_hint") });
  const resolveBtn = h("button", { type: "button", class: "request-resolve" }, t("request.resolve"));

  function act(button, fn, okKey) {
    status.clear();
    busy(button, async () => {
      try {
        await fn();
        status.ok(t(okKey));
        onChanged();
      } catch (err) {
        status.fail(err);
      }
    });
  }
  replyBtn.addEventListener("click", () => {
    const text = replyText.value.trim();
    if (!text) return status.fail({ message: t("request.reply_empty") });
    act(replyBtn, () => api.replyRequest(r.id, text), "request.replied");
  });
  assignBtn.addEventListener("click", () =>
    act(assignBtn, () => api.assignRequest(r.id, assignee.value.trim()), "request.assigned"),
  );
  resolveBtn.addEventListener("click", () =>
    act(resolveBtn, () => api.resolveRequest(r.id, note.value.trim()), "request.resolved"),
  );

  return h(
    "div",
    { class: "card request-detail", "data-request-id": r.id },
    h(
      "h2",
      null,
      t("request.one", { id: r.id }),
      " · ",
      categoryLabel(r.category),
      " · ",
      raw(r.hull_name || r.vessel_id),
    ),
    h("blockquote", { class: "request-quote" }, raw(r.text)),
    h(
      "dl",
      { class: "details" },
      h("dt", null, t("request.col.state")),
      h("dd", null, h("span", { class: `request-state state-${r.state}` }, t(`request.state.${r.state}`))),
      h("dt", null, t("request.col.received")),
      h("dd", { class: "time" }, formatTime(r.received_at)),
      h("dt", null, t("request.col.due")),
      h("dd", { class: "time" }, formatTime(r.due_at)),
      h("dt", null, t("request.col.assigned")),
      h("dd", null, r.assigned_to ? raw(r.assigned_to) : "—"),
    ),
    h("h3", null, t("request.log")),
    h("ol", { class: "request-log" }, (r.log || []).map(logEntry)),
    canWrite
      ? h(
          "div",
          { class: "request-actions" },
          h("label", { class: "form-field wide" }, h("span", { class: "form-label" }, t("request.reply_label")), replyText),
          h("div", { class: "form-actions" }, replyBtn),
          h("div", { class: "form-actions" }, assignee, assignBtn),
          h("div", { class: "form-actions" }, note, resolveBtn),
        )
      : null,
  );
}
