/** Alerts: the open ones live (most urgent first), or the recent history read from the hub. */
import { urgency } from "../core/alerts_store.js";
import { t } from "../core/i18n.js";
import { alertsTable } from "../ui/alerts_table.js";
import { h, setChildren } from "../ui/dom.js";

const REFRESH_MS = 1000;

export function mount(el, ctx) {
  const { alerts, fleet, api, memory } = ctx;
  let view = memory.alertsView || "open";
  let history = null;
  let timer = 0;
  const body = h("div", { class: "alerts-body" });
  const tabs = h("div", { class: "tabs", role: "tablist" });
  setChildren(
    el,
    h(
      "section",
      { class: "page alerts-page" },
      h("div", { class: "page-head" }, h("h1", null, t("alerts.title")), tabs),
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
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

  function render() {
    renderTabs();
    if (view === "open") {
      setChildren(body, alertsTable(alerts.sorted(), fleet));
    } else if (history === null) {
      setChildren(body, h("p", { class: "muted" }, t("common.loading")));
    } else {
      setChildren(body, alertsTable(history, fleet, { showState: true }));
    }
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
    if (view === "open") render();
    else if (!timer) timer = setTimeout(() => ((timer = 0), load()), REFRESH_MS);
  });
  const offFleet = fleet.on("reset", render);
  load();
  return () => {
    off();
    offFleet();
    clearTimeout(timer);
  };
}
