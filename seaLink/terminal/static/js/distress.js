// The distress button. Guarded against a wet sleeve or a child: it fires only when held until
// the bar is full. Then, as protocol §2.5 says, the same distress_id is repeated every 30 s with a
// fresh time and position until the hub's `distress_ack` for it arrives.
//
// The screen tells the truth, stage by stage: sent (and how often) -> received by the shore system
// (automatic: the `distress_ack`) -> seen by the duty officer, named, at a time -> rescue organised
// (a boat on its way and its ETA, one line per boat) -> closed, with the outcome (the
// `distress_status` messages). While a drill is in force the distress is marked as an exercise.

import { t, tf } from "./i18n.js";
import { beijingClock, formatPosition, nowIso } from "./store.js";

const HOLD_MS = 2000;
const REPEAT_MS = 30_000;
const CANCEL_ARM_MS = 5000;
const NATURES = [
  "fire", "flooding", "sinking", "man_overboard", "medical", "collision",
  "grounding", "listing", "adrift", "abandoning", "piracy", "undesignated",
];
const OUTCOMES = ["rescued", "false_alarm", "contact_restored", "other"];

export class Distress {
  constructor(store, link, position, drill, config) {
    this.store = store;
    this.link = link;
    this.position = position;
    this.drill = drill;
    this.active = store.get("distress", null);
    this.nature = store.get("distress-nature", "undesignated");
    this.registered = typeof config.persons === "number" ? config.persons : null;
    this.persons = this._startPersons();
    this.holdTimer = null;
    this.cancelArmed = null;
    link.addEventListener("down", (e) => this._onDown(e.detail));
    link.addEventListener("sent", (e) => this._onSent(e.detail));
    drill.addEventListener("start", (e) => {
      if (e.detail.nature && !this.active) this._setNature(e.detail.nature);
    });
    setInterval(() => this._repeat(), REPEAT_MS);
    this._wire();
  }

  /** Persons aboard: what the registry says, unless the crew changed it for the registry's
   * current figure on this tablet. */
  _startPersons() {
    const kept = this.store.get("persons-aboard", null);
    if (kept && kept.registered === this.registered) return kept.persons;
    return this.registered ?? kept?.persons ?? 0;
  }

  _setNature(n) {
    this.nature = n;
    this.store.set("distress-nature", n);
    this.render();
  }

  _wire() {
    const choices = document.getElementById("nature-choices");
    for (const n of NATURES) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "choice";
      b.dataset.value = n;
      b.setAttribute("role", "radio");
      b.addEventListener("click", () => this._setNature(n));
      choices.append(b);
    }
    const step = (d) => () => {
      this.persons = Math.max(0, Math.min(500, this.persons + d));
      this.store.set("persons-aboard", { persons: this.persons, registered: this.registered });
      this.render();
    };
    document.getElementById("persons-minus").addEventListener("click", step(-1));
    document.getElementById("persons-plus").addEventListener("click", step(1));

    const hold = document.getElementById("distress-hold");
    hold.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      hold.setPointerCapture?.(e.pointerId);
      hold.classList.add("holding");
      this.holdTimer = setTimeout(() => {
        hold.classList.remove("holding");
        this.holdTimer = null;
        this.raise();
      }, HOLD_MS);
    });
    const release = () => {
      hold.classList.remove("holding");
      if (this.holdTimer) clearTimeout(this.holdTimer);
      this.holdTimer = null;
    };
    for (const ev of ["pointerup", "pointercancel", "pointerleave"]) hold.addEventListener(ev, release);
    hold.addEventListener("contextmenu", (e) => e.preventDefault()); // a long touch is not a menu

    document.getElementById("distress-cancel").addEventListener("click", () => this._cancelPressed());
    document.getElementById("distress-done").addEventListener("click", () => {
      this.active = null;
      this.store.set("distress", null);
      this.persons = this._startPersons();
      this.render();
    });
  }

  raise() {
    this.active = {
      distress_id: this.store.newId("D"),
      nature: this.nature,
      persons: this.persons,
      exercise: !!this.drill.active(),
      sent: 0,
      sent_at: nowIso(),
      acked: false,
      ack_at: null,
      ack_body: "",
      seen: null, // {by, at}
      organised: [], // [{helper, eta_min, at}]
      closed: null, // {outcome, at}
      cancel: null,
    };
    this._save();
    this._send();
  }

  _payload() {
    const a = this.active;
    const fix = this.position.fix();
    const payload = {
      distress_id: a.distress_id,
      ts: nowIso(),
      lat: fix ? fix.lat : 0,
      lon: fix ? fix.lon : 0,
    };
    if (a.exercise) payload.exercise = true;
    if (a.cancel) return { ...payload, cancel: true, reason: a.cancel.reason };
    payload.nature = a.nature;
    payload.persons = a.persons;
    if (!fix) payload.text = "位置不详 position unknown";
    else if (!this.position.isOwnFix()) payload.text = t("manualNote"); // the shore must know
    return payload;
  }

  _send() {
    this.link.send(`distress:${this.active.distress_id}`, "distress", this._payload());
    this.render();
  }

  _repeat() {
    const a = this.active;
    if (!a) return;
    const waiting = a.cancel ? !a.cancel.acked : !a.acked;
    if (waiting) this._send();
  }

  _cancelPressed() {
    const button = document.getElementById("distress-cancel");
    if (!this.cancelArmed) {
      // Two presses: the first only asks.
      button.textContent = t("confirmCancel");
      button.classList.add("armed");
      this.cancelArmed = setTimeout(() => {
        this.cancelArmed = null;
        this.render();
      }, CANCEL_ARM_MS);
      return;
    }
    clearTimeout(this.cancelArmed);
    this.cancelArmed = null;
    this.active.cancel = { reason: t("cancelReason"), acked: false, body: "" };
    this._save();
    this._send();
  }

  _onDown(msg) {
    const a = this.active;
    if (!a || msg.distress_id !== a.distress_id) return;
    if (msg.kind === "distress_ack") this._onReceipt(a, msg);
    else if (msg.kind === "distress_status") this._onStage(a, msg);
    else return;
    this._save();
    this.render();
  }

  /** The shore *system* stored the call (automatic): nobody has seen it yet. */
  _onReceipt(a, msg) {
    // The hub's own words, title and body, so the crew reads what the shore really said.
    const said = [msg.title, msg.body].filter(Boolean).join("：");
    if (msg.cancel) {
      if (a.cancel) Object.assign(a.cancel, { acked: true, body: said });
      return;
    }
    a.acked = true;
    a.ack_at ||= msg.issued || nowIso();
    a.ack_body = said;
  }

  /** What people ashore have done: seen (by whom, when), organised (who comes, when), closed. */
  _onStage(a, msg) {
    a.acked = true; // a later stage means the call was stored, whatever became of the receipt
    a.ack_at ||= msg.issued;
    const at = msg.issued || nowIso();
    if (msg.stage === "seen") a.seen = { by: msg.by || "—", at };
    else if (msg.stage === "organised") {
      const helper = msg.helper || "—";
      a.organised = (a.organised || []).filter((o) => o.helper !== helper);
      a.organised.push({ helper, eta_min: typeof msg.eta_min === "number" ? msg.eta_min : null, at });
    } else if (msg.stage === "closed") a.closed = { outcome: msg.outcome || "other", at };
  }

  _onSent(item) {
    if (this.active && item.key === `distress:${this.active.distress_id}`) {
      this.active.sent += 1;
      this._save();
      this.render();
    }
  }

  _save() {
    this.store.set("distress", this.active);
  }

  /** The stages as lines: [stage, state (done | waiting), text]. */
  _stages(a) {
    const lines = [["sent", "done", tf("stage.sent", { time: beijingClock(a.sent_at || nowIso()), n: a.sent })]];
    if (!a.acked) return [...lines, ["received", "waiting", t("stage.waitReceipt")]];
    lines.push(["received", "done", tf("stage.received", { time: beijingClock(a.ack_at || nowIso()) })]);
    if (a.seen) lines.push(["seen", "done", tf("stage.seen", { by: a.seen.by, time: beijingClock(a.seen.at) })]);
    else if (!a.closed) lines.push(["seen", "waiting", t("stage.waitSeen")]);
    for (const o of a.organised || []) {
      const key = o.eta_min != null ? "stage.organised" : "stage.organisedNoEta";
      lines.push(["organised", "done", tf(key, { helper: o.helper, eta: o.eta_min })]);
    }
    if (a.seen && !(a.organised || []).length && !a.closed) {
      lines.push(["organised", "waiting", t("stage.waitOrganised")]);
    }
    if (a.closed) {
      const outcome = OUTCOMES.includes(a.closed.outcome) ? a.closed.outcome : "other";
      lines.push(["closed", "done", tf("stage.closed", { outcome: t(`outcome.${outcome}`), time: beijingClock(a.closed.at) })]);
    }
    return lines;
  }

  _headline(a) {
    if (a.cancel) return t(a.cancel.acked ? "distress.cancelAcked" : "distress.cancelSent");
    if (a.closed) return t("distress.closed");
    if ((a.organised || []).length) return t("distress.organised");
    if (a.seen) return t("distress.seen");
    return t(a.acked ? "distress.acked" : "distress.sending");
  }

  _renderForm() {
    for (const b of document.querySelectorAll("#nature-choices .choice")) {
      b.textContent = t(`nature.${b.dataset.value}`);
      b.setAttribute("aria-checked", String(b.dataset.value === this.nature));
    }
    document.getElementById("persons").textContent = String(this.persons);
    const registry = document.getElementById("persons-registry");
    registry.hidden = this.registered === null;
    registry.textContent = this.registered === null ? "" : tf("personsRegistry", { n: this.registered });
    const fix = this.position.fix();
    const where = document.getElementById("distress-where");
    where.textContent = fix
      ? tf("whereFix", { pos: formatPosition(fix.lat, fix.lon), src: t(`src.${this.position.source()}`) })
      : t("whereNone");
    where.classList.toggle("not-own-fix", !!fix && !this.position.isOwnFix());
    const drilling = !!this.drill.active();
    document.querySelector("#distress-hold .hold-text").textContent = t(drilling ? "holdToSendDrill" : "holdToSend");
    document.getElementById("distress-hold").classList.toggle("drill", drilling);
  }

  render() {
    this._renderForm();
    const a = this.active;
    document.getElementById("distress-form").hidden = !!a;
    const panel = document.getElementById("distress-active");
    panel.hidden = !a;
    const live = !!a && !(a.cancel && a.cancel.acked) && !a.closed;
    document.body.classList.toggle("in-distress", live);
    if (!a) {
      panel.dataset.state = "none";
      panel.dataset.exercise = "0";
      return;
    }
    let state = a.acked ? "acked" : "sending";
    if (a.seen) state = "seen";
    if ((a.organised || []).length) state = "organised";
    if (a.closed) state = "closed";
    if (a.cancel) state = a.cancel.acked ? "cancel-acked" : "cancel-sent";
    panel.dataset.state = state;
    panel.dataset.exercise = a.exercise ? "1" : "0";
    const mark = a.exercise ? `【${t("exercise")}】` : "";
    const done = state !== "sending" && state !== "cancel-sent";
    document.getElementById("distress-status").textContent = `${done ? "✓ " : ""}${mark}${this._headline(a)}`;
    document.getElementById("distress-detail").textContent =
      `${t(`nature.${a.nature}`)} · ${t("persons")} ${a.persons} · ${t("sentTimes")} ${a.sent}`;
    const stages = document.getElementById("distress-stages");
    stages.replaceChildren(...this._stages(a).map(([stage, st, text]) => {
      const li = document.createElement("li");
      li.className = `stage stage-${stage} ${st}`;
      li.dataset.stage = stage;
      li.dataset.state = st;
      li.textContent = text;
      return li;
    }));
    // The receipt's own words while it is the latest news; the stages say the rest.
    document.getElementById("distress-ack-body").textContent = a.cancel?.body || (state === "acked" ? a.ack_body : "");
    const cancel = document.getElementById("distress-cancel");
    cancel.hidden = !!a.cancel || !!a.closed;
    if (!this.cancelArmed) {
      cancel.textContent = t("cancelDistress");
      cancel.classList.remove("armed");
    }
    document.getElementById("distress-done").hidden = !(a.acked || a.cancel?.acked);
  }
}
