/**
 * Alert response times per Beijing day: the median and the 90th percentile of the time to
 * acknowledge and of the time to resolve (by a person), in minutes, from GET
 * /api/v1/stats/response; the same figures in a table below. What was plotted is kept on
 * `window.__sealinkCharts.response`.
 */
import { t } from "../core/i18n.js";
import { publish } from "./chart_contact.js";
import { h } from "./dom.js";

const AXIS = { stroke: "#c9d4e0", grid: { stroke: "rgba(255,255,255,0.08)" }, ticks: { stroke: "rgba(255,255,255,0.2)" } };
const LINES = [
  ["ack_median_s", "chart.ack_median", "#4dabf7", []],
  ["ack_p90_s", "chart.ack_p90", "#4dabf7", [6, 4]],
  ["resolve_median_s", "chart.resolve_median", "#ffb020", []],
  ["resolve_p90_s", "chart.resolve_p90", "#ffb020", [6, 4]],
];

const TABLE_COLUMNS = [
  "chart.day",
  "chart.alerts",
  "chart.acked",
  "chart.ack_median",
  "chart.ack_p90",
  "chart.resolved",
  "chart.resolve_median",
  "chart.resolve_p90",
];

const minutes = (s) => (s == null ? null : Math.round((s / 60) * 10) / 10);

export function responseChart(el, stats) {
  const days = stats.days;
  // Each day at noon Beijing time, so the day's label sits under its points.
  const xs = days.map((d) => Date.parse(`${d.day}T12:00:00+08:00`) / 1000);
  const data = LINES.map(([key]) => days.map((d) => minutes(d[key])));
  publish("response", {
    days: days.map((d) => d.day),
    ...Object.fromEntries(LINES.map(([key], i) => [key.replace(/_s$/, "_min"), data[i]])),
  });
  return new window.uPlot(
    {
      width: Math.max(320, el.clientWidth),
      height: 260,
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1e3), "Asia/Shanghai"),
      scales: { x: { time: true, range: (u, min, max) => [min - 43200, max + 43200] }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
      cursor: { drag: { x: false, y: false } },
      axes: [
        { ...AXIS, values: "{MM}-{DD}", space: 60 },
        { ...AXIS, label: t("chart.minutes"), labelSize: 24 },
      ],
      series: [
        { label: t("chart.day"), value: "{YYYY}-{MM}-{DD}" },
        ...LINES.map(([, labelKey, colour, dash]) => ({
          label: t(labelKey),
          stroke: colour,
          dash,
          width: 2,
          spanGaps: true,
          points: { show: true, size: 7 },
          value: (u, v) => (v == null ? "—" : t("chart.min_value", { n: v })),
        })),
      ],
    },
    [xs, ...data],
    el,
  );
}

export function responseTable(stats) {
  const cell = (s) => h("td", null, s == null ? "—" : String(minutes(s)));
  return h(
    "table",
    { class: "stats-table response-table" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        TABLE_COLUMNS.map((k) => h("th", { scope: "col" }, t(k))),
      ),
    ),
    h(
      "tbody",
      null,
      stats.days.map((d) =>
        h(
          "tr",
          { "data-day": d.day },
          h("th", { scope: "row" }, d.day),
          h("td", null, String(d.alerts)),
          h("td", null, String(d.acked)),
          cell(d.ack_median_s),
          cell(d.ack_p90_s),
          h("td", null, String(d.resolved)),
          cell(d.resolve_median_s),
          cell(d.resolve_p90_s),
        ),
      ),
    ),
  );
}
