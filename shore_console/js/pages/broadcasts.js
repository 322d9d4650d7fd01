/**
 * Broadcasts (#/broadcasts): the recent ones, newest first, each with its kind, priority, time and
 * how far it got (delivered / read / acknowledged of the total, and a bar). Live `broadcast_progress`
 * events move the bars; one for a broadcast this list does not hold yet (someone else just sent it)
 * reads the list again.
 */
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { apiErrorText, kindLabel, percentDone, progressBar, rollupText, signalLabel } from "../ui/broadcast_labels.js";
import { h, raw, setChildren } from "../ui/dom.js";

const REDRAW_MS = 300;

export function mount(el, ctx) {
  const { api, live, fleet, session, navigate } = ctx;
  const body = h("div", { class: "bc-list-body" });
  const canWrite = session?.role !== "viewer";
  setChildren(
    el,
    h(
      "section",
      { class: "page bc-list-page" },
      h(
        "div",
        { class: "page-head" },
        h("h1", null, t("bc.list_title")),
        canWrite ? h("a", { href: "#/broadcasts/new", class: "button primary bc-new" }, t("bc.new")) : null,
      ),
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      body,
    ),
  );

  let gone = false;
  let list = null; // [{...broadcast, rollup}]
  let timer = 0;
  const unlisted = new Set();

  function row(b) {
    const open = () => navigate(`/broadcasts/${b.id}`);
    return h(
      "tr",
      { class: `bc-row-item kind-${b.kind}`, "data-broadcast-id": String(b.id), tabindex: "0", onclick: open, onkeydown: (e) => e.key === "Enter" && open() },
      h("td", { class: "num" }, String(b.id)),
      h("td", null, h("span", { class: `bc-kind bc-kind-${b.kind}` }, kindLabel(b.kind)), b.signal ? h("span", { class: `bc-signal bc-signal-${b.signal}` }, signalLabel(b.signal)) : null),
      h("td", null, h("a", { href: `#/broadcasts/${b.id}`, class: "bc-title-link" }, raw(b.title, "bc-title")),
        b.recall_deadline ? h("a", { href: `#/broadcasts/${b.id}/recall`, class: "bc-recall-link", onclick: (e) => e.stopPropagation() }, t("bc.recall_board")) : null),
      h("td", { class: "num" }, String(b.priority)),
      h("td", { class: "time" }, formatTime(b.created_at)),
      h("td", null, raw(b.grids.map((g) => fleet.gridName(g)).join("、"))),
      h("td", { class: "bc-rollup-cell" }, h("div", { class: "bc-rollup-text" }, rollupText(b.rollup)), progressBar(b.rollup)),
      h("td", { class: "num bc-percent" }, `${percentDone(b.rollup)}%`),
    );
  }

  function render() {
    if (gone) return;
    if (list === null) {
      setChildren(body, h("p", { class: "muted" }, t("common.loading")));
      return;
    }
    if (!list.length) {
      setChildren(body, h("p", { class: "empty" }, t("bc.list_empty")));
      return;
    }
    const cols = ["bc.col.id", "bc.col.kind", "bc.col.title", "bc.col.priority", "bc.col.created", "bc.col.grids", "bc.col.progress", "bc.col.done"];
    setChildren(
      body,
      h(
        "table",
        { class: "bc-table" },
        h("thead", null, h("tr", null, cols.map((k) => h("th", { scope: "col" }, t(k))))),
        h("tbody", null, list.map(row)),
      ),
    );
  }

  async function load() {
    try {
      const r = await api.broadcasts();
      if (gone) return;
      list = r.broadcasts;
    } catch (err) {
      if (gone || err?.status === 401) return;
      setChildren(body, h("p", { class: "bc-message", role: "alert" }, apiErrorText(err)));
      return;
    }
    render();
  }

  const soon = () => {
    timer ||= setTimeout(() => {
      timer = 0;
      render();
    }, REDRAW_MS);
  };
  const offs = [
    live.on("broadcast_progress", (d) => {
      if (list === null) return;
      const b = list.find((x) => x.id === d.broadcast_id);
      if (!b) {
        // New to this list: read it again, once. (A broadcast that also covers grids outside
        // this coordinator's reports its progress here but is not listed: no reading in a loop.)
        if (!unlisted.has(d.broadcast_id)) {
          unlisted.add(d.broadcast_id);
          load();
        }
        return;
      }
      b.rollup = { ...b.rollup, total: d.total, done: d.done, states: d.states };
      soon();
    }),
    live.on("hello", load), // after a reconnection: progress made meanwhile
    fleet.on("reset", soon), // grid names
  ];
  render();
  load();
  return () => {
    gone = true;
    clearTimeout(timer);
    for (const off of offs) off();
  };
}
