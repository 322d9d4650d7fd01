/**
 * The fleet list beside the map: filters (grid, contact state, search by hull name, id or MMSI)
 * and a virtual list (only the rows in view exist), so 10,000 vessels scroll smoothly.
 * The same filter decides which vessels the map and the counters show.
 */
import { CONTACT_STATES } from "../core/fleet_store.js";
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { STATE_COLOURS } from "../map/colours.js";
import { h, raw, setChildren } from "./dom.js";
import { stateLabel } from "./labels.js";

const ROW_HEIGHT = 56;
const OVERSCAN = 6;
// Who needs attention first: lost, overdue, never heard, maintenance, fine.
const STATE_ORDER = { lost: 0, overdue: 1, unknown: 2, maintenance: 3, ok: 4 };

export class FleetList {
  constructor(el, { fleet, filters, onSelect, onFilter }) {
    this._fleet = fleet;
    this._onSelect = onSelect;
    this._onFilter = onFilter;
    this.filters = { grid: "", state: "", q: "", ...filters };
    this._rows = [];
    this._selected = null;
    this._grid = h("select", { class: "filter-grid", "aria-label": t("filter.grid") });
    this._state = h("select", { class: "filter-state", "aria-label": t("filter.state") });
    this._search = h("input", {
      type: "search",
      class: "filter-search",
      placeholder: t("filter.search_placeholder"),
      "aria-label": t("filter.search"),
      value: this.filters.q,
    });
    this._count = h("div", { class: "list-count", "aria-live": "polite" });
    this._spacer = h("div", { class: "vlist-spacer" });
    this._viewport = h(
      "div",
      { class: "vlist", role: "list", "aria-label": t("list.label"), tabindex: "0" },
      this._spacer,
    );
    this._viewport.addEventListener("scroll", () => this._renderRows());
    this._grid.addEventListener("change", () => this._set({ grid: this._grid.value }));
    this._state.addEventListener("change", () => this._set({ state: this._state.value }));
    this._search.addEventListener("input", () => this._set({ q: this._search.value.trim() }));
    setChildren(
      el,
      h("div", { class: "list-filters" }, this._search, h("div", { class: "filter-row" }, this._grid, this._state)),
      this._count,
      this._viewport,
    );
    this._resize = new ResizeObserver(() => this._renderRows());
    this._resize.observe(this._viewport);
  }

  /** Does a vessel pass the grid and search filters (and the state filter, unless told not to)? */
  matches(v, { ignoreState = false } = {}) {
    const f = this.filters;
    if (f.grid && v.grid_id !== f.grid) return false;
    if (!ignoreState && f.state && v.contact.state !== f.state) return false;
    if (f.q) {
      const q = f.q.toLowerCase();
      return (
        v.hull_name.toLowerCase().includes(q) ||
        v.id.toLowerCase().includes(q) ||
        (v.mmsi || "").includes(q)
      );
    }
    return true;
  }

  setState(state) {
    this._set({ state });
  }

  setSelected(id) {
    this._selected = id;
    this._renderRows();
  }

  /** Rebuild options and rows from the store (after a snapshot or contact changes). */
  refresh() {
    this._fillSelects();
    const rows = [...this._fleet.vessels.values()].filter((v) => this.matches(v));
    // Plain code-point order, not localeCompare: hull names are 粤南澳渔 + digits, and a collator
    // would make re-sorting 10,000 rows after a burst of contact changes ten times slower.
    const cmp = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
    rows.sort(
      (a, b) =>
        (STATE_ORDER[a.contact.state] ?? 2) - (STATE_ORDER[b.contact.state] ?? 2) ||
        cmp(a.hull_name, b.hull_name) ||
        cmp(a.id, b.id),
    );
    this._rows = rows;
    this._count.textContent = t("list.count", { n: rows.length, total: this._fleet.vessels.size });
    this._spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    this._renderRows();
  }

  /** Redraw the rows in view (their times change with every position). */
  updateVisible() {
    this._renderRows();
  }

  destroy() {
    this._resize.disconnect();
  }

  _set(change) {
    Object.assign(this.filters, change);
    this.refresh();
    this._onFilter(this.filters);
  }

  _fillSelects() {
    const grids = [...this._fleet.grids.values()];
    const gridOptions = [
      h("option", { value: "" }, t("filter.all_grids")),
      ...grids.map((g) => h("option", { value: g.id, "data-raw": true }, `${g.name} (${g.id})`)),
    ];
    setChildren(this._grid, gridOptions);
    this._grid.value = this.filters.grid;
    setChildren(
      this._state,
      h("option", { value: "" }, t("filter.all_states")),
      CONTACT_STATES.map((s) => h("option", { value: s }, stateLabel(s))),
    );
    this._state.value = this.filters.state;
  }

  _renderRows() {
    const vp = this._viewport;
    const first = Math.max(0, Math.floor(vp.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(
      this._rows.length,
      Math.ceil((vp.scrollTop + vp.clientHeight) / ROW_HEIGHT) + OVERSCAN,
    );
    const rows = [];
    for (let i = first; i < last; i++) rows.push(this._row(this._rows[i], i));
    setChildren(this._spacer, rows);
  }

  _row(v, i) {
    const state = v.contact.state;
    return h(
      "button",
      {
        type: "button",
        role: "listitem",
        class: `vrow state-${state}${v.id === this._selected ? " selected" : ""}`,
        "data-vessel-id": v.id,
        style: { top: `${i * ROW_HEIGHT}px`, height: `${ROW_HEIGHT}px` },
        onclick: () => this._onSelect(v.id),
      },
      h("span", { class: "dot", style: { background: STATE_COLOURS[state] || STATE_COLOURS.unknown } }),
      h(
        "span",
        { class: "vrow-main" },
        raw(v.hull_name, "hull"),
        h("span", { class: "vrow-sub" }, raw(v.id), " · ", raw(this._fleet.gridName(v.grid_id))),
      ),
      h(
        "span",
        { class: "vrow-side" },
        h("span", { class: `state-text state-${state}` }, stateLabel(state)),
        h("span", { class: "vrow-time" }, formatTime(v.contact.last_heard, { short: true })),
      ),
    );
  }
}
