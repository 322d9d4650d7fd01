/**
 * Port entries and exits (#/ports, 进出港): a Beijing day's list for the reader's grids, counted
 * per port and per grid, filtered by port and grid, and exported as CSV for the records. Each line
 * says where it comes from: the track, the terminal's report, or both (one passage, counted once).
 */
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { apiErrorText } from "../ui/broadcast_labels.js";
import { h, raw, setChildren } from "../ui/dom.js";

const BEIJING_MS = 8 * 3600_000;

export function mount(el, ctx) {
  const { api, fleet, session } = ctx;
  const day = h("input", { type: "date", name: "date", value: new Date(Date.now() + BEIJING_MS).toISOString().slice(0, 10) });
  const port = h("input", { type: "text", name: "port", autocomplete: "off" });
  const grid = h("input", { type: "text", name: "grid", autocomplete: "off" });
  const show = h("button", { type: "button", class: "button ports-show" }, t("ports.show"));
  const csv = h("button", { type: "button", class: "button ports-csv" }, t("ports.csv"));
  const message = h("p", { class: "bc-message", role: "status" });
  const tallies = h("div", { class: "card ports-tallies" });
  const table = h("div", { class: "card ports-events" });
  setChildren(el, h("section", { class: "page ports-page" },
    h("div", { class: "page-head" }, h("h1", null, t("ports.title"))),
    h("p", { class: "muted tz-note" }, t("time.zone_note")),
    h("div", { class: "card ports-filter" },
      h("label", { class: "bc-field" }, h("span", { class: "bc-field-label" }, t("ports.date")), day),
      h("label", { class: "bc-field" }, h("span", { class: "bc-field-label" }, t("ports.port")), port),
      h("label", { class: "bc-field" }, h("span", { class: "bc-field-label" }, t("recall.col.grid")), grid),
      show, " ", csv),
    message, tallies, table));
  let gone = false;
  const query = () => ({ date: day.value, port: port.value.trim(), grid: grid.value.trim() });

  async function load() {
    try {
      const r = await api.portLog(query());
      if (gone) return;
      message.textContent = "";
      const tally = (rows, key) => h("table", { class: `bc-table ports-tally ports-by-${key}` },
        h("thead", null, h("tr", null, h("th", null, t(key === "port" ? "ports.port" : "recall.col.grid")), h("th", null, t("ports.in")), h("th", null, t("ports.out")))),
        h("tbody", null, rows.map((x) => h("tr", { "data-key": x[key] }, h("th", { scope: "row" }, raw(x[key])), h("td", { class: "num", "data-kind": "in" }, String(x.in)), h("td", { class: "num", "data-kind": "out" }, String(x.out))))));
      setChildren(tallies, h("h2", null, t("ports.by_port")), tally(r.ports, "port"), h("h2", null, t("ports.by_grid")), tally(r.grids, "grid_id"));
      setChildren(table, h("h2", null, t("ports.events", { n: r.events.length })), r.events.length
        ? h("table", { class: "bc-table ports-table" },
            h("thead", null, h("tr", null, ["ports.time", "ports.port", "ports.kind", "recall.col.grid", "bc.col.vessel", "recall.col.aboard", "ports.source"].map((k) => h("th", { scope: "col" }, t(k))))),
            h("tbody", null, r.events.map((e) => h("tr", { class: `ports-row ports-${e.kind}`, "data-vessel-id": e.vessel_id, "data-kind": e.kind, "data-source": e.source },
              h("td", { class: "time" }, formatTime(e.ts)), h("td", null, raw(e.port)), h("td", null, t(`ports.${e.kind}`)),
              h("td", null, raw(fleet.gridName(e.grid_id))), h("td", null, raw(e.hull_name || e.vessel_id, "hull"), h("span", { class: "muted" }, " ", raw(e.vessel_id))),
              h("td", { class: "num" }, String(e.persons)),
              h("td", { class: "ports-source", title: e.track_ts ? t("ports.track_at", { time: formatTime(e.track_ts) }) : null }, t(`ports.source.${e.source}`))))))
        : h("p", { class: "empty" }, t("ports.none")));
    } catch (err) {
      if (!gone && err?.status !== 401) message.textContent = apiErrorText(err);
    }
  }
  show.addEventListener("click", load);
  csv.addEventListener("click", async () => {
    try {
      const q = new URLSearchParams({ ...Object.fromEntries(Object.entries(query()).filter(([, v]) => v)), format: "csv" });
      const res = await fetch(`/api/v1/ports/log?${q}`, { headers: { Authorization: `Bearer ${session.token}` } });
      if (!res.ok) throw Object.assign(new Error(res.statusText), { status: res.status });
      const url = URL.createObjectURL(await res.blob());
      const a = h("a", { href: url, download: `ports-${day.value}.csv`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      message.textContent = apiErrorText(err);
    }
  });
  load();
  return () => {
    gone = true;
  };
}
