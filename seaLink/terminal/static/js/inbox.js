// Down messages: kept on the tablet, deduplicated by msg_id, never shown after they expire.
// Acks follow the protocol's order: `delivered` when stored here, `read` once the card has been
// on screen, `acknowledged` (or accepted/declined for a rescue task) when the crew presses.

import { t } from "./i18n.js";
import { beijingTime, formatPosition, nowIso } from "./store.js";

const STATE_ORDER = ["delivered", "read", "acknowledged", "accepted", "declined"];
const RECALL_ANSWERS = ["returning", "sheltering", "in_port"];
const RESEND_QUIET_MS = 60_000;

export class Inbox extends EventTarget {
  constructor(store, link, outbox) {
    super();
    this.store = store;
    this.link = link;
    this.outbox = outbox;
    this.entries = store.get("inbox", {}); // msg_id -> {msg, state, received_at}
    // What the crew has typed or chosen but not sent yet, kept across re-renders (msg_id -> ...).
    this.etaDrafts = {};
    this.quizDrafts = {}; // msg_id -> answers, one letter per question
    this.crewDrafts = {};
    this.list = document.getElementById("inbox-list");
    this.observer = new IntersectionObserver((seen) => this._onSeen(seen), { threshold: 0.6 });
    link.addEventListener("down", (e) => this.receive(e.detail));
    link.addEventListener("sent", (e) => this._onSent(e.detail));
    outbox.addEventListener("change", () => this.render());
    document.addEventListener("visibilitychange", () => this.render());
    setInterval(() => this.render(), 60_000); // expiries pass while nobody touches the tablet
  }

  receive(msg) {
    const known = this.entries[msg.msg_id];
    if (known) {
      // The hub re-sends what it has no ack for. Right after a reconnect that is only the race
      // between its re-send and our queued ack (which the broker already has): stay quiet then.
      // Much later it means our ack was lost on the way: say again where we are (idempotent).
      const key = `ack:${msg.msg_id}:${known.state}`;
      const recent = Date.now() - (known.confirmed_ms || 0) < RESEND_QUIET_MS;
      if (!this.outbox.has(key) && !recent) this._ack(msg.msg_id, known.state, known.answer || {});
      return;
    }
    this.entries[msg.msg_id] = { msg, state: "delivered", received_at: nowIso() };
    this._save();
    this._ack(msg.msg_id, "delivered");
    this.dispatchEvent(new CustomEvent("message", { detail: msg }));
    this.render();
  }

  _onSent(item) {
    if (item.kind !== "ack") return;
    const entry = this.entries[item.payload.msg_id];
    if (entry && item.payload.state === entry.state) {
      entry.confirmed_ms = Date.now(); // the broker has it, so the hub will
      this._save();
    }
  }

  _ack(msgId, state, extra = {}) {
    this.link.send(`ack:${msgId}:${state}`, "ack", { msg_id: msgId, state, ts: nowIso(), ...extra });
  }

  _advance(msgId, state, extra = {}) {
    const entry = this.entries[msgId];
    if (!entry) return;
    if (STATE_ORDER.indexOf(state) <= STATE_ORDER.indexOf(entry.state)) return;
    if (state !== "read" && entry.state === "delivered" && entry.msg.ack !== "none") {
      this._ack(msgId, "read"); // pressed, so it was read: keep the hub's timeline complete
    }
    entry.state = state;
    entry.answer = extra;
    this._save();
    this._ack(msgId, state, extra);
    this.render();
  }

  _onSeen(seen) {
    if (document.visibilityState !== "visible" || document.body.dataset.screen !== "inbox") return;
    for (const s of seen) {
      if (!s.isIntersecting) continue;
      const entry = this.entries[s.target.dataset.msgId];
      if (entry && entry.msg.ack !== "none" && entry.state === "delivered") {
        this._advance(entry.msg.msg_id, "read");
      }
    }
  }

  live() {
    const now = Date.now();
    return Object.values(this.entries)
      .filter((e) => e.msg.kind !== "ping")
      .filter((e) => !e.msg.expires || Date.parse(e.msg.expires) > now);
  }

  needsAction(entry) {
    return entry.msg.ack === "confirm" && STATE_ORDER.indexOf(entry.state) < 2;
  }

  render() {
    // Not under the crew's fingers: re-drawing would take the keyboard away mid-typing.
    // Afterwards, not at once: the blur may be the start of a press on this card's button.
    const typing = document.activeElement;
    if (typing?.tagName === "INPUT" && this.list.contains(typing)) {
      if (!this.renderAfterTyping) {
        this.renderAfterTyping = true;
        typing.addEventListener("blur", () => setTimeout(() => {
          this.renderAfterTyping = false;
          this.render();
        }, 500), { once: true });
      }
      return;
    }
    const entries = this.live().sort(
      (a, b) =>
        this.needsAction(b) - this.needsAction(a) ||
        (a.msg.priority ?? 5) - (b.msg.priority ?? 5) ||
        Date.parse(b.msg.issued) - Date.parse(a.msg.issued),
    );
    this.observer.disconnect();
    this.list.replaceChildren(...entries.map((e) => this._card(e)));
    for (const card of this.list.children) this.observer.observe(card);
    document.getElementById("inbox-empty").hidden = entries.length > 0;
    const pending = entries.filter((e) => this.needsAction(e)).length;
    const badge = document.getElementById("unread");
    badge.textContent = String(pending);
    badge.hidden = pending === 0;
  }

  _card(entry) {
    const { msg } = entry;
    const li = document.createElement("li");
    li.className = `msg kind-${msg.kind}${(msg.priority ?? 5) <= 1 ? " urgent" : ""}`;
    li.dataset.msgId = msg.msg_id;
    li.dataset.state = entry.state;
    const head = el("div", "msg-head");
    head.append(el("span", "msg-kind", t(`kind.${msg.kind}`)));
    head.append(el("span", "msg-time", `${t("beijing")} ${beijingTime(msg.issued)}`));
    li.append(head, el("h2", "msg-title", msg.title || ""), el("p", "msg-body", msg.body || ""));
    const scene = msg.scene;
    if (msg.kind === "rescue_task" && typeof scene?.lat === "number" && typeof scene?.lon === "number") {
      li.append(el("p", "msg-scene", `${t("scene")} ${formatPosition(scene.lat, scene.lon)}`));
    }
    li.append(this._actions(entry));
    return li;
  }

  _actions(entry) {
    const { msg } = entry;
    const box = el("div", "msg-actions");
    const queued = this.outbox.has(`ack:${msg.msg_id}:${entry.state}`);
    if (msg.ack !== "confirm") return box;
    if (STATE_ORDER.indexOf(entry.state) >= 2) {
      const done = el("p", "msg-done", `✓ ${t(entry.state === "acknowledged" ? "confirmed" : entry.state)}`);
      if (queued) done.append(el("span", "queued-mark", ` (${t("queuedMark")})`));
      box.append(done);
      return box;
    }
    if (msg.kind === "rescue_task") {
      const eta = document.createElement("input");
      eta.className = "eta";
      eta.inputMode = "numeric";
      eta.value = this.etaDrafts[msg.msg_id] ?? "30";
      eta.addEventListener("input", () => (this.etaDrafts[msg.msg_id] = eta.value));
      eta.setAttribute("aria-label", t("etaMin"));
      const label = el("label", "eta-label", t("etaMin"));
      label.append(eta);
      const accept = button("ack-button", t("accept"), () =>
        this._advance(msg.msg_id, "accepted", { eta_min: Math.max(0, parseInt(eta.value, 10) || 0) }),
      );
      const decline = button("decline-button secondary", t("decline"), () => this._advance(msg.msg_id, "declined"));
      box.append(label, accept, decline);
      return box;
    }
    if (msg.recall) {
      for (const status of RECALL_ANSWERS) {
        box.append(
          button(`ack-button recall-${status}`, t(`recall.${status}`), () =>
            this._advance(msg.msg_id, "acknowledged", { recall: { status } }),
          ),
        );
      }
      return box;
    }
    const wrap = el("div", "msg-confirm");
    if (Array.isArray(msg.quiz) && msg.quiz.length > 0) wrap.append(this._quiz(msg));
    if (msg.per_crew) wrap.append(this._crew(msg));
    wrap.append(box);
    box.append(button("ack-button", t("confirm"), () => this._advance(msg.msg_id, "acknowledged", this._answer(msg))));
    return wrap;
  }

  /** A training's quiz: one row of big letter buttons per question (protocol §2.4 `answers`). */
  _quiz(msg) {
    const answers = (this.quizDrafts[msg.msg_id] ??= msg.quiz.map(() => ""));
    const box = el("div", "quiz");
    msg.quiz.forEach((q, i) => {
      const row = el("div", "quiz-q");
      row.append(el("p", "quiz-text", `${i + 1}. ${q.text}`));
      const options = el("div", "quiz-options");
      (q.options || []).forEach((option, k) => {
        const letter = String.fromCharCode(65 + k);
        const b = button("quiz-option", `${letter}. ${option}`, () => {
          answers[i] = letter;
          for (const other of options.children) other.setAttribute("aria-checked", String(other === b));
        });
        b.dataset.q = String(i);
        b.dataset.letter = letter;
        b.setAttribute("aria-checked", String(answers[i] === letter));
        options.append(b);
      });
      row.append(options);
      box.append(row);
    });
    return box;
  }

  /** Who is aboard for a message that counts crew members (trainings): names, comma separated. */
  _crew(msg) {
    const label = el("label", "crew-label", t("crewNames"));
    const input = document.createElement("input");
    input.className = "crew";
    input.value = this.crewDrafts[msg.msg_id] ?? "";
    input.addEventListener("input", () => (this.crewDrafts[msg.msg_id] = input.value));
    label.append(input);
    return label;
  }

  _answer(msg) {
    const extra = {};
    if (Array.isArray(msg.quiz) && msg.quiz.length > 0) {
      extra.answers = this.quizDrafts[msg.msg_id] ?? msg.quiz.map(() => "");
    }
    const crew = (this.crewDrafts[msg.msg_id] ?? "").split(/[\s,，、;；]+/).filter(Boolean);
    if (msg.per_crew && crew.length > 0) extra.crew = crew.slice(0, 64).map((n) => n.slice(0, 32));
    return extra;
  }

  _save() {
    this.store.set("inbox", this.entries);
  }
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(cls, text, onClick) {
  const b = el("button", cls, text);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}
