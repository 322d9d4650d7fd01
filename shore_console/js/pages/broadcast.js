/**
 * One broadcast (#/broadcasts/ID): what was sent to whom, how far it got (per state, per grid, a
 * chart over time), the boats still missing with their contact state, a re-send to them, and every
 * vessel's delivery with its times. Read again on each live `broadcast_progress` event for it.
 */
import { ApiError } from "../core/api.js";
import { t } from "../core/i18n.js";
import { ago, formatTime } from "../core/time.js";
import { deliveryChart } from "../ui/broadcast_chart.js";
import {
  apiErrorText,
  deliveryLabel,
  kindLabel,
  percentDone,
  progressBar,
  reached,
  replyLabel,
  rollupText,
  signalLabel,
} from "../ui/broadcast_labels.js";
import { h, raw, setChildren } from "../ui/dom.js";
import { icon } from "../ui/icons.js";
import { linkLabel, linkStatusLabel, stateLabel } from "../ui/labels.js";

const RELOAD_MS = 300;
// Each reload reads every delivery: for a large broadcast, less often.
const reloadDelay = (total) => (total > 2000 ? 3000 : total > 500 ? 1000 : RELOAD_MS);
// A broadcast to the whole county reaches thousands of boats: the page would redraw them all on
// every live update. The missing list above names the ones that matter; this table shows a part.
const DELIVERY_ROWS = 1000;

/** The target as the coordinator chose it, in words (names of grids and groups are data). */
function targetText(target, fleet) {
  const parts = [];
  const names = (list) => raw(list.join("、"));
  if (target.all) parts.push([t("bc.target_all")]);
  if (target.grids?.length) parts.push([t("bc.target_text.grids"), names(target.grids.map((g) => fleet.gridName(g)))]);
  if (target.groups?.length) parts.push([t("bc.target_text.groups"), names(target.groups)]);
  if (target.vessels?.length) parts.push([t("bc.target_text.vessels", { n: target.vessels.length })]);
  if (target.polygon) parts.push([t("bc.target_text.polygon", { n: target.polygon.length - 1 })]);
  if (target.circle) parts.push([t("bc.target_text.circle", { r: target.circle.radius_nmi })]);
  if (target.at_sea) parts.push([t("bc.target_at_sea")]);
  return parts.length ? parts.flatMap((p, i) => (i ? [" · ", ...p] : p)) : "—";
}

export function mount(el, ctx, [bid]) {
  const { api, fleet, live, session } = ctx;
  const id = Number(bid);
  const canWrite = session?.role !== "viewer";
  const heading = h("h1", null, t("bc.detail_title", { id }));
  const summary = h("div", { class: "card bc-summary" });
  const progress = h("div", { class: "card bc-progress-card" });
  const chartEl = h("div", { class: "chart bc-chart", role: "img", "aria-label": t("bc.chart_label") });
  const missing = h("div", { class: "card bc-missing" });
  const deliveries = h("div", { class: "card bc-deliveries" });
  const message = h("p", { class: "bc-message", role: "status" });
  setChildren(
    el,
    h(
      "section",
      { class: "page bc-detail-page" },
      h("div", { class: "page-head" }, h("a", { href: "#/broadcasts", class: "back-link" }, icon("back"), t("bc.back_to_list")), heading),
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      message,
      h("div", { class: "bc-detail-grid" }, summary, progress),
      h("div", { class: "card" }, h("h2", null, t("bc.chart_title")), chartEl),
      missing,
      deliveries,
    ),
  );
  const chart = deliveryChart(chartEl);
  let gone = false;
  let timer = 0;
  let loading = false;
  let again = false;
  let total = 0;

  function renderSummary(b) {
    const row = (key, value, cls) => [h("dt", null, t(key)), h("dd", { class: cls }, value)];
    setChildren(
      summary,
      h("h2", null, raw(b.title, "bc-title")),
      h("p", { class: "bc-body" }, raw(b.body)),
      h(
        "dl",
        { class: "details" },
        row("bc.kind", [kindLabel(b.kind), b.signal ? h("span", { class: `bc-signal bc-signal-${b.signal}` }, signalLabel(b.signal)) : null]),
        row("bc.priority", String(b.priority)),
        row("bc.reply", replyLabel(b.reply)),
        row("bc.targets", targetText(b.target, fleet), "bc-target-text"),
        row("bc.col.grids", raw(b.grids.map((g) => fleet.gridName(g)).join("、"))),
        row("bc.col.created", [formatTime(b.created_at), " · ", raw(b.created_by)], "time"),
        row("bc.expires", formatTime(b.expires_at), "time"),
        b.recall_deadline ? row("bc.recall_deadline", formatTime(b.recall_deadline), "time") : null,
      ),
      b.recall_deadline ? h("a", { href: `#/broadcasts/${id}/recall`, class: "button bc-recall-link" }, t("bc.recall_board")) : null,
    );
  }

  function renderProgress(r) {
    const got = reached(r.states);
    const figure = (key, n, cls) => h("div", { class: `bc-figure ${cls || ""}`, "data-figure": key }, h("span", { class: "bc-figure-value" }, String(n)), h("span", { class: "bc-figure-label" }, t(`bc.reached.${key}`)));
    setChildren(
      progress,
      h("h2", null, t("bc.progress")),
      h("p", { class: "bc-percent-big", "data-percent": String(percentDone(r)) }, `${percentDone(r)}%`, h("span", { class: "muted" }, " ", t("bc.done_of", { done: r.done, total: r.total, what: replyLabel(r.reply) }))),
      progressBar(r),
      h("p", { class: "bc-rollup-text" }, rollupText(r)),
      h(
        "div",
        { class: "bc-figures" },
        figure("total", r.total),
        figure("delivered", got.delivered),
        figure("read", got.read),
        figure("acknowledged", got.acknowledged),
        figure("expired", got.expired, got.expired ? "bad" : ""),
        figure("failed", got.failed, got.failed ? "bad" : ""),
      ),
      r.grids.length > 1
        ? h("table", { class: "bc-grid-table" },
            h("thead", null, h("tr", null, ["bc.col.grid", "bc.col.done", "bc.col.total"].map((k) => h("th", { scope: "col" }, t(k))))),
            h("tbody", null, r.grids.map((g) => h("tr", { "data-grid": g.grid_id }, h("td", null, raw(fleet.gridName(g.grid_id))), h("td", { class: "num" }, String(g.done)), h("td", { class: "num" }, String(g.total))))))
        : null,
    );
  }

  // One button for the page's life: redrawn on a live update it could swallow a click.
  const resend = canWrite ? h("button", { type: "button", class: "bc-resend", disabled: true }) : null;
  let resending = false;
  resend?.addEventListener("click", async () => {
    resending = resend.disabled = true;
    message.textContent = "";
    try {
      const out = await api.resendBroadcast(id);
      message.textContent = t("bc.resent", { n: out.rearmed });
      reloadSoon();
    } catch (err) {
      if (err?.status !== 401) message.textContent = apiErrorText(err);
    } finally {
      resending = resend.disabled = false;
    }
  });

  const missingTitle = h("h2");
  const missingBody = h("div");
  setChildren(missing, h("div", { class: "bc-card-head" }, missingTitle, resend), missingBody);

  function renderMissing(r) {
    // The hub sends again only what is not yet delivered (nor expired): a delivered boat that has
    // not acknowledged has the message on board already.
    const undelivered = ["queued", "sent", "failed"].reduce((n, k) => n + (r.states[k] || 0), 0);
    const notDone = r.total - r.done; // the hub lists at most 500 of them
    if (resend) {
      resend.textContent = t("bc.resend", { n: undelivered });
      resend.disabled = resending || !undelivered;
    }
    const cols = ["bc.col.vessel", "bc.col.grid", "bc.col.state", "bc.col.attempts", "bc.col.sent", "bc.col.last_heard", "bc.col.link_status", "bc.col.contact"];
    missingTitle.textContent = t("bc.missing_title", { n: notDone });
    setChildren(
      missingBody,
      h("p", { class: "muted" }, t("bc.missing_hint", { what: replyLabel(r.reply) })),
      notDone > r.missing.length ? h("p", { class: "muted" }, t("bc.missing_capped", { shown: r.missing.length })) : null,
      r.missing.length
        ? h("table", { class: "bc-table bc-missing-table" },
            h("thead", null, h("tr", null, cols.map((k) => h("th", { scope: "col" }, t(k))))),
            h("tbody", null, r.missing.map((m) => {
              const v = fleet.get(m.vessel_id);
              return h("tr", { class: `bc-missing-row state-${m.state}`, "data-vessel-id": m.vessel_id },
                h("td", null, h("a", { href: `#/vessel/${encodeURIComponent(m.vessel_id)}`, class: "vessel-link" }, raw(m.hull_name || m.vessel_id, "hull")), h("span", { class: "muted" }, " ", raw(m.vessel_id))),
                h("td", null, raw(fleet.gridName(m.grid_id))),
                h("td", { class: `bc-state bc-state-${m.state}` }, deliveryLabel(m.state)),
                h("td", { class: "num" }, String(m.attempts)),
                h("td", { class: "time" }, formatTime(m.sent_at)),
                h("td", { class: "time" }, m.last_heard ? [formatTime(m.last_heard), h("span", { class: "muted" }, " ", ago(m.last_heard))] : "—"),
                h("td", null, linkStatusLabel(m.link_status)),
                h("td", { class: `state-text state-${v?.contact.state || "unknown"}` }, stateLabel(v?.contact.state)));
            })))
        : h("p", { class: "empty bc-missing-empty" }, t("bc.missing_none")),
    );
  }

  function renderDeliveries(list) {
    const cols = ["bc.col.vessel", "bc.col.grid", "bc.col.state", "bc.col.link", "bc.col.attempts", "bc.col.queued", "bc.col.sent", "bc.col.delivered", "bc.col.read", "bc.col.acked"];
    setChildren(
      deliveries,
      h("h2", null, t("bc.deliveries_title", { n: list.length })),
      list.length > DELIVERY_ROWS ? h("p", { class: "muted" }, t("bc.deliveries_capped", { shown: DELIVERY_ROWS, n: list.length })) : null,
      h("div", { class: "table-wrap" }, h("table", { class: "bc-table bc-delivery-table" },
        h("thead", null, h("tr", null, cols.map((k) => h("th", { scope: "col" }, t(k))))),
        h("tbody", null, list.slice(0, DELIVERY_ROWS).map((d) => h("tr", { class: "bc-delivery-row", "data-vessel-id": d.vessel_id, "data-state": d.state },
          h("td", null, h("a", { href: `#/vessel/${encodeURIComponent(d.vessel_id)}`, class: "vessel-link" }, raw(fleet.get(d.vessel_id)?.hull_name || d.vessel_id, "hull")), h("span", { class: "muted" }, " ", raw(d.vessel_id))),
          h("td", null, raw(fleet.gridName(d.grid_id))),
          h("td", { class: `bc-state bc-state-${d.state}` }, deliveryLabel(d.state)),
          h("td", null, d.link ? linkLabel(d.link) : "—"),
          h("td", { class: "num" }, String(d.attempts)),
          ...[d.queued_at, d.sent_at, d.delivered_at, d.read_at, d.acked_at].map((x) => h("td", { class: "time" }, formatTime(x, { short: true }))),
        ))))),
    );
  }

  async function load() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      do {
        again = false;
        const doc = await api.broadcast(id, true);
        if (gone) return;
        renderSummary(doc.broadcast);
        renderProgress(doc.rollup);
        renderMissing(doc.rollup);
        renderDeliveries(doc.deliveries || []);
        chart.update(doc.broadcast.created_at, doc.deliveries || [], doc.rollup.total);
        total = doc.rollup.total;
      } while (again && !gone);
    } catch (err) {
      if (gone || err?.status === 401) return;
      if (err instanceof ApiError && err.status === 404) {
        setChildren(el, h("section", { class: "page" }, h("p", { class: "empty" }, t("bc.not_found", { id }))));
        return;
      }
      message.textContent = apiErrorText(err);
    } finally {
      loading = false;
    }
  }

  function reloadSoon() {
    timer ||= setTimeout(() => {
      timer = 0;
      if (!gone) load();
    }, reloadDelay(total));
  }

  setChildren(summary, h("p", { class: "muted" }, t("common.loading")));
  const offs = [
    live.on("broadcast_progress", (d) => d.broadcast_id === id && reloadSoon()),
    live.on("hello", reloadSoon),
    fleet.on("contact", (v) => missing.querySelector(`[data-vessel-id="${CSS.escape(v.id)}"]`) && reloadSoon()),
  ];
  load();
  return () => {
    gone = true;
    clearTimeout(timer);
    for (const off of offs) off();
    chart.destroy();
  };
}
