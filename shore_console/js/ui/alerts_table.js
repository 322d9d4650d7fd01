/** A table of alerts: severity, type, phase, vessel, grid, times (Beijing time), state. */
import { isCritical } from "../core/alerts_store.js";
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { h, raw } from "./dom.js";
import { alertTypeLabel, phaseLabel, severityLabel } from "./labels.js";

export function alertsTable(list, fleet, { showState = false, showVessel = true } = {}) {
  if (!list.length) return h("p", { class: "empty" }, t("alerts.none"));
  const head = [
    "alerts.col.severity",
    "alerts.col.type",
    "alerts.col.phase",
    showVessel ? "alerts.col.vessel" : null,
    showVessel ? "alerts.col.grid" : null,
    "alerts.col.raised",
    "alerts.col.updated",
    showState ? "alerts.col.state" : null,
    "alerts.col.detail",
  ].filter(Boolean);
  return h(
    "table",
    { class: "alerts-table" },
    h("thead", null, h("tr", null, head.map((k) => h("th", { scope: "col" }, t(k))))),
    h(
      "tbody",
      null,
      list.map((a) => {
        const v = fleet.get(a.vessel_id);
        return h(
          "tr",
          {
            class: `alert-row sev-${a.severity || "notice"}${isCritical(a) ? " critical" : ""}${a.state === "resolved" ? " resolved" : ""}`,
            "data-alert-id": a.id,
            "data-incident-id": a.incident_id ?? null,
            onclick:
              a.type === "distress" && a.incident_id != null && a.state !== "resolved"
                ? (e) => {
                    if (e.target.closest("a")) return;
                    location.hash = `#/incident/${a.incident_id}`;
                  }
                : null,
          },
          h("td", null, h("span", { class: `sev-badge sev-${a.severity || "notice"}` }, severityLabel(a.severity))),
          h("td", null, alertTypeLabel(a.type)),
          h("td", { class: `phase phase-${a.phase || "none"}` }, phaseLabel(a.phase)),
          showVessel
            ? h(
                "td",
                null,
                h(
                  "a",
                  { href: `#/vessel/${encodeURIComponent(a.vessel_id)}`, class: "vessel-link" },
                  raw(v?.hull_name || a.vessel_id, "hull"),
                ),
                h("span", { class: "muted" }, " ", raw(a.vessel_id)),
              )
            : null,
          showVessel ? h("td", null, raw(fleet.gridName(a.grid_id))) : null,
          h("td", { class: "time" }, formatTime(a.raised_at)),
          h("td", { class: "time" }, formatTime(a.updated_at)),
          showState
            ? h("td", null, a.state === "resolved" ? t("alerts.state.resolved") : t("alerts.state.open"))
            : null,
          h("td", { class: "detail" }, raw(a.detail || "")),
        );
      }),
    ),
  );
}
