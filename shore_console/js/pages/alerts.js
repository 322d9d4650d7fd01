/** Alerts: the open ones live (most urgent first), or the recent history read from the hub;
 * filtered by kind, state, grid and words; the unacknowledged ones of the filtered list picked and
 * acknowledged in one action, by the person logged in. */
import { alarmClass } from "../core/alarm_kinds.js";
import { urgency } from "../core/alerts_store.js";
import { t } from "../core/i18n.js";
import { alertsTable } from "../ui/alerts_table.js";
import { alertTitle } from "../ui/alert_words.js";
import { afterPress, h, setChildren } from "../ui/dom.js";

const REFRESH_MS = 1000;
const KINDS = ["distress", "lost", "zone", "recall", "separation", "maintenance", "drill"];
const STATES = ["raised", "acknowledged", "resolved"];

export function mount(el, ctx) {
  const { alerts, fleet, api, memory, session } = ctx;
  let view = memory.alertsView || "open";
  const filters = (memory.alertFilters ||= { kind: "", state: "", grid: "", q: "" });
  let history = null;
  let timer = 0;
  const picked = new Set();
  const body = h("div", { class: "alerts-body" });
  const tabs = h("div", { class: "tabs", role: "tablist" });
  const filterBar = h("div", { class: "alert-filters", role: "group", "aria-label": t("alerts.filters") });
  const bulk = h("div", { class: "bulk-bar" });
  const status = h("p", { class: "form-status", role: "status" });
  // Kept across redraws (live changes redraw the bar while the officer types).
  const note = h("input", { type: "text", class: "bulk-note", name: "bulk_note", maxlength: 1000,
    placeholder: t("alerts.bulk_note"), "aria-label": t("alerts.bulk_note") });
  setChildren(
    el,
    h(
      "section",
      { class: "page alerts-page" },
      h("div", { class: "page-head" }, h("h1", null, t("alerts.title")), tabs),
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      filterBar,
      bulk,
      status,
      body,
    ),
  );

  function renderTabs() {
    setChildren(
      tabs,
      ["open", "all"].map((name) =>
        h(
          "button",
          {
            type: "button",
            role: "tab",
            class: "tab",
            "data-view": name,
            "aria-selected": String(view === name),
            onclick: () => {
              view = memory.alertsView = name;
              picked.clear();
              renderTabs();
              load();
            },
          },
          t(`alerts.tab.${name}`),
          name === "open" ? ` (${alerts.open.size})` : "",
        ),
      ),
    );
  }

  function select(name, label, options) {
    const s = h(
      "select",
      { class: `filter-${name}`, name, "aria-label": label },
      h("option", { value: "" }, label),
      options.map(([value, text]) => h("option", { value, "data-raw": name === "grid" || null }, text)),
    );
    s.value = filters[name];
    s.addEventListener("change", () => {
      filters[name] = s.value;
      render();
    });
    return s;
  }

  function renderFilters() {
    const search = h("input", {
      type: "search",
      class: "filter-q",
      name: "q",
      value: filters.q,
      placeholder: t("alerts.filter.search"),
      "aria-label": t("alerts.filter.search"),
    });
    search.addEventListener("input", () => {
      filters.q = search.value.trim();
      render();
    });
    setChildren(
      filterBar,
      select("kind", t("alerts.filter.all_kinds"), KINDS.map((k) => [k, t(`alerts.kind.${k}`)])),
      select("state", t("alerts.filter.all_states"), STATES.map((s) => [s, t(`alerts.state.${s}`)])),
      select("grid", t("alerts.filter.all_grids"), [...fleet.grids.values()].map((g) => [g.id, `${g.name} (${g.id})`])),
      search,
    );
  }

  function matches(a) {
    const f = filters;
    if (f.kind === "drill" ? !a.exercise : f.kind && alarmClass(a) !== f.kind) return false;
    if (f.state && a.state !== f.state) return false;
    if (f.grid && a.grid_id !== f.grid) return false;
    if (f.q) {
      const q = f.q.toLowerCase();
      const v = fleet.get(a.vessel_id);
      const hay = [a.vessel_id, v?.hull_name, a.detail, alertTitle(a), a.acked_by, a.assigned_to];
      if (!hay.some((x) => x && String(x).toLowerCase().includes(q))) return false;
    }
    return true;
  }

  function shown() {
    if (view === "open") return alerts.sorted().filter(matches);
    return (history || []).filter(matches);
  }

  function renderBulk(list) {
    // Only what the filter shows may stay picked.
    const ids = new Set(list.map((a) => a.id));
    for (const id of [...picked]) if (!ids.has(id)) picked.delete(id);
    if (session.role === "viewer") return bulk.replaceChildren();
    const waiting = list.filter((a) => a.state === "raised");
    const all = h("input", {
      type: "checkbox",
      class: "pick-all",
      checked: waiting.length > 0 && waiting.every((a) => picked.has(a.id)),
      disabled: waiting.length === 0,
    });
    all.addEventListener("change", () => {
      for (const a of waiting) (all.checked ? picked.add(a.id) : picked.delete(a.id));
      render();
    });
    const ack = h("button", { type: "button", class: "bulk-ack primary", disabled: picked.size === 0 },
      t("alerts.bulk_ack", { n: picked.size, name: session.username }));
    ack.addEventListener("click", () => bulkAck(ack, note.value.trim()).then(() => (note.value = "")));
    setChildren(
      bulk,
      h("label", { class: "check" }, all, t("alerts.pick_all", { n: waiting.length })),
      note,
      ack,
    );
  }

  async function bulkAck(button, note) {
    const ids = [...picked];
    button.disabled = true;
    status.className = "form-status";
    try {
      const r = await api.ackMany(ids, note);
      const done = Object.values(r.results).filter((x) => x === "acknowledged").length;
      picked.clear();
      status.className = "form-status ok";
      status.textContent = t("alerts.bulk_done", { n: done, skipped: ids.length - done });
      if (view === "all") load();
    } catch (err) {
      ctx.reportError(err);
      status.className = "form-status failed";
      status.textContent = t("alerts.bulk_failed", { msg: err?.message || String(err) });
    }
    render();
  }

  function render() {
    renderTabs();
    if (view === "all" && history === null) {
      setChildren(body, h("p", { class: "muted" }, t("common.loading")));
      return;
    }
    const list = shown();
    renderBulk(list);
    setChildren(body, alertsTable(list, fleet, {
      selection: session.role === "viewer" ? null : picked,
      onSelect: () => renderBulk(shown()),
    }));
  }

  async function load() {
    render();
    if (view !== "all") return;
    try {
      const r = await api.alerts("all");
      history = r.alerts.sort(
        (a, b) =>
          (a.state === "resolved") - (b.state === "resolved") ||
          urgency(b) - urgency(a) ||
          Date.parse(b.raised_at) - Date.parse(a.raised_at),
      );
    } catch (err) {
      ctx.reportError(err);
      history = history || [];
    }
    render();
  }

  // History is re-read at most once a second while alerts change; the open list is live.
  const off = alerts.on("change", () => {
    if (view === "open") afterPress(render, render); // a click under way keeps its row
    else if (!timer) timer = setTimeout(() => ((timer = 0), load()), REFRESH_MS);
  });
  const offFleet = fleet.on("reset", () => {
    renderFilters();
    render();
  });
  renderFilters();
  load();
  return () => {
    off();
    offFleet();
    clearTimeout(timer);
  };
}
