/**
 * The typhoon recall board (#/broadcasts/ID/recall): per grid, how many boats are in port, on their
 * way back, sheltering elsewhere, or still unaccounted (no answer and not seen in port), how many
 * of those the watch no longer hears, and the persons ashore; a countdown to the deadline; every
 * boat, the unaccounted first. Read again on live `recall` and `broadcast_progress` events for this
 * broadcast (answers arrive as acknowledgements) and when one of its boats moves (into port).
 */
import { ApiError } from "../core/api.js";
import { t } from "../core/i18n.js";
import { ago, formatTime } from "../core/time.js";
import { apiErrorText, signalLabel } from "../ui/broadcast_labels.js";
import { h, raw, setChildren } from "../ui/dom.js";
import { icon } from "../ui/icons.js";
import { stateLabel } from "../ui/labels.js";

const STATUSES = ["in_port", "returning", "sheltering", "unaccounted"];
const SILENT = new Set(["lost", "overdue"]);
const RELOAD_MS = 500;
const MOVE_RELOAD_MS = 2000;

/** "01:23:45" (or "2 天 03:00:00") until the deadline; negative once passed. */
export function countdown(deadlineIso, now = Date.now()) {
  const left = Math.round((Date.parse(deadlineIso) - now) / 1000);
  const s = Math.abs(left);
  const pad = (n) => String(n).padStart(2, "0");
  const hms = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  const text = s >= 86400 ? t("recall.days", { d: Math.floor(s / 86400), hms }) : hms;
  return { left, text };
}

export function mount(el, ctx, [bid]) {
  const { api, fleet, live } = ctx;
  const id = Number(bid);
  const heading = h("h1", null, t("recall.title", { id }));
  const clock = h("div", { class: "card recall-clock", role: "timer", "aria-live": "off" });
  const totals = h("div", { class: "recall-totals" });
  const grids = h("div", { class: "card recall-grids" });
  const boats = h("div", { class: "card recall-boats" });
  const message = h("p", { class: "bc-message", role: "status" });
  setChildren(
    el,
    h(
      "section",
      { class: "page recall-page" },
      h("div", { class: "page-head" }, h("a", { href: `#/broadcasts/${id}`, class: "back-link" }, icon("back"), t("recall.back")), heading),
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      message,
      h("div", { class: "recall-top" }, clock, totals),
      grids,
      boats,
    ),
  );

  let gone = false;
  let broadcast = null;
  let board = null;
  let timer = 0;
  let moveTimer = 0;
  let loading = false;
  let again = false;

  const silentIn = (list) => list.filter((v) => v.status !== "in_port" && SILENT.has(fleet.get(v.vessel_id)?.contact.state)).length;

  function renderClock() {
    const deadline = broadcast?.recall_deadline;
    if (!deadline) {
      setChildren(clock, h("p", { class: "muted" }, t("common.loading")));
      return;
    }
    const { left, text } = countdown(deadline);
    clock.classList.toggle("passed", left <= 0);
    clock.classList.toggle("urgent", left > 0 && left < 3600);
    setChildren(
      clock,
      h("div", { class: "recall-clock-label" }, t(left > 0 ? "recall.left" : "recall.passed")),
      h("div", { class: "recall-clock-value", "data-left-s": String(left) }, text),
      h("div", { class: "muted" }, t("recall.deadline_at", { at: formatTime(deadline) })),
      board && !board.deadline ? h("div", { class: "recall-closed" }, t("recall.closed")) : null,
    );
  }

  function renderBoard() {
    const total = board.total;
    const tile = (key, n, cls = "") => h("div", { class: `recall-tile ${cls}`, "data-status": key }, h("span", { class: "recall-tile-value" }, String(n)), h("span", { class: "recall-tile-label" }, t(`recall.status.${key}`)));
    setChildren(
      totals,
      tile("total", total.total),
      STATUSES.map((s) => tile(s, total[s], s === "unaccounted" && total[s] ? "bad" : "")),
      tile("silent", silentIn(board.vessels), silentIn(board.vessels) ? "bad" : ""),
      tile("persons_ashore", total.persons_ashore),
    );
    const cols = ["recall.col.grid", "recall.status.total", ...STATUSES.map((s) => `recall.status.${s}`), "recall.status.silent", "recall.status.persons_ashore", "recall.col.accounted"];
    setChildren(
      grids,
      h("h2", null, t("recall.by_grid")),
      board.grids.length
        ? h("table", { class: "bc-table recall-grid-table" },
            h("thead", null, h("tr", null, cols.map((k) => h("th", { scope: "col" }, t(k))))),
            h("tbody", null, board.grids.map((g) => {
              const accounted = g.total ? Math.round((100 * (g.total - g.unaccounted)) / g.total) : 100;
              return h("tr", { class: "recall-grid-row", "data-grid": g.grid_id },
                h("th", { scope: "row" }, raw(fleet.gridName(g.grid_id)), ` (${g.grid_id})`),
                h("td", { class: "num", "data-status": "total" }, String(g.total)),
                STATUSES.map((s) => h("td", { class: `num ${s === "unaccounted" && g[s] ? "cell-lost" : ""}`, "data-status": s }, String(g[s]))),
                h("td", { class: "num", "data-status": "silent" }, String(silentIn(board.vessels.filter((v) => v.grid_id === g.grid_id)))),
                h("td", { class: "num", "data-status": "persons_ashore" }, String(g.persons_ashore)),
                h("td", null, h("div", { class: "bc-progress recall-bar" }, h("span", { class: "bc-bar bc-bar-acknowledged", style: { width: `${accounted}%` } })), `${accounted}%`));
            })))
        : h("p", { class: "empty" }, t("recall.none")),
    );
    const order = (v) => STATUSES.indexOf(v.status);
    const list = [...board.vessels].sort((a, b) => order(b) - order(a) || a.grid_id.localeCompare(b.grid_id) || a.vessel_id.localeCompare(b.vessel_id));
    const vcols = ["bc.col.vessel", "recall.col.grid", "recall.col.status", "recall.col.port", "recall.col.aboard", "recall.status.persons_ashore", "bc.col.contact", "bc.col.last_heard"];
    setChildren(
      boats,
      h("h2", null, t("recall.boats", { n: list.length })),
      h("div", { class: "table-wrap" }, h("table", { class: "bc-table recall-boat-table" },
        h("thead", null, h("tr", null, vcols.map((k) => h("th", { scope: "col" }, t(k))))),
        h("tbody", null, list.map((v) => {
          const contact = fleet.get(v.vessel_id)?.contact.state;
          return h("tr", { class: `recall-boat-row status-${v.status}`, "data-vessel-id": v.vessel_id, "data-status": v.status },
            h("td", null, h("a", { href: `#/vessel/${encodeURIComponent(v.vessel_id)}`, class: "vessel-link" }, raw(v.hull_name || v.vessel_id, "hull")), h("span", { class: "muted" }, " ", raw(v.vessel_id))),
            h("td", null, raw(fleet.gridName(v.grid_id))),
            h("td", { class: `recall-status recall-status-${v.status}` }, t(`recall.status.${v.status}`)),
            h("td", null, v.port ? raw(v.port) : "—"),
            h("td", { class: "num" }, v.persons_aboard == null ? "—" : String(v.persons_aboard)),
            h("td", { class: "num" }, v.persons_ashore == null ? "—" : String(v.persons_ashore)),
            h("td", { class: `state-text state-${contact || "unknown"}` }, stateLabel(contact)),
            h("td", { class: "time" }, v.last_heard ? [formatTime(v.last_heard), h("span", { class: "muted" }, " ", ago(v.last_heard))] : "—"));
        })))),
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
        const [b, r] = await Promise.all([broadcast ? null : api.broadcast(id), api.recallBoard(id)]);
        if (gone) return;
        if (b) {
          broadcast = b.broadcast;
          setChildren(heading, t("recall.title", { id }), " ", raw(broadcast.title, "bc-title"), broadcast.signal ? h("span", { class: `bc-signal bc-signal-${broadcast.signal}` }, signalLabel(broadcast.signal)) : null);
        }
        board = r;
        renderBoard();
        renderClock();
      } while (again && !gone);
    } catch (err) {
      if (gone || err?.status === 401) return;
      if (err instanceof ApiError && err.status === 404) {
        setChildren(el, h("section", { class: "page" }, h("p", { class: "empty" }, t("recall.not_found", { id }))));
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
    }, RELOAD_MS);
  }

  const onBoard = (vid) => board?.vessels.some((v) => v.vessel_id === vid);
  const offs = [
    live.on("recall", (d) => d.broadcast_id === id && reloadSoon()),
    live.on("broadcast_progress", (d) => d.broadcast_id === id && reloadSoon()),
    live.on("hello", reloadSoon),
    // A boat that reaches port counts as in port from its fix; a boat that goes silent shows it.
    fleet.on("positions", (moved) => {
      if (moveTimer || !moved.some((v) => onBoard(v.id))) return;
      moveTimer = setTimeout(() => {
        moveTimer = 0;
        if (!gone) load();
      }, MOVE_RELOAD_MS);
    }),
    fleet.on("contact", (v) => onBoard(v.id) && board && renderBoard()),
  ];
  const tick = setInterval(renderClock, 1000);
  setChildren(grids, h("p", { class: "muted" }, t("common.loading")));
  load();
  return () => {
    gone = true;
    clearTimeout(timer);
    clearTimeout(moveTimer);
    clearInterval(tick);
    for (const off of offs) off();
  };
}
