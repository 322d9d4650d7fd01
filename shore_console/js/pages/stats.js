/**
 * Statistics: vessels per contact state in each grid, as stacked bars (lost at the bottom, where
 * the eye lands), with the same figures in a table for reading out on the phone; below, contact
 * over the last 24 h per grid and alert response times per day, read from the hub's stats API.
 */
import { CONTACT_STATES } from "../core/fleet_store.js";
import { t } from "../core/i18n.js";
import { STATE_COLOURS } from "../map/colours.js";
import { contactChart, HEIGHT as CONTACT_HEIGHT } from "../ui/chart_contact.js";
import { responseChart, responseTable } from "../ui/chart_response.js";
import { h, raw, setChildren } from "../ui/dom.js";
import { stateLabel } from "../ui/labels.js";

const MAX_GRIDS = 30;
const STACK = ["lost", "overdue", "unknown", "maintenance", "ok"]; // bottom to top
const REDRAW_MS = 1000;
const HISTORY_MS = 60_000; // the history charts move slowly: re-read once a minute
const RESPONSE_DAYS = 14;

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

/** The two charts read from the stats API: contact over 24 h (per grid) and response times. */
function mountHistory(contactCard, responseCard, ctx) {
  const { api, fleet, memory } = ctx;
  const gridPick = h("select", { name: "chart_grid", class: "chart-grid", "aria-label": t("filter.grid") });
  const contactEl = h("div", { class: "chart chart-contact", role: "img", "aria-label": t("chart.contact_label") });
  const contactNote = h("p", { class: "muted" });
  const responseEl = h("div", { class: "chart chart-response", role: "img", "aria-label": t("chart.response_label") });
  const responseNote = h("p", { class: "muted" });
  const responseTableEl = h("div", { class: "table-wrap" });
  setChildren(
    contactCard,
    h("div", { class: "page-head" }, h("h2", null, t("chart.contact_title")), gridPick),
    contactNote,
    contactEl,
  );
  setChildren(responseCard, h("h2", null, t("chart.response_title", { days: RESPONSE_DAYS })), responseNote, responseEl, responseTableEl);
  let contact = null;
  let response = null;
  let plots = [];
  let gone = false;

  function draw() {
    for (const p of plots) p.destroy();
    plots = [];
    contactEl.replaceChildren();
    responseEl.replaceChildren();
    if (contact) {
      const chosen = memory.chartGrid || "";
      setChildren(
        gridPick,
        h("option", { value: "" }, t("chart.all_grids")),
        contact.grids.map((g) => h("option", { value: g.grid_id, "data-raw": true }, `${fleet.gridName(g.grid_id)} (${g.grid_id})`)),
      );
      gridPick.value = contact.grids.some((g) => g.grid_id === chosen) ? chosen : "";
      contactNote.textContent = t("chart.contact_note");
      plots.push(contactChart(contactEl, contact, gridPick.value));
    }
    if (response) {
      responseNote.textContent = response.days.length ? t("chart.response_note") : t("chart.no_alerts", { days: RESPONSE_DAYS });
      if (response.days.length) plots.push(responseChart(responseEl, response));
      setChildren(responseTableEl, response.days.length ? responseTable(response) : null);
    }
  }

  async function load() {
    try {
      const [c, r] = await Promise.all([
        api.contactStats({ hours: 24, step_min: 30 }),
        api.responseStats({ days: RESPONSE_DAYS }),
      ]);
      if (gone) return;
      contact = c;
      response = r;
      draw();
    } catch (err) {
      ctx.reportError(err);
    }
  }

  gridPick.addEventListener("change", () => {
    memory.chartGrid = gridPick.value;
    draw();
  });
  contactNote.textContent = t("common.loading");
  const timer = setInterval(load, HISTORY_MS);
  load();
  return {
    resize() {
      if (plots[0]) plots[0].setSize({ width: Math.max(320, contactEl.clientWidth), height: CONTACT_HEIGHT });
      if (plots[1]) plots[1].setSize({ width: Math.max(320, responseEl.clientWidth), height: 260 });
    },
    redraw: draw,
    stop() {
      gone = true;
      clearInterval(timer);
      for (const p of plots) p.destroy();
      delete window.__sealinkCharts; // the test hook describes the page on screen only
    },
  };
}

export function mount(el, ctx) {
  const { fleet } = ctx;
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": t("stats.chart_label") });
  const note = h("p", { class: "muted" });
  const tableEl = h("div", { class: "table-wrap" });
  const contactCard = h("div", { class: "card contact-history" });
  const responseCard = h("div", { class: "card response-times" });
  setChildren(
    el,
    h(
      "section",
      { class: "page stats-page" },
      h("div", { class: "page-head" }, h("h1", null, t("stats.title"))),
      h("div", { class: "card" }, h("h2", null, t("stats.by_grid")), note, chartEl),
      h("div", { class: "card" }, tableEl),
      contactCard,
      responseCard,
    ),
  );
  const history = mountHistory(contactCard, responseCard, ctx);
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
    if (chartEl.clientWidth === width) return;
    width = chartEl.clientWidth;
    plot?.setSize({ width: Math.max(320, width), height: 360 });
    history.resize();
  });
  resize.observe(chartEl);
  const offs = [fleet.on("reset", draw), fleet.on("reset", history.redraw), fleet.on("contact", soon)];
  draw();
  return () => {
    for (const off of offs) off();
    clearTimeout(timer);
    resize.disconnect();
    plot?.destroy();
    history.stop();
  };
}
