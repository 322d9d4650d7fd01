/** Vessel counts per contact state; each counter is also the button that filters by that state. */
import { CONTACT_STATES } from "../core/fleet_store.js";
import { t } from "../core/i18n.js";
import { STATE_COLOURS } from "../map/colours.js";
import { h, setChildren } from "./dom.js";
import { stateLabel } from "./labels.js";

export class Counters {
  constructor(el, { onPick }) {
    this._el = el;
    this._onPick = onPick;
    this._active = "";
  }

  /** counts: {total, ok, overdue, lost, maintenance, unknown}; active: the state filtered on. */
  render(counts, active) {
    this._active = active;
    const button = (state, label, n, colour) =>
      h(
        "button",
        {
          type: "button",
          class: `counter counter-${state || "all"}${n && state === "lost" ? " alarming" : ""}`,
          "data-state": state || "all",
          "aria-pressed": String(active === state),
          onclick: () => this._onPick(active === state ? "" : state),
        },
        colour ? h("span", { class: "swatch", style: { background: colour } }) : null,
        h("span", { class: "counter-label" }, label),
        h("span", { class: "counter-value" }, String(n)),
      );
    setChildren(
      this._el,
      button("", t("counters.total"), counts.total, null),
      CONTACT_STATES.map((s) => button(s, stateLabel(s), counts[s], STATE_COLOURS[s])),
    );
  }
}
