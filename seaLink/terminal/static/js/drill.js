// Drills (protocol §2.5): the shore may order a drill (a `drill` down message, exercise true). While
// it is in force (until its `expires`) a banner says so on every screen, and a distress the crew
// raise is sent with `exercise: true`, so that the shore runs the whole chain as an exercise.

import { t, tf } from "./i18n.js";
import { beijingClock } from "./store.js";

const CHECK_MS = 10_000;

export class Drill extends EventTarget {
  constructor(store, link) {
    super();
    this.store = store;
    this.order = store.get("drill", null); // the drill message in force, if any
    link.addEventListener("down", (e) => this._onDown(e.detail));
    setInterval(() => this.render(), CHECK_MS); // the drill ends by itself at `expires`
  }

  /** The drill order in force now, or null. */
  active() {
    const o = this.order;
    if (!o) return null;
    if (o.expires && Date.parse(o.expires) <= Date.now()) return null;
    return o;
  }

  _onDown(msg) {
    if (msg.kind !== "drill" || !msg.exercise) return;
    if (this.order?.msg_id === msg.msg_id) return; // the same order again (QoS 1, re-send)
    this.order = {
      msg_id: msg.msg_id, drill: msg.drill, nature: msg.nature, title: msg.title,
      issued: msg.issued, expires: msg.expires,
    };
    this.store.set("drill", this.order);
    this.render();
    this.dispatchEvent(new CustomEvent("start", { detail: this.order }));
  }

  render() {
    const o = this.active();
    document.body.classList.toggle("in-drill", !!o);
    const banner = document.getElementById("drill-banner");
    banner.hidden = !o;
    if (!o) return;
    document.getElementById("drill-title").textContent = o.title || t("exercise");
    document.getElementById("drill-text").textContent = tf("drill.banner", {
      time: o.expires ? beijingClock(o.expires) : "—",
    });
  }
}
