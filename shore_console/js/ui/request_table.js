/**
 * The requests inbox as a table: category, vessel, grid, what the fisherman wrote, how long it has
 * waited, when it is due (past due in red while not resolved), who has it, its state.
 */
import { t } from "../core/i18n.js";
import { ago, formatTime } from "../core/time.js";
import { h, raw } from "./dom.js";

const CATEGORIES = new Set(["equipment", "policy", "medical", "legal", "supplies", "weather", "other"]);
const COLUMNS = [
  "request.col.category",
  "request.col.vessel",
  "request.col.grid",
  "request.col.text",
  "request.col.received",
  "request.col.due",
  "request.col.assigned",
  "request.col.state",
];

export function categoryLabel(code) {
  return CATEGORIES.has(code) ? t(`request.category.${code}`) : code;
}

export function isOverdue(r, now = Date.now()) {
  return r.state !== "resolved" && Date.parse(r.due_at) < now;
}

export function requestTable(list, fleet, { selected, fresh, onPick }) {
  if (!list.length) return h("p", { class: "empty" }, t("request.none"));
  const now = Date.now();
  return h(
    "table",
    { class: "alerts-table request-table" },
    h("thead", null, h("tr", null, COLUMNS.map((k) => h("th", { scope: "col" }, t(k))))),
    h(
      "tbody",
      null,
      list.map((r) => {
        const late = isOverdue(r, now);
        const flags = [late && "overdue", r.id === selected && "selected", fresh.has(r.id) && "fresh"];
        const cls = ["request-row", `state-${r.state}`, ...flags].filter(Boolean).join(" ");
        return h(
          "tr",
          {
            class: cls,
            "data-request-id": r.id,
            "data-vessel": r.vessel_id,
            tabindex: "0",
            "aria-selected": String(r.id === selected),
            onclick: (e) => e.target.closest("a") || onPick(r.id),
            onkeydown: (e) => e.key === "Enter" && onPick(r.id),
          },
          h("td", null, categoryLabel(r.category)),
          h(
            "td",
            null,
            h("a", { href: `#/vessel/${encodeURIComponent(r.vessel_id)}`, class: "vessel-link" }, raw(r.hull_name || r.vessel_id)),
            h("span", { class: "muted" }, " ", raw(r.vessel_id)),
          ),
          h("td", null, raw(fleet.gridName(r.grid_id))),
          h("td", { class: "request-text" }, raw(r.text)),
          h("td", { class: "time" }, formatTime(r.received_at, { short: true }), h("br"), h("small", { class: "muted" }, ago(r.received_at, now))),
          h(
            "td",
            { class: `time due${late ? " late" : ""}` },
            formatTime(r.due_at, { short: true }),
            late ? h("span", { class: "late-badge" }, t("request.overdue")) : null,
          ),
          h("td", null, r.assigned_to ? raw(r.assigned_to) : "—"),
          h("td", null, h("span", { class: `request-state state-${r.state}` }, t(`request.state.${r.state}`))),
        );
      }),
    ),
  );
}
