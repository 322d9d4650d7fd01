/**
 * Statistics: vessels per contact state in each grid, as stacked bars (lost at the bottom, where
 * the eye lands), with the same figures in a table for reading out on the phone.
 */
import { CONTACT_STATES } from "../core/fleet_store.js";
import { t } from "../core/i18n.js";
import { STATE_COLOURS } from "../map/colours.js";
import { h, raw, setChildren } from "../ui/dom.js";
import { stateLabel } from "../ui/labels.js";

const MAX_GRIDS = 30;
const STACK = ["lost", "overdue", "unknown", "maintenance", "ok"]; // bottom to top
const REDRAW_MS = 1000;

function perGrid(fleet) {
  const rows = new Map([...fleet.grids.keys()].map((id) => [id, emptyRow(id)]));
  for (const v of fleet.vessels.values()) {
    if (!rows.has(v.grid_id)) rows.set(v.grid_id, emptyRow(v.grid_id));
    const r = rows.get(v.grid_id);
    r.total++;
    r[v.contact.state in r ? v.contact.state : "unknown"]++;
  }
  const all = [...rows.values()].filter((r) => r.total > 0);
  if (all.length <= MAX_GRIDS) return { rows: all, hidden: 0 };
  // Too many to draw legibly: the grids needing attention first.
  const score = (r) => r.lost * 1e6 + r.overdue * 1e3 + r.unknown;
  const worst = all.sort((a, b) => score(b) - score(a) || a.id.localeCompare(b.id));
  return { rows: worst.slice(0, MAX_GRIDS).sort((a, b) => a.id.localeCompare(b.id)), hidden: all.length - MAX_GRIDS };
}

function emptyRow(id) {
  return { id, total: 0, ok: 0, overdue: 0, lost: 0, maintenance: 0, unknown: 0 };
}

function chart(el, rows, fleet) {
  const xs = rows.map((_, i) => i);
  const cumulative = [];
  let acc = rows.map(() => 0);
  for (const s of STACK) {
    acc = acc.map((v, i) => v + rows[i][s]);
    cumulative.push(acc);
  }
  // uPlot draws series in order: the tallest (the whole stack) first, each lower part over it.
  const order = [...STACK.keys()].reverse();
  const bars = window.uPlot.paths.bars({ size: [0.7, 48], align: 0 });
  const axisStyle = { stroke: "#c9d4e0", grid: { stroke: "rgba(255,255,255,0.08)" }, ticks: { stroke: "rgba(255,255,255,0.2)" } };
  return new window.uPlot(
    {
      width: Math.max(320, el.clientWidth),
      height: 360,
      scales: { x: { time: false, range: [-0.6, rows.length - 0.4] }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      legend: { live: true },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      axes: [
        {
          ...axisStyle,
          splits: () => xs,
          values: (u, splits) => splits.map((i) => rows[i]?.id ?? ""),
          rotate: rows.length > 12 ? -45 : 0,
          size: rows.length > 12 ? 60 : 40,
        },
        // Whole vessels only: no 0.5 ticks.
        { ...axisStyle, label: t("stats.vessels"), labelSize: 24, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
      ],
      series: [
        { label: t("stats.grid"), value: (u, i) => (i == null ? "—" : `${fleet.gridName(rows[i].id)} (${rows[i].id})`) },
        ...order.map((k) => ({
          label: stateLabel(STACK[k]),
          fill: STATE_COLOURS[STACK[k]],
          stroke: STATE_COLOURS[STACK[k]],
          width: 0,
          paths: bars,
          points: { show: false },
          value: (u, v, si, i) => (i == null ? "—" : String(rows[i][STACK[k]])),
        })),
      ],
    },
    [xs, ...order.map((k) => cumulative[k])],
    el,
  );
}

function table(rows, fleet) {
  return h(
    "table",
    { class: "stats-table" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", { scope: "col" }, t("stats.grid")),
        h("th", { scope: "col" }, t("counters.total")),
        CONTACT_STATES.map((s) => h("th", { scope: "col" }, stateLabel(s))),
      ),
    ),
    h(
      "tbody",
      null,
      rows.map((r) =>
        h(
          "tr",
          { "data-grid": r.id },
          h("th", { scope: "row" }, raw(fleet.gridName(r.id)), ` (${r.id})`),
          h("td", null, String(r.total)),
          CONTACT_STATES.map((s) => h("td", { class: r[s] && s === "lost" ? "cell-lost" : "" }, String(r[s]))),
        ),
      ),
    ),
  );
}

export function mount(el, ctx) {
  const { fleet } = ctx;
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": t("stats.chart_label") });
  const note = h("p", { class: "muted" });
  const tableEl = h("div", { class: "table-wrap" });
  setChildren(
    el,
    h(
      "section",
      { class: "page stats-page" },
      h("div", { class: "page-head" }, h("h1", null, t("stats.title"))),
      h("div", { class: "card" }, h("h2", null, t("stats.by_grid")), note, chartEl),
      h("div", { class: "card" }, tableEl),
    ),
  );
  let plot = null;
  let timer = 0;

  function draw() {
    plot?.destroy();
    plot = null;
    chartEl.replaceChildren();
    if (!fleet.loaded) {
      note.textContent = t("common.loading");
      return;
    }
    const { rows, hidden } = perGrid(fleet);
    note.textContent = hidden ? t("stats.worst_only", { n: rows.length, hidden }) : t("stats.all_grids", { n: rows.length });
    setChildren(tableEl, table(rows, fleet));
    if (rows.length) plot = chart(chartEl, rows, fleet);
  }

  const soon = () => {
    timer ||= setTimeout(() => {
      timer = 0;
      draw();
    }, REDRAW_MS);
  };
  // Follow the width only (the chart sets its own height), so resizing cannot feed back into itself.
  let width = chartEl.clientWidth;
  const resize = new ResizeObserver(() => {
    if (!plot || chartEl.clientWidth === width) return;
    width = chartEl.clientWidth;
    plot.setSize({ width: Math.max(320, width), height: 360 });
  });
  resize.observe(chartEl);
  const offs = [fleet.on("reset", draw), fleet.on("contact", soon)];
  draw();
  return () => {
    for (const off of offs) off();
    clearTimeout(timer);
    resize.disconnect();
    plot?.destroy();
  };
}
