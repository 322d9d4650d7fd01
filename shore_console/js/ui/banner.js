/**
 * The alert banner under the header, on every page: each new alert (or an escalation to a worse
 * phase) stays until the coordinator dismisses it or the alert resolves. While a critical one is
 * shown the alarm sounds again every REPEAT_MS, as a DSC distress repeats until acknowledged.
 */
import { isCritical } from "../core/alerts_store.js";
import { t } from "../core/i18n.js";
import { playAlarm } from "../core/sound.js";
import { formatTime } from "../core/time.js";
import { h, raw, setChildren } from "./dom.js";
import { icon } from "./icons.js";
import { alertTypeLabel, phaseLabel } from "./labels.js";

const REPEAT_MS = 30_000;
const SHOWN = 3;

export class AlertBanner {
  constructor(host, { fleet, alerts, navigate }) {
    this._host = host;
    this._fleet = fleet;
    this._alerts = alerts;
    this._navigate = navigate;
    this._items = []; // [{alert, escalated}], newest first
    this._timer = setInterval(() => this._repeat(), REPEAT_MS);
    this._offs = [
      alerts.on("new", (item) => this.push(item)),
      alerts.on("change", () => this._dropResolved()),
    ];
  }

  /** Re-attach to a new host element (the shell is redrawn when the language changes). */
  attach(host) {
    this._host = host;
    this._render();
  }

  push(item) {
    this._items = [item, ...this._items.filter((x) => x.alert.id !== item.alert.id)];
    if (item.alert.type !== "maintenance") playAlarm(isCritical(item.alert) ? "critical" : "alert");
    this._render();
  }

  dismiss(id) {
    this._items = this._items.filter((x) => x.alert.id !== id);
    this._render();
  }

  destroy() {
    clearInterval(this._timer);
    for (const off of this._offs) off();
  }

  _dropResolved() {
    // A vessel heard again resolves its lost-contact alert: nothing left to tell. Phases may have
    // changed too, so redraw the words either way.
    this._items = this._items.filter((x) => this._alerts.open.has(x.alert.id));
    this._render();
  }

  _repeat() {
    if (this._items.some((x) => isCritical(x.alert))) playAlarm("repeat");
  }

  _render() {
    const items = this._items.slice(0, SHOWN);
    setChildren(
      this._host,
      items.map((item) => this._item(item)),
      this._items.length > SHOWN
        ? h(
            "div",
            { class: "banner-more" },
            t("banner.more", { n: this._items.length - SHOWN }),
            " ",
            h("a", { href: "#/alerts" }, t("banner.see_all")),
          )
        : null,
    );
  }

  _item({ alert, escalated }) {
    const v = this._fleet.get(alert.vessel_id);
    const critical = isCritical(alert);
    const what = alert.phase
      ? `${alertTypeLabel(alert.type)} · ${phaseLabel(alert.phase)}`
      : alertTypeLabel(alert.type);
    return h(
      "div",
      {
        class: `banner-item sev-${alert.severity || "notice"}${critical ? " critical" : ""}`,
        role: "alert",
        "data-alert-id": alert.id,
      },
      h("strong", { class: "banner-title" }, escalated ? t("banner.escalated") : t("banner.new")),
      h(
        "span",
        { class: "banner-text" },
        raw(v?.hull_name || alert.vessel_id, "hull"),
        ` (${alert.vessel_id}) · ${what} · `,
        raw(this._fleet.gridName(alert.grid_id)),
        ` · ${formatTime(alert.updated_at || alert.raised_at, { short: true })}`,
      ),
      h(
        "span",
        { class: "banner-actions" },
        h(
          "button",
          {
            type: "button",
            class: "banner-view",
            onclick: () => this._navigate(`/vessel/${alert.vessel_id}`),
          },
          t("banner.view"),
        ),
        h(
          "button",
          {
            type: "button",
            class: "banner-dismiss",
            "aria-label": t("banner.dismiss"),
            onclick: () => this.dismiss(alert.id),
          },
          icon("close"),
          h("span", null, t("banner.dismiss")),
        ),
      ),
    );
  }
}
