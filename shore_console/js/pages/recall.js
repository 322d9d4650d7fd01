/**
 * The typhoon recall board (#/broadcasts/ID/recall): per grid (the server gives a coordinator his
 * own grids only), how many boats are in port, returning on time or late, sheltering elsewhere,
 * in distress, in lost contact or unaccounted, each judged from its track (an answer the track
 * contradicts is flagged 与轨迹不符, a boat leaving port 离港); how many are done (in a harbour,
 * crew ashore) and when 100% was reached; a countdown to the deadline; every boat with its last
 * position and age, link, contact state, distance and ETA to its harbour, persons aboard and
 * ashore; CSV and XLSX of the board as it stood at a chosen time. Read again on live `recall` and
 * `broadcast_progress` events for this broadcast and when one of its boats moves.
 */
import { ApiError } from "../core/api.js";
import { getLang, t } from "../core/i18n.js";
import { ago, formatTime } from "../core/time.js";
import { fromBeijingInput, toBeijingInput } from "../ui/admin_form.js";
import { apiErrorText, signalLabel } from "../ui/broadcast_labels.js";
import { h, raw, setChildren } from "../ui/dom.js";
import { icon } from "../ui/icons.js";
import { stateLabel } from "../ui/labels.js";

const LINES = ["in_port", "returning_on_time", "returning_late", "sheltering", "distress", "lost_contact", "unaccounted"];
const BAD = new Set(["returning_late", "distress", "lost_contact", "unaccounted"]);
const FLAGS = ["contradicted", "left_port"];
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

/** The board at `at` (ISO, or now) as a file, fetched with the session's token. */
async function download(id, fmt, at, token) {
  const query = new URLSearchParams({ format: fmt, lang: getLang() });
  if (at) query.set("at", at);
  const res = await fetch(`/api/v1/broadcasts/${encodeURIComponent(id)}/recall?${query}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw Object.assign(new Error(res.statusText), { status: res.status });
  const name = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "")?.[1] || `recall-${id}.${fmt}`;
  const url = URL.createObjectURL(await res.blob());
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
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

  // The export: the board as it stood at a chosen time (Beijing time), as CSV or XLSX.
  const asOf = h("input", { type: "datetime-local", name: "recall_at", step: "60" });
  const exportButton = (fmt) => {
    const button = h("button", { type: "button", class: `button recall-export recall-export-${fmt}`, "data-format": fmt }, t(`recall.export_${fmt}`));
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await download(id, fmt, fromBeijingInput(asOf.value), ctx.session.token);
        message.textContent = "";
      } catch (err) {
        message.textContent = apiErrorText(err);
      } finally {
        button.disabled = false;
      }
    });
    return button;
  };
  const exporter = h("div", { class: "card recall-export-card" },
    h("h2", null, t("recall.export")),
    h("label", { class: "bc-field" }, h("span", { class: "bc-field-label" }, t("recall.export_at")), asOf),
    h("p", { class: "muted" }, t("recall.export_hint")),
    exportButton("csv"), " ", exportButton("xlsx"));
  boats.after(exporter);

  function renderClock() {
    const deadline = board?.deadline || broadcast?.recall_deadline;
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
      board?.closed_at ? h("div", { class: "recall-closed" }, t("recall.closed")) : null,
    );
  }

  // A coordinator's phone check of a boat's persons ashore: audited by the hub.
  function ashoreButton(v) {
    const button = h("button", { type: "button", class: "button-link recall-ashore-enter", "data-vessel-id": v.vessel_id }, t("recall.ashore_enter"));
    button.addEventListener("click", async () => {
      const answer = window.prompt(t("recall.ashore_enter"), String(v.persons_ashore ?? v.persons_aboard ?? ""));
      if (answer == null || answer.trim() === "") return;
      try {
        await api.ashore(id, v.vessel_id, Number(answer), "");
        message.textContent = t("recall.ashore_saved", { vessel: v.hull_name || v.vessel_id, n: Number(answer) });
        load();
      } catch (err) {
        message.textContent = apiErrorText(err);
      }
    });
    return button;
  }

  function renderBoard() {
    const total = board.total;
    const tile = (key, n, cls = "") => h("div", { class: `recall-tile ${cls}`, "data-status": key }, h("span", { class: "recall-tile-value" }, String(n)), h("span", { class: "recall-tile-label" }, t(`recall.status.${key}`)));
    const pct = (g) => (g.total ? Math.floor((100 * g.done) / g.total) : 100);
    setChildren(
      totals,
      tile("total", total.total),
      LINES.map((s) => tile(s, total[s] || 0, BAD.has(s) && total[s] ? "bad" : "")),
      FLAGS.map((f) => tile(f, total[f] || 0, total[f] ? "bad" : "")),
      tile("done", `${total.done}/${total.total}`),
      tile("persons_ashore", `${total.persons_ashore}/${total.persons_aboard}`),
      board.complete_at ? h("div", { class: "recall-complete", "data-complete-at": board.complete_at }, t("recall.complete_at", { at: formatTime(board.complete_at) })) : null,
    );
    if (!asOf.value) asOf.value = toBeijingInput(board.at);
    const cols = ["recall.col.grid", "recall.status.total", ...LINES.map((s) => `recall.status.${s}`), ...FLAGS.map((f) => `recall.status.${f}`), "recall.status.persons_ashore", "recall.col.accounted"];
    setChildren(
      grids,
      h("h2", null, t("recall.by_grid")),
      board.grids.length
        ? h("table", { class: "bc-table recall-grid-table" },
            h("thead", null, h("tr", null, cols.map((k) => h("th", { scope: "col" }, t(k))))),
            h("tbody", null, board.grids.map((g) => h("tr", { class: "recall-grid-row", "data-grid": g.grid_id },
              h("th", { scope: "row" }, raw(fleet.gridName(g.grid_id)), ` (${g.grid_id})`),
              h("td", { class: "num", "data-status": "total" }, String(g.total)),
              [...LINES, ...FLAGS].map((s) => h("td", { class: `num ${(BAD.has(s) || FLAGS.includes(s)) && g[s] ? "cell-lost" : ""}`, "data-status": s }, String(g[s] || 0))),
              h("td", { class: "num", "data-status": "persons_ashore" }, `${g.persons_ashore}/${g.persons_aboard}`),
              h("td", { "data-status": "done" }, h("div", { class: "bc-progress recall-bar" }, h("span", { class: "bc-bar bc-bar-acknowledged", style: { width: `${pct(g)}%` } })), `${pct(g)}%`)))))
        : h("p", { class: "empty" }, t("recall.none")),
    );
    // The boats that need the desk first: flagged, then by line from the worst.
    const rank = (v) => (v.flags.length ? 100 : 0) + LINES.indexOf(v.line);
    const list = [...board.vessels].sort((a, b) => rank(b) - rank(a) || a.grid_id.localeCompare(b.grid_id) || a.vessel_id.localeCompare(b.vessel_id));
    const vcols = ["bc.col.vessel", "recall.col.grid", "recall.col.status", "recall.col.source", "recall.col.port", "recall.col.distance", "recall.col.eta", "recall.col.position", "recall.col.link", "bc.col.contact", "recall.col.aboard", "recall.status.persons_ashore"];
    setChildren(
      boats,
      h("h2", null, t("recall.boats", { n: list.length })),
      h("div", { class: "table-wrap" }, h("table", { class: "bc-table recall-boat-table" },
        h("thead", null, h("tr", null, vcols.map((k) => h("th", { scope: "col" }, t(k))))),
        h("tbody", null, list.map((v) => {
          const contact = fleet.get(v.vessel_id)?.contact.state || v.contact_state;
          return h("tr", { class: `recall-boat-row status-${v.line}`, "data-vessel-id": v.vessel_id, "data-status": v.line, "data-flags": v.flags.join(" ") },
            h("td", null, h("a", { href: `#/vessel/${encodeURIComponent(v.vessel_id)}`, class: "vessel-link" }, raw(v.hull_name || v.vessel_id, "hull")), h("span", { class: "muted" }, " ", raw(v.vessel_id))),
            h("td", null, raw(fleet.gridName(v.grid_id))),
            h("td", { class: `recall-status recall-status-${v.line}` }, t(`recall.status.${v.line}`),
              v.flags.map((f) => h("span", { class: `recall-flag recall-flag-${f}`, "data-flag": f }, t(`recall.status.${f}`)))),
            h("td", { class: "recall-source", "data-source": v.source }, t(`recall.source.${v.source}`), v.answer ? h("span", { class: "muted" }, " · ", t(`recall.answer.${v.answer}`)) : null),
            h("td", null, v.port ? raw(v.port) : "—"),
            h("td", { class: "num" }, v.distance_nm == null ? "—" : v.distance_nm.toFixed(1)),
            h("td", { class: "time" }, v.eta ? formatTime(v.eta) : "—"),
            h("td", { class: "time" }, v.fix_ts ? [`${v.lat.toFixed(4)}, ${v.lon.toFixed(4)}`, h("span", { class: "muted" }, " ", ago(v.fix_ts))] : "—"),
            h("td", null, v.link ? raw(v.link) : "—"),
            h("td", { class: `state-text state-${contact || "unknown"}` }, stateLabel(contact)),
            h("td", { class: "num" }, v.persons_aboard == null ? "—" : String(v.persons_aboard)),
            h("td", { class: "num recall-ashore", "data-source": v.ashore_source || "" }, v.persons_ashore == null ? "—" : String(v.persons_ashore),
              ctx.session.role !== "viewer" ? [" ", ashoreButton(v)] : null));
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
        // The board carries the order's heading: a coordinator of some of its grids may read the
        // board of his grids but not the whole broadcast.
        const r = await api.recallBoard(id);
        if (gone) return;
        if (!broadcast) {
          broadcast = { title: r.title, signal: r.signal, recall_deadline: r.deadline };
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
