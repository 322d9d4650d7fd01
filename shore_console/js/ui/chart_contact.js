/**
 * Fleet contact over the last 24 h: vessels per contact state over time, stacked (lost at the
 * bottom where the eye lands), for one grid or all the coordinator's grids. The figures come from
 * GET /api/v1/stats/contact; what was plotted is kept on `window.__sealinkCharts.contact` so that
 * tests can check the data rather than pixels.
 */
import { t } from "../core/i18n.js";
import { STATE_COLOURS } from "../map/colours.js";
import { stateLabel } from "./labels.js";

const STACK = ["lost", "overdue", "unknown", "maintenance", "ok"]; // bottom to top
const AXIS = { stroke: "#c9d4e0", grid: { stroke: "rgba(255,255,255,0.08)" }, ticks: { stroke: "rgba(255,255,255,0.2)" } };
export const HEIGHT = 300;

/** The states summed over the grids chosen (`grid` "" = every grid in the answer). */
export function contactSeries(stats, grid) {
  const n = stats.times.length;
  const sum = Object.fromEntries(STACK.map((s) => [s, new Array(n).fill(0)]));
  for (const g of stats.grids) {
    if (grid && g.grid_id !== grid) continue;
    for (const s of STACK) for (let i = 0; i < n; i++) sum[s][i] += g[s][i];
  }
  return sum;
}

export function publish(name, data) {
  window.__sealinkCharts = { ...(window.__sealinkCharts || {}), [name]: data };
}

export function contactChart(el, stats, grid) {
  const series = contactSeries(stats, grid);
  const xs = stats.times.map((iso) => Date.parse(iso) / 1000);
  publish("contact", { grid, times: stats.times, series });
  const cumulative = [];
  let acc = xs.map(() => 0);
  for (const s of STACK) {
    acc = acc.map((v, i) => v + series[s][i]);
    cumulative.push(acc);
  }
  const order = [...STACK.keys()].reverse(); // the whole stack first, each lower part over it
  return new window.uPlot(
    {
      width: Math.max(320, el.clientWidth),
      height: HEIGHT,
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1e3), "Asia/Shanghai"),
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      cursor: { drag: { x: false, y: false } },
      axes: [
        { ...AXIS, values: "{HH}:{mm}" },
        { ...AXIS, label: t("stats.vessels"), labelSize: 24, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
      ],
      series: [
        { label: t("chart.time"), value: "{YYYY}-{MM}-{DD} {HH}:{mm}" },
        ...order.map((k) => ({
          label: stateLabel(STACK[k]),
          fill: STATE_COLOURS[STACK[k]],
          stroke: STATE_COLOURS[STACK[k]],
          width: 1,
          points: { show: false },
          // Each sample is drawn over the half hour before it, so the right edge shows now.
          paths: window.uPlot.paths.stepped({ align: -1 }),
          value: (u, v, si, i) => (i == null ? "—" : String(series[STACK[k]][i])),
        })),
      ],
    },
    [xs, ...order.map((k) => cumulative[k])],
    el,
  );
}
