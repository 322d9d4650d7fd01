/**
 * Form pieces the trainings, requests and admin pages share: labelled fields, a status line that
 * says what happened, a busy button, and Beijing-time inputs (people type Beijing time; the hub
 * takes UTC).
 */
import { t } from "../core/i18n.js";
import { h } from "./dom.js";

const BEIJING_MS = 8 * 3600_000;

/** A label above its control; `name` also names the control for tests and autofill. */
export function field(labelKey, control, { hint = "", wide = false } = {}) {
  return h(
    "label",
    { class: `form-field${wide ? " wide" : ""}` },
    h("span", { class: "form-label" }, t(labelKey)),
    control,
    hint ? h("small", { class: "muted" }, hint) : null,
  );
}

export function input(name, props = {}) {
  return h("input", { name, ...props });
}

export function textarea(name, props = {}) {
  return h("textarea", { name, rows: 3, ...props });
}

/** A select of [value, text] pairs. */
export function select(name, options, props = {}) {
  return h(
    "select",
    { name, ...props },
    options.map(([value, text]) => h("option", { value }, text)),
  );
}

/** One line saying what the last action did: ok (green) or failed (red, with the hub's reason). */
export function statusLine() {
  const el = h("p", { class: "form-status", role: "status" });
  return {
    el,
    ok(text) {
      el.className = "form-status ok";
      el.textContent = text;
    },
    fail(err) {
      if (err?.status === 401) return; // back to the login screen
      el.className = "form-status failed";
      el.textContent = t("form.failed", { msg: err?.message || String(err) });
    },
    clear() {
      el.className = "form-status";
      el.textContent = "";
    },
  };
}

/** Run `fn` with `button` disabled, so a double click does not send twice. */
export async function busy(button, fn) {
  button.disabled = true;
  try {
    return await fn();
  } finally {
    button.disabled = false;
  }
}

/** A datetime-local value ("2026-09-01T08:00") read as Beijing time, as ISO UTC ("...Z"). */
export function fromBeijingInput(value) {
  if (!value) return null;
  const ms = Date.parse(`${value.length === 16 ? `${value}:00` : value}Z`) - BEIJING_MS;
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The datetime-local value showing `iso` (or now + `minutes`) in Beijing time. */
export function toBeijingInput(iso, minutes = 0) {
  const ms = (iso ? Date.parse(iso) : Date.now()) + minutes * 60_000 + BEIJING_MS;
  return new Date(ms).toISOString().slice(0, 16);
}

/** Comma, space or newline separated words ("V1, V2") as a clean list. */
export function words(text) {
  return (text || "")
    .split(/[\s,，、]+/)
    .map((w) => w.trim())
    .filter(Boolean);
}
