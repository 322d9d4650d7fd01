/** A table of alerts: what each is (a distress call unlike anything else, drills marked), the
 * vessel, its grid, times in Beijing time, where it stands (待确认 / 已确认（by） / 已结案). With
 * `selection` (a Set of ids) each unacknowledged row has a box to pick it for a bulk action. A
 * row opens its incident (a distress call) or the alert. */
import { alarmClass, alertPath } from "../core/alarm_kinds.js";
import { isCritical } from "../core/alerts_store.js";
import { t } from "../core/i18n.js";
import { ago, formatTime } from "../core/time.js";
import { alertIcon, alertTitle, drillBadge, stateText } from "./alert_words.js";
import { h, raw } from "./dom.js";
import { severityLabel } from "./labels.js";

export function alertsTable(list, fleet, { showVessel = true, selection = null, onSelect = null } = {}) {
  if (!list.length) return h("p", { class: "empty" }, t("alerts.none"));
  const pickable = (a) => a.state === "raised";
  const head = [
    selection ? "alerts.col.pick" : null,
    "alerts.col.severity",
    "alerts.col.type",
    showVessel ? "alerts.col.vessel" : null,
    showVessel ? "alerts.col.grid" : null,
    "alerts.col.raised",
    "alerts.col.updated",
    "alerts.col.state",
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
        const cls = [
          "alert-row",
          `sev-${a.severity || "notice"}`,
          `kind-${alarmClass(a)}`,
          a.type === "distress" ? "distress-call" : "",
          a.type !== "distress" && isCritical(a) ? "critical" : "",
          a.exercise ? "drill" : "",
          `state-${a.state}`,
          a.state === "resolved" ? "resolved" : "",
        ];
        let box = null;
        if (selection) {
          box = h("input", {
            type: "checkbox",
            class: "alert-pick",
            value: a.id,
            checked: selection.has(a.id),
            disabled: !pickable(a),
            "aria-label": t("alerts.pick_one", { id: a.id }),
          });
          box.addEventListener("change", () => {
            if (box.checked) selection.add(a.id);
            else selection.delete(a.id);
            onSelect?.();
          });
        }
        return h(
          "tr",
          {
            class: cls.filter(Boolean).join(" "),
            "data-alert-id": a.id,
            "data-incident-id": a.type === "distress" ? (a.incident_id ?? null) : null,
            "data-state": a.state,
            onclick: (e) => {
              if (e.target.closest("a, input, label, button")) return;
              location.hash = `#${alertPath(a)}`;
            },
          },
          selection ? h("td", { class: "pick" }, box) : null,
          h("td", null, h("span", { class: `sev-badge sev-${a.severity || "notice"}` }, severityLabel(a.severity))),
          h(
            "td",
            { class: "alert-what" },
            h("span", { class: "kind-icon" }, alertIcon(a)),
            " ",
            h("a", { href: `#${alertPath(a)}`, class: "alert-link" }, alertTitle(a)),
            a.exercise ? [" ", drillBadge()] : null,
          ),
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
          h("td", { class: "time" }, formatTime(a.raised_at), h("small", { class: "muted age" }, ago(a.raised_at))),
          h("td", { class: "time" }, formatTime(a.updated_at)),
          h("td", { class: `alert-state state-${a.state}` }, stateText(a)),
          h("td", { class: "detail" }, raw(a.detail || "")),
        );
      }),
    ),
  );
}
