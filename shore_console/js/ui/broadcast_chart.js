/**
 * Delivery progress over time: the share of the target boats (%) that had the message delivered,
 * read and acknowledged, cumulative, against minutes since it was sent; built from the per-vessel
 * times of the broadcast's detail (a boat that read or acknowledged it had it delivered by then,
 * even if that receipt came later or never). The legend gives the count beside the percentage.
 */
import { t } from "../core/i18n.js";

const SERIES = [
  { key: "delivered", colour: "#4dabf7" },
  { key: "read", colour: "#ffd43b" },
  { key: "acknowledged", colour: "#2ecc71" },
];

const ms = (iso) => (iso ? Date.parse(iso) : NaN);
const earliest = (...isos) => Math.min(...isos.map(ms).filter((x) => !Number.isNaN(x)));

/** {xs: minutes since sending, delivered, read, acknowledged}: step points, one per change. */
export function progressSeries(createdAt, deliveries) {
  const t0 = ms(createdAt);
  const times = { delivered: [], read: [], acknowledged: [] };
  for (const d of deliveries) {
    const ack = earliest(d.acked_at);
    const read = earliest(d.read_at, d.acked_at);
    const delivered = earliest(d.delivered_at, d.read_at, d.acked_at);
    if (Number.isFinite(delivered)) times.delivered.push(delivered);
    if (Number.isFinite(read)) times.read.push(read);
    if (Number.isFinite(ack)) times.acknowledged.push(ack);
  }
  const all = [...new Set([t0, ...times.delivered, ...times.read, ...times.acknowledged])].sort((a, b) => a - b);
  const cumulative = (list) => {
    list.sort((a, b) => a - b);
    let i = 0;
    return all.map((x) => {
      while (i < list.length && list[i] <= x) i++;
      return i;
    });
  };
  return {
    xs: all.map((x) => Math.max(0, (x - t0) / 60_000)),
    delivered: cumulative(times.delivered),
    read: cumulative(times.read),
    acknowledged: cumulative(times.acknowledged),
  };
}

const pct = (n, total) => (total > 0 ? (100 * n) / total : 0);

/** A uPlot chart in `el`; returns {update(createdAt, deliveries, total), destroy()}. */
export function deliveryChart(el) {
  let plot = null;
  let total = 1;
  const axis = { stroke: "#c9d4e0", grid: { stroke: "rgba(255,255,255,0.08)" }, ticks: { stroke: "rgba(255,255,255,0.2)" } };
  const stepped = window.uPlot.paths.stepped({ align: 1 });
  // The legend: "67% (2/3)"; the curve is the percentage.
  const legendValue = (u, v) => (v == null ? "—" : `${Math.round(v)}% (${Math.round((v * total) / 100)}/${total})`);

  function create(data) {
    plot = new window.uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 280,
        scales: { x: { time: false }, y: { range: () => [0, 100] } },
        cursor: { drag: { x: false, y: false } },
        axes: [
          { ...axis, label: t("bc.chart_x"), labelSize: 24, values: (u, splits) => splits.map((v) => v.toFixed(v < 10 && v % 1 ? 1 : 0)) },
          { ...axis, label: t("bc.chart_y"), labelSize: 24, incrs: [10, 20, 25, 50], values: (u, splits) => splits.map((v) => `${v}%`) },
        ],
        series: [
          { label: t("bc.chart_minutes"), value: (u, v) => (v == null ? "—" : v.toFixed(1)) },
          ...SERIES.map((s) => ({ label: t(`bc.reached.${s.key}`), stroke: s.colour, width: 2, paths: stepped, points: { show: false }, value: legendValue })),
        ],
      },
      data,
      el,
    );
  }

  const resize = new ResizeObserver(() => plot && plot.width !== Math.max(320, el.clientWidth) && plot.setSize({ width: Math.max(320, el.clientWidth), height: 280 }));
  resize.observe(el);

  return {
    update(createdAt, deliveries, n) {
      total = n || 0;
      const s = progressSeries(createdAt, deliveries);
      const data = [s.xs, ...SERIES.map(({ key }) => s[key].map((c) => pct(c, total)))];
      el.dataset.points = String(s.xs.length);
      // What the curves end at, as counts and as the percentages plotted (tests read these).
      el.dataset.last = JSON.stringify(Object.fromEntries(SERIES.map(({ key }) => [key, s[key].at(-1)])));
      el.dataset.lastPercent = JSON.stringify(Object.fromEntries(SERIES.map(({ key }) => [key, Math.round(pct(s[key].at(-1), total))])));
      if (plot) {
        plot.setData(data);
      } else {
        create(data);
      }
    },
    destroy() {
      resize.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
