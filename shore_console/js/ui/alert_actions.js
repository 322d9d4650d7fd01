/**
 * The actions on one alert, for any kind of alert: acknowledge (as the person logged in, with a
 * note), silence the sound for a while (never an acknowledgement), assign to a person who may act
 * on its grid, comment, resolve with an outcome. Used by the alert page and the incident page;
 * `onDone(alert, { ticket, spent })` gets the alert as the hub answered, the ticket `ask()` gave
 * when the request was sent (answers can come out of order: `core/answers.js`) and the names of
 * the fields the action used up (to be emptied; whatever else the person typed stays).
 */
import { t } from "../core/i18n.js";
import { isSilenced } from "../core/alarm_kinds.js";
import { OUTCOMES, outcomeLabel, silenceText } from "./alert_words.js";
import { chooseWanted, h, raw } from "./dom.js";

const SILENCE_CHOICES = [5, 10, 30, 60];

export function alertActions(a, { api, session, onDone, onError, ask = () => 0 }) {
  if (session.role === "viewer") return h("p", { class: "muted read-only-note" }, t("alert.read_only"));
  const open = a.state !== "resolved";
  const status = h("p", { class: "form-status", role: "status" });

  async function act(call, spent, done = "") {
    for (const b of box.querySelectorAll("button")) b.disabled = true;
    status.className = "form-status";
    status.textContent = "";
    try {
      const ticket = ask();
      const alert = await call();
      onDone(alert, { ticket, spent });
      if (done) {
        status.className = "form-status ok";
        status.textContent = done;
      }
    } catch (err) {
      onError?.(err);
      status.className = "form-status failed";
      status.textContent = t("alert.failed", { msg: err?.message || String(err) });
      for (const b of box.querySelectorAll("button")) b.disabled = false;
    }
  }

  // Acknowledge: by the person logged in, named.
  const ackNote = h("input", { type: "text", name: "ack_note", class: "ack-note", maxlength: 1000,
    placeholder: t("alert.ack_note"), "aria-label": t("alert.ack_note") });
  const ackBtn = h("button", { type: "button", class: "alert-ack primary", disabled: a.state !== "raised" },
    t("alert.ack_as", { name: session.username }));
  ackBtn.addEventListener("click", () => act(() => api.ack(a.id, ackNote.value.trim()), ["ack_note"]));

  // Silence: the sound only.
  const minutes = h("select", { name: "silence_minutes", class: "silence-minutes", "aria-label": t("alert.silence_for") },
    SILENCE_CHOICES.map((n) => h("option", { value: n, selected: n === 10 }, t("alert.minutes", { n }))));
  const silenceBtn = h("button", { type: "button", class: "alert-silence", disabled: !open },
    t("alert.silence"));
  silenceBtn.addEventListener("click", () => act(() => api.silence(a.id, Number(minutes.value)), ["silence_minutes"]));

  // Assign: to oneself, to one of the people who may act on the grid, or a name typed.
  const who = h("select", { name: "assignee", class: "assignee", "aria-label": t("alert.assign_to") },
    h("option", { value: session.username }, t("alert.assign_self", { name: session.username })));
  api.assignees(a.id).then((r) => {
    for (const p of r.people) {
      if (p.username === session.username) continue;
      who.append(h("option", { value: p.username, "data-raw": true },
        p.display_name && p.display_name !== p.username ? `${p.display_name} (${p.username})` : p.username));
    }
    // What the person had picked before a redraw (news from another console) wins.
    if (!chooseWanted(who) && a.assigned_to) who.value = a.assigned_to;
  }).catch((err) => onError?.(err));
  const assignBtn = h("button", { type: "button", class: "alert-assign", disabled: !open }, t("alert.assign"));
  assignBtn.addEventListener("click", () => act(() => api.assign(a.id, who.value), ["assignee"]));

  // Comment.
  const text = h("textarea", { name: "comment", class: "comment-text", rows: 2, maxlength: 2000,
    placeholder: t("alert.comment_hint"), "aria-label": t("alert.comment") });
  const commentBtn = h("button", { type: "button", class: "alert-comment" }, t("alert.comment"));
  commentBtn.addEventListener("click", () => {
    if (!text.value.trim()) {
      status.className = "form-status failed";
      status.textContent = t("alert.comment_empty");
      return;
    }
    act(() => api.comment(a.id, text.value.trim()), ["comment"], t("alert.commented"));
  });

  // Resolve with an outcome.
  const outcome = h("select", { name: "outcome", class: "outcome", "aria-label": t("alert.outcome") },
    OUTCOMES.map((o) => h("option", { value: o }, outcomeLabel(o))));
  const resolveNote = h("input", { type: "text", name: "resolve_note", class: "resolve-note", maxlength: 2000,
    placeholder: t("alert.resolve_note"), "aria-label": t("alert.resolve_note") });
  const resolveBtn = h("button", { type: "button", class: "alert-resolve", disabled: !open }, t("alert.resolve"));
  resolveBtn.addEventListener("click", () =>
    act(() => api.resolve(a.id, outcome.value, resolveNote.value.trim()), ["outcome", "resolve_note"]));

  const row = (label, ...children) =>
    h("div", { class: "action-row" }, h("span", { class: "action-label" }, label), ...children);
  const box = h(
    "div",
    { class: "alert-actions", "data-alert-id": a.id },
    row(t("alert.ack"), ackNote, ackBtn),
    row(
      t("alert.silence_label"),
      minutes,
      silenceBtn,
      isSilenced(a) ? h("span", { class: "muted silenced-note" }, silenceText(a)) : null,
      h("span", { class: "muted hint" }, t("alert.silence_hint")),
    ),
    row(t("alert.assign"), who, assignBtn,
      a.assigned_to ? h("span", { class: "muted" }, t("alert.assigned_now"), " ", raw(a.assigned_to)) : null),
    row(t("alert.comment"), text, commentBtn),
    row(t("alert.resolve"), outcome, resolveNote, resolveBtn),
    status,
  );
  return box;
}
