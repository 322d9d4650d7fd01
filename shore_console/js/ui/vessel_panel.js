/** The side panel of the fleet map for the vessel clicked: its details and its track's state. */
import { t } from "../core/i18n.js";
import { h, raw, setChildren } from "./dom.js";
import { icon } from "./icons.js";
import { vesselDetails } from "./vessel_details.js";

export class VesselPanel {
  constructor(el, { fleet, onClose }) {
    this._el = el;
    this._fleet = fleet;
    this._onClose = onClose;
    this._id = null;
    this._trackText = "";
    el.hidden = true;
  }

  get id() {
    return this._id;
  }

  show(id) {
    this._id = id;
    this._trackText = t("track.loading");
    this.update();
  }

  hide() {
    this._id = null;
    this._el.hidden = true;
    this._el.replaceChildren();
  }

  setTrackText(text) {
    this._trackText = text;
    const el = this._el.querySelector(".track-status");
    if (el) el.textContent = text;
  }

  update() {
    const v = this._id && this._fleet.get(this._id);
    if (!v) return this.hide();
    this._el.hidden = false;
    setChildren(
      this._el,
      h(
        "div",
        { class: "panel-head" },
        h("h2", { class: "panel-title" }, raw(v.hull_name, "hull")),
        h(
          "button",
          { type: "button", class: "icon-button", "aria-label": t("action.close"), onclick: this._onClose },
          icon("close"),
        ),
      ),
      vesselDetails(v, this._fleet),
      h("p", { class: "track-status muted" }, this._trackText),
      h(
        "p",
        { class: "track-legend" },
        h("span", { class: "legend-live" }, t("track.legend_live")),
        h("span", { class: "legend-backfill" }, t("track.legend_backfill")),
      ),
      h("a", { class: "button primary", href: `#/vessel/${encodeURIComponent(v.id)}` }, t("action.open_vessel")),
    );
  }
}
