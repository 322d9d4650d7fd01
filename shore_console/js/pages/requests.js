/**
 * Requests inbox (#/requests): fishermen's requests of the coordinator's grids by state, the most
 * recent first, past-due ones marked; one request opened below the list with its log and the
 * reply / assign / resolve actions. Live `request` events re-read the list (a new request is
 * marked as new until the coordinator opens it) and the open request.
 */
import { t } from "../core/i18n.js";
import { statusLine } from "../ui/admin_form.js";
import { afterPress, h, restoreTyped, setChildren, typedIn } from "../ui/dom.js";
import { requestDetail } from "../ui/request_detail.js";
import { requestTable } from "../ui/request_table.js";

const VIEWS = ["open", "answered", "resolved", "all"];
const RELOAD_MS = 300;
// Past-due marks follow the clock even when nothing new arrives.
const REDRAW_MS = 30_000;
// A reply on its way to the boat: its delivery state is re-read until the boat has read it (the
// live stream announces requests, not each acknowledgement of a reply).
const DELIVERY_POLL_MS = 3000;
const DELIVERY_FINAL = new Set(["read", "acknowledged", "expired", "failed"]);

function replyPending(r) {
  return (r?.log || []).some((e) => e.kind === "replied" && !DELIVERY_FINAL.has(e.delivery));
}

export function mount(el, ctx) {
  const { api, fleet, live, session, memory } = ctx;
  let view = memory.requestsView || "open";
  let list = null;
  let selected = null;
  let detail = null;
  const fresh = new Set(); // arrived live, not opened yet
  const tabs = h("div", { class: "tabs", role: "tablist" });
  const body = h("div", { class: "requests-body" });
  const detailHost = h("div", { class: "request-detail-host" });
  const status = statusLine();
  setChildren(
    el,
    h(
      "section",
      { class: "page requests-page" },
      h("div", { class: "page-head" }, h("h1", null, t("request.title")), tabs),
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      body,
      status.el,
      detailHost,
    ),
  );

  let gone = false;
  let timer = 0;
  let changed = false; // an action of ours: the panel is drawn afresh (the typed text was sent)
  const reread = new Set(); // requests the live events said changed

  function renderTabs() {
    setChildren(
      tabs,
      VIEWS.map((name) =>
        h(
          "button",
          {
            type: "button",
            role: "tab",
            class: "tab",
            "data-view": name,
            "aria-selected": String(view === name),
            onclick: () => {
              view = memory.requestsView = name;
              list = null;
              render();
              load();
            },
          },
          t(`request.tab.${name}`),
        ),
      ),
    );
  }

  function render() {
    renderTabs();
    if (list === null) setChildren(body, h("p", { class: "muted" }, t("common.loading")));
    else setChildren(body, requestTable(list, fleet, { selected, fresh, onPick: pick }));
  }

  function renderDetail() {
    if (!detail) return detailHost.replaceChildren();
    // Keep what the coordinator was typing when the panel is redrawn with news.
    const shown = detailHost.firstChild?.dataset.requestId;
    const typed = typedIn(detailHost);
    const panel = requestDetail(detail, { api, session, status, onChanged: () => ((changed = true), load()) });
    const keep = shown === String(detail.id) && !changed;
    changed = false;
    setChildren(detailHost, panel);
    if (keep) restoreTyped(panel, typed);
  }

  function pick(id) {
    selected = id;
    fresh.delete(id);
    status.clear();
    render();
    loadDetail();
  }

  async function loadDetail() {
    if (selected == null) {
      detail = null;
      return;
    }
    try {
      const r = await api.fisherRequest(selected);
      if (!gone && r.id === selected) detail = r;
    } catch (err) {
      if (err?.status === 404) detail = null;
      else ctx.reportError(err);
    }
    if (!gone) renderDetail();
  }

  async function load() {
    try {
      const r = await api.fisherRequests(view === "all" ? null : view);
      if (gone) return;
      list = r.requests;
    } catch (err) {
      ctx.reportError(err);
      list ??= [];
    }
    if (gone) return;
    render();
    if (selected != null && (changed || reread.has(selected))) loadDetail();
    reread.clear();
  }

  const soon = () => {
    timer ||= setTimeout(() => {
      timer = 0;
      afterPress(load, load); // a click under way keeps its row
    }, RELOAD_MS);
  };
  const offs = [
    live.on("request", (ev) => {
      if (ev.action === "received" && ev.request_pk != null) fresh.add(ev.request_pk);
      reread.add(ev.request_pk);
      soon();
    }),
    live.on("resync", soon),
    fleet.on("reset", () => list && render()), // grid names
  ];
  const clock = setInterval(() => list && render(), REDRAW_MS);
  const poll = setInterval(() => replyPending(detail) && loadDetail(), DELIVERY_POLL_MS);
  load();
  return () => {
    gone = true;
    clearTimeout(timer);
    clearInterval(clock);
    clearInterval(poll);
    for (const off of offs) off();
  };
}
