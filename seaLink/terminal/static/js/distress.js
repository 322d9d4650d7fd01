// The distress button. Guarded against a wet sleeve or a child: it fires only when held until
// the bar is full. Then, as protocol §2.5 says, the same distress_id is repeated every 30 s with a
// fresh time and position until the hub's `distress_ack` for it arrives.

import { t } from "./i18n.js";
import { nowIso } from "./store.js";

const HOLD_MS = 2000;
const REPEAT_MS = 30_000;
const CANCEL_ARM_MS = 5000;
const NATURES = [
  "fire", "flooding", "sinking", "man_overboard", "medical", "collision",
  "grounding", "listing", "adrift", "abandoning", "piracy", "undesignated",
];

export class Distress {
  constructor(store, link, position) {
    this.store = store;
    this.link = link;
    this.position = position;
    this.active = store.get("distress", null);
    this.nature = store.get("distress-nature", "undesignated");
    this.persons = store.get("persons", 0);
    this.holdTimer = null;
    this.cancelArmed = null;
    link.addEventListener("down", (e) => this._onDown(e.detail));
    link.addEventListener("sent", (e) => this._onSent(e.detail));
    setInterval(() => this._repeat(), REPEAT_MS);
    this._wire();
  }

  _wire() {
    const choices = document.getElementById("nature-choices");
    for (const n of NATURES) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "choice";
      b.dataset.value = n;
      b.setAttribute("role", "radio");
      b.addEventListener("click", () => {
        this.nature = n;
        this.store.set("distress-nature", n);
        this.render();
      });
      choices.append(b);
    }
    const step = (d) => () => {
      this.persons = Math.max(0, Math.min(500, this.persons + d));
      this.store.set("persons", this.persons);
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
      this.render();
    });
  }

  raise() {
    this.active = {
      distress_id: this.store.newId("D"),
      nature: this.nature,
      persons: this.persons,
      sent: 0,
      acked: false,
      ack_body: "",
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
    if (a.cancel) return { ...payload, cancel: true, reason: a.cancel.reason };
    payload.nature = a.nature;
    payload.persons = a.persons;
    if (!fix) payload.text = "位置不详 position unknown";
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
    if (msg.kind !== "distress_ack" || !a || msg.distress_id !== a.distress_id) return;
    // The hub's own words, title and body, so the crew reads what the shore really said.
    const said = [msg.title, msg.body].filter(Boolean).join("：");
    if (msg.cancel) {
      if (a.cancel) Object.assign(a.cancel, { acked: true, body: said });
    } else {
      a.acked = true;
      a.ack_body = said;
    }
    this._save();
    this.render();
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

  render() {
    for (const b of document.querySelectorAll("#nature-choices .choice")) {
      b.textContent = t(`nature.${b.dataset.value}`);
      b.setAttribute("aria-checked", String(b.dataset.value === this.nature));
    }
    document.getElementById("persons").textContent = String(this.persons);
    const a = this.active;
    document.getElementById("distress-form").hidden = !!a;
    const panel = document.getElementById("distress-active");
    panel.hidden = !a;
    document.body.classList.toggle("in-distress", !!a && !(a.cancel && a.cancel.acked));
    if (!a) {
      panel.dataset.state = "none";
      return;
    }
    let state = a.acked ? "acked" : "sending";
    if (a.cancel) state = a.cancel.acked ? "cancel-acked" : "cancel-sent";
    panel.dataset.state = state;
    const label = { sending: "distress.sending", acked: "distress.acked", "cancel-sent": "distress.cancelSent", "cancel-acked": "distress.cancelAcked" };
    document.getElementById("distress-status").textContent = (state.endsWith("acked") ? "✓ " : "") + t(label[state]);
    document.getElementById("distress-detail").textContent =
      `${t(`nature.${a.nature}`)} · ${t("persons")} ${a.persons} · ${t("sentTimes")} ${a.sent}`;
    document.getElementById("distress-ack-body").textContent = a.cancel?.body || a.ack_body || "";
    const cancel = document.getElementById("distress-cancel");
    cancel.hidden = !!a.cancel;
    if (!this.cancelArmed) {
      cancel.textContent = t("cancelDistress");
      cancel.classList.remove("armed");
    }
    document.getElementById("distress-done").hidden = !(a.acked || a.cancel?.acked);
  }
}
