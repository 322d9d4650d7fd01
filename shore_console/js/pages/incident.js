/** One distress incident (#/incident/ID): the alert, acknowledge/resolve, the log, the nearest boats,
 * tasking them and the SITREP. The log is read again on live `incident_log` and `alert` events. */
import { ApiError } from "../core/api.js";
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { h, raw, setChildren } from "../ui/dom.js";
import { icon } from "../ui/icons.js";

const OUTCOMES = ["rescued", "false_alarm", "contact_restored", "other"];
const STATE_KEYS = {
  raised: "incident.state.raised",
  acknowledged: "incident.state.acknowledged",
  resolved: "incident.state.resolved",
};
const OUTCOME_KEYS = {
  rescued: "incident.outcome.rescued",
  false_alarm: "incident.outcome.false_alarm",
  contact_restored: "incident.outcome.contact_restored",
  other: "incident.outcome.other",
};

export function mount(el, ctx, [iid]) {
  const { api, fleet, live } = ctx;
  const summary = h("div", { class: "card incident-summary" });
  const log = h("div", { class: "card incident-log" });
  const boats = h("div", { class: "card incident-nearest" });
  const sitrep = h("div", { class: "card incident-sitrep" });
  const message = h("p", { class: "incident-message", role: "status" });
  setChildren(
    el,
    h(
      "section",
      { class: "page incident-page" },
      h(
        "div",
        { class: "page-head" },
        h("a", { href: "#/alerts", class: "back-link" }, icon("back"), t("incident.back")),
        h("h1", null, t("incident.title", { id: iid })),
      ),
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      message,
      h("div", { class: "incident-grid" }, summary, log),
      boats,
      sitrep,
    ),
  );

  let gone = false;
  let alert = null;
  let timer = 0;
  const picked = new Set();

  function fail(err) {
    if (err?.status === 401) return;
    message.textContent = t("incident.failed", { msg: err?.message || String(err) });
  }

  async function act(button, fn) {
    button.disabled = true;
    message.textContent = "";
    try {
      await fn();
    } catch (err) {
      fail(err);
    } finally {
      button.disabled = false;
    }
  }

  function renderSummary() {
    const a = alert;
    const v = fleet.get(a.vessel_id);
    const outcome = h("select", { name: "outcome", "aria-label": t("incident.resolve") },
      OUTCOMES.map((o) => h("option", { value: o }, t(OUTCOME_KEYS[o]))));
    const ackBtn = h("button", { type: "button", class: "incident-ack", disabled: a.state !== "raised" }, t("incident.ack"));
    const resolveBtn = h("button", { type: "button", class: "incident-resolve", disabled: a.state === "resolved" }, t("incident.resolve"));
    ackBtn.addEventListener("click", () => act(ackBtn, async () => {
      alert = await api.ack(a.id, "");
      renderSummary();
      await loadIncident();
    }));
    resolveBtn.addEventListener("click", () => act(resolveBtn, async () => {
      alert = await api.resolve(a.id, outcome.value);
      renderSummary();
      await loadIncident();
    }));
    const row = (key, value, cls) => [h("dt", null, t(key)), h("dd", { class: cls }, value)];
    setChildren(
      summary,
      h("h2", null, t("incident.summary")),
      h(
        "dl",
        { class: "details" },
        row("incident.vessel", [raw(v?.hull_name || a.vessel_id, "hull"), h("span", { class: "muted" }, " ", raw(a.vessel_id))]),
        row("incident.nature", raw(a.detail || "")),
        row("incident.raised", formatTime(a.raised_at), "time"),
        row("incident.state", STATE_KEYS[a.state] ? t(STATE_KEYS[a.state]) : raw(a.state), "incident-state"),
        row("incident.level", String(a.escalation_level ?? 0), "incident-level"),
      ),
      h("div", { class: "incident-actions" }, ackBtn, outcome, resolveBtn),
    );
  }

  /** "vessel:V1" is the boat itself; people are shown by their user name. */
  function actorName(actor) {
    return actor?.startsWith("vessel:") ? t("incident.actor.vessel", { id: actor.slice(7) }) : actor === "system" ? t("incident.actor.system") : actor;
  }

  function renderLog(entries) {
    setChildren(
      log,
      h("h2", null, t("incident.log")),
      entries.length
        ? h("ol", { class: "log-list" }, entries.map((e) =>
            h("li", { class: `log-entry log-${e.kind}`, "data-kind": e.kind },
              h("span", { class: "time" }, formatTime(e.ts)), " ",
              h("span", { class: "log-kind" }, t(`incident.kind.${e.kind}`)), " · ",
              raw(actorName(e.actor), "log-actor"), " — ", raw(e.text, "log-text"))))
        : h("p", { class: "muted" }, t("incident.log_empty")),
    );
  }

  /** The nearest boats in two tables: the ready ones by ETA (what "task nearest two" picks from),
   * and apart those with a stale fix or no link now, with the reason. The rule is stated above
   * them with the server's own numbers (docs/operations.md, section 9). */
  function renderBoats(doc) {
    const list = doc.vessels || [];
    const rule = doc.rule;
    const topBtn = h("button", { type: "button", class: "task-top2" }, t("incident.task_top2"));
    const selBtn = h("button", { type: "button", class: "task-selected" }, t("incident.task_selected"));
    topBtn.addEventListener("click", () => act(topBtn, async () => {
      await api.task(iid, { top: 2 });
      await loadIncident();
    }));
    selBtn.addEventListener("click", () => act(selBtn, async () => {
      if (!picked.size) return;
      await api.task(iid, { vessels: [...picked] });
      picked.clear();
      await loadIncident();
      await loadBoats();
    }));
    const name = (b) => [
      raw(b.name || b.id, "hull"),
      h("span", { class: "muted" }, " ", raw(b.id)),
      b.other_grid ? h("span", { class: "other-grid" }, " · ", t("incident.other_grid", { grid: b.grid_id })) : null,
    ];
    const status = (b) => [
      b.same_group ? t("incident.same_group") : null,
      b.link ? t(`incident.link.${b.link}`) : null,
    ].filter(Boolean).join(" · ");
    const why = (b) => (b.apart || []).map((r) => t(`incident.apart.${r}`)).join(" · ");
    const table = (rows, last, lastCell) => h("table", { class: "nearest-table" },
      h("thead", null, h("tr", null,
        ["incident.col.pick", "incident.col.name", "incident.col.distance", "incident.col.eta", "incident.col.fix_age", last]
          .map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", null, rows.map((b) => {
        const box = h("input", { type: "checkbox", value: b.id, checked: picked.has(b.id), "aria-label": b.id });
        box.addEventListener("change", () => (box.checked ? picked.add(b.id) : picked.delete(b.id)));
        return h("tr", { class: "nearest-row", "data-vessel-id": b.id, "data-ready": b.ready ? "1" : "0" },
          h("td", null, box),
          h("td", null, name(b)),
          h("td", { class: "distance" }, Number(b.distance_nm).toFixed(1)),
          h("td", { class: "eta" }, Number(b.eta_min).toFixed(0)),
          h("td", { class: "fix-age" }, t("incident.fix_age", { min: Math.round(Number(b.fix_age_min)) })),
          h("td", { class: "nearest-status" }, lastCell(b)));
      })));
    const ready = list.filter((b) => b.ready);
    const apart = list.filter((b) => !b.ready);
    setChildren(
      boats,
      h("h2", null, t("incident.nearest")),
      rule
        ? h("p", { class: "muted nearest-rule" }, t("incident.rule", {
            kn: rule.transit_kn, stale: Math.round(rule.stale_after_min), tie: rule.tie_min,
          }))
        : null,
      ready.length
        ? h("div", { class: "table-wrap nearest-ready" }, table(ready, "incident.col.status", status))
        : h("p", { class: "muted nearest-none-ready" }, t(list.length ? "incident.none_ready" : "incident.nearest_empty")),
      apart.length
        ? h("div", { class: "nearest-apart" },
            h("h3", null, t("incident.apart_title")),
            h("div", { class: "table-wrap" }, table(apart, "incident.col.apart", why)))
        : null,
      h("div", { class: "incident-actions" }, topBtn, selBtn),
    );
  }

  function renderNoBoats(err) {
    const noPosition = err instanceof ApiError && err.code === "no_position";
    setChildren(
      boats,
      h("h2", null, t("incident.nearest")),
      h("p", { class: "muted nearest-problem" },
        noPosition ? t("incident.no_position") : t("incident.failed", { msg: err?.message || String(err) })),
    );
  }

  function renderSitrep(text) {
    const btn = h("button", { type: "button", class: "sitrep-button" }, t("incident.sitrep"));
    btn.addEventListener("click", () => act(btn, async () => {
      const r = await api.sitrep(iid);
      renderSitrep(r.text);
      await loadIncident();
    }));
    setChildren(sitrep, h("div", { class: "incident-actions" }, btn), text ? h("pre", { class: "sitrep-text", "data-raw": true }, text) : null);
  }

  async function loadIncident() {
    const doc = await api.incident(iid);
    if (gone) return;
    alert = doc.alert;
    renderSummary();
    renderLog(doc.log || []);
  }

  async function loadBoats() {
    try {
      const r = await api.nearest(iid, 10);
      if (!gone) renderBoats(r);
    } catch (err) {
      // The incident is there (it has loaded): a list that cannot be made must not hide it.
      if (gone || err?.status === 401) return;
      renderNoBoats(err);
    }
  }

  function refreshSoon() {
    timer ||= setTimeout(() => {
      timer = 0;
      if (!gone) loadIncident().catch(fail);
    }, 200);
  }

  setChildren(log, h("p", { class: "muted" }, t("common.loading")));
  renderSitrep("");
  loadIncident()
    .then(() => loadBoats())
    .catch((err) => {
      if (gone) return;
      if (err instanceof ApiError && err.status === 404) {
        setChildren(el, h("section", { class: "page" }, h("p", { class: "empty" }, t("incident.not_found", { id: iid }))));
        return;
      }
      fail(err);
    });
  const offs = [
    live.on("incident_log", (d) => {
      if (String(d.incident_id) === String(iid)) refreshSoon();
    }),
    live.on("alert", (d) => {
      if (String(d.incident_id) === String(iid) || (alert && d.alert_id === alert.id)) refreshSoon();
    }),
  ];
  return () => {
    gone = true;
    clearTimeout(timer);
    for (const off of offs) off();
  };
}
