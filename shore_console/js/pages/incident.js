/** One distress incident (#/incident/ID), whatever raised it (the crew's terminal, an AIS beacon,
 * a Beidou distress): the alert and its actions (acknowledge, silence, assign, comment, resolve),
 * how far it has climbed and who was told, the scene map, the nearest boats and the boats tasked
 * with their answers, the log in words, the SITREP and the CAP message. Read again on live
 * `incident_log`, `alert` and `alert_notify` events. */
import { newestFirst } from "../core/answers.js";
import { ApiError } from "../core/api.js";
import { distressSource, isSilenced } from "../core/alarm_kinds.js";
import { t } from "../core/i18n.js";
import { formatTime, fromNow, timeWithAge } from "../core/time.js";
import { createBaseMap } from "../map/base_map.js";
import { SceneLayer } from "../map/scene_layer.js";
import { alertActions } from "../ui/alert_actions.js";
import { DELIVERY_RECHECK_MS, deliveryList, deliveryPending, notificationList } from "../ui/alert_trail.js";
import { alertTitle, drillBadge, levelLabel, silenceText, stateText, toldWords } from "../ui/alert_words.js";
import { afterPress, h, raw, restoreTyped, setChildren, typedIn } from "../ui/dom.js";
import { icon } from "../ui/icons.js";
import { nearestTable, sceneBoats, tasksTable } from "../ui/incident_boats.js";
import { formatLatLon } from "../ui/labels.js";

const LOG_KINDS = new Set([
  "alarm", "distress", "cancel_requested", "acknowledged", "resolved", "tasked", "task_accepted",
  "task_declined", "sitrep", "escalated",
]);

export function mount(el, ctx, [iid]) {
  const { api, fleet, live, alerts, session } = ctx;
  const head = h("h1", null, t("incident.title", { id: iid }));
  const drill = h("div", { class: "drill-strip", hidden: true });
  const summary = h("div", { class: "card incident-summary" });
  const actions = h("div", { class: "card incident-actions-card" });
  const mapEl = h("div", { class: "map scene-map", role: "region", "aria-label": t("scene.label") });
  const mapNote = h("p", { class: "muted scene-note" });
  const log = h("div", { class: "card incident-log" });
  const boats = h("div", { class: "card incident-nearest" });
  const tasked = h("div", { class: "card incident-tasks" });
  const told = h("div", { class: "card incident-told" });
  const reports = h("div", { class: "card incident-sitrep" });
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
        head,
      ),
      drill,
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      message,
      h("div", { class: "incident-grid" }, summary, actions),
      h("div", { class: "incident-grid scene-grid" },
        h("div", { class: "card scene-card" }, h("h2", null, t("scene.title")), mapEl, mapNote), log),
      tasked,
      boats,
      h("div", { class: "incident-grid" }, told, reports),
    ),
  );

  const map = createBaseMap(mapEl, api, { onLayerError: ctx.reportError });
  const scene = new SceneLayer(map);
  window.__sealinkScene = scene;
  let gone = false;
  let doc = null; // the incident
  let nearest = []; // the nearest boats
  let timer = 0;
  const incidentAnswers = newestFirst();
  const boatAnswers = newestFirst();
  let sitrepText = "";
  let capText = "";
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

  const tasks = () => new Map((doc?.tasks || []).map((k) => [k.vessel_id, k]));

  function renderSummary() {
    const a = doc.alert;
    const v = fleet.get(a.vessel_id);
    const page = el.querySelector(".incident-page");
    page.dataset.state = a.state;
    page.dataset.exercise = a.exercise ? "1" : "0";
    setChildren(head, icon("distress"), " ", t("incident.title", { id: iid }), a.exercise ? [" ", drillBadge()] : null);
    drill.hidden = !a.exercise;
    setChildren(drill, drillBadge(), " ", t("incident.exercise_strip"));
    const level = Number(a.escalation_level) || 0;
    const row = (key, value, cls) => [h("dt", null, t(key)), h("dd", { class: cls }, value)];
    const src = distressSource(a);
    setChildren(
      summary,
      h("h2", null, t("incident.summary")),
      h(
        "dl",
        { class: "details" },
        row("incident.vessel", [raw(v?.hull_name || a.hull_name || a.vessel_id, "hull"), h("span", { class: "muted" }, " ", raw(a.vessel_id))]),
        row("incident.what", alertTitle(a), "incident-what"),
        row("incident.nature", raw(a.detail || "")),
        row("incident.position", a.lat != null ? formatLatLon(a.lat, a.lon) : t("incident.no_position_short"), "incident-position"),
        row("incident.raised", timeWithAge(a.raised_at), "time"),
        row("incident.state", stateText(a), "incident-state"),
        row("incident.level", [
          levelLabel(level),
          a.state === "raised" && a.escalate_at
            ? h("span", { class: "muted" }, " ", t("alert.next_level", { when: fromNow(a.escalate_at) }))
            : null,
        ], "incident-level"),
        row("alert.told_label", toldWords(alerts.toldOf(a.id), { prefix: false }) || "—", "incident-told-now"),
        row("alert.assigned", a.assigned_to ? raw(a.assigned_to) : "—", "incident-assigned"),
        row("alert.sound", isSilenced(a) ? silenceText(a) : t("alert.sound_on"), "incident-sound"),
        src === "terminal" || src === "beidou" ? row("incident.boat_told", t("incident.boat_told_text")) : null,
      ),
    );
    const typed = typedIn(actions);
    setChildren(
      actions,
      h("h2", null, t("alert.actions")),
      alertActions(a, {
        api,
        session,
        onDone: (updated, { spent }) => {
          alerts.upsert(updated); // the store keeps the newer of two (updated_at)
          // The page is drawn from the incident's own read, which follows.
          for (const f of actions.querySelectorAll("textarea, input")) if (spent.includes(f.name)) f.value = "";
          loadAll().catch(fail);
        },
        onError: ctx.reportError,
      }),
    );
    restoreTyped(actions, typed);
    setChildren(
      told,
      h("h2", null, t("alert.delivery")),
      deliveryList(a.delivery),
      h("details", { class: "delivery-log" },
        h("summary", null, t("alert.delivery_log"), ` (${a.notifications?.length || 0})`),
        notificationList(a.notifications)),
    );
  }

  /** "vessel:V1" is the boat itself; people are shown by their user name. */
  function actorName(actor) {
    if (actor?.startsWith("vessel:")) return t("incident.actor.vessel", { id: actor.slice(7) });
    return actor === "system" ? t("incident.actor.system") : actor;
  }

  function renderLog(entries) {
    setChildren(
      log,
      h("h2", null, t("incident.log")),
      entries.length
        ? h("ol", { class: "log-list" }, entries.map((e) =>
            h("li", { class: `log-entry log-${e.kind}`, "data-kind": e.kind },
              h("span", { class: "time" }, formatTime(e.ts)), " ",
              h("span", { class: "log-kind" }, LOG_KINDS.has(e.kind) ? t(`incident.kind.${e.kind}`) : raw(e.kind)), " · ",
              raw(actorName(e.actor), "log-actor"), " — ", raw(e.text, "log-text"))))
        : h("p", { class: "muted" }, t("incident.log_empty")),
    );
  }

  function renderTasks() {
    setChildren(tasked, h("h2", null, t("incident.tasks_title")), tasksTable(doc?.tasks || []));
  }

  function renderScene() {
    if (!doc) return;
    const a = doc.alert;
    const drawn = sceneBoats(nearest, tasks(), fleet);
    scene.show({ lat: a.lat, lon: a.lon, exercise: a.exercise }, drawn);
    const hidden = nearest.filter((b) => b.lat == null).length;
    mapNote.textContent = [
      a.lat == null ? t("incident.no_position") : t("scene.legend"),
      hidden ? t("scene.hidden", { n: hidden }) : "",
    ].filter(Boolean).join(" ");
  }

  /** The nearest boats in two tables: the ready ones by ETA (what "task nearest two" picks from),
   * and apart those with a stale fix or no link now, with the reason. The rule is stated above
   * them with the server's own numbers (docs/operations.md, section 9). */
  function renderBoats(r) {
    const list = r.vessels || [];
    const rule = r.rule;
    const open = doc?.alert?.state !== "resolved";
    const topBtn = h("button", { type: "button", class: "task-top2", disabled: !open || session.role === "viewer" }, t("incident.task_top2"));
    const selBtn = h("button", { type: "button", class: "task-selected", disabled: !open || session.role === "viewer" }, t("incident.task_selected"));
    topBtn.addEventListener("click", () => act(topBtn, async () => {
      await api.task(iid, { top: 2 });
      await loadAll();
    }));
    selBtn.addEventListener("click", () => act(selBtn, async () => {
      if (!picked.size) return;
      await api.task(iid, { vessels: [...picked] });
      picked.clear();
      await loadAll();
    }));
    const status = (b) => [
      b.same_group ? t("incident.same_group") : null,
      b.link ? t(`incident.link.${b.link}`) : null,
    ].filter(Boolean).join(" · ");
    const why = (b) => (b.apart || []).map((x) => t(`incident.apart.${x}`)).join(" · ");
    const ready = list.filter((b) => b.ready);
    const apart = list.filter((b) => !b.ready);
    const k = tasks();
    setChildren(
      boats,
      h("h2", null, t("incident.nearest")),
      rule
        ? h("p", { class: "muted nearest-rule" }, t("incident.rule", {
            kn: rule.transit_kn, stale: Math.round(rule.stale_after_min), tie: rule.tie_min,
          }))
        : null,
      ready.length
        ? h("div", { class: "table-wrap nearest-ready" },
            nearestTable(ready, { tasks: k, picked, last: "incident.col.status", lastCell: status }))
        : h("p", { class: "muted nearest-none-ready" }, t(list.length ? "incident.none_ready" : "incident.nearest_empty")),
      apart.length
        ? h("div", { class: "nearest-apart" },
            h("h3", null, t("incident.apart_title")),
            h("div", { class: "table-wrap" },
              nearestTable(apart, { tasks: k, picked, last: "incident.col.apart", lastCell: why })))
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

  function renderReports() {
    const viewer = session.role === "viewer";
    const sitrepBtn = h("button", { type: "button", class: "sitrep-button", disabled: viewer }, t("incident.sitrep"));
    sitrepBtn.addEventListener("click", () => act(sitrepBtn, async () => {
      sitrepText = (await api.sitrep(iid)).text;
      renderReports();
      await loadIncident();
    }));
    const capBtn = h("button", { type: "button", class: "cap-button" }, t("incident.cap"));
    capBtn.addEventListener("click", () => act(capBtn, async () => {
      capText = await api.cap(iid);
      renderReports();
    }));
    setChildren(
      reports,
      h("h2", null, t("incident.reports")),
      h("p", { class: "muted" }, t("incident.reports_hint")),
      h("div", { class: "incident-actions" }, sitrepBtn, capBtn),
      sitrepText ? h("pre", { class: "sitrep-text", "data-raw": true }, sitrepText) : null,
      capText
        ? [
            h("pre", { class: "cap-text", "data-raw": true }, capText),
            h("a", {
              class: "button cap-download",
              download: `sealink-incident-${iid}.cap.xml`,
              href: URL.createObjectURL(new Blob([capText], { type: "application/cap+xml" })),
            }, t("incident.cap_download")),
          ]
        : null,
    );
  }

  async function loadIncident() {
    const ticket = incidentAnswers.ask();
    const d = await api.incident(iid);
    if (gone || !incidentAnswers.show(ticket)) return;
    doc = d;
    if (d.alert) alerts.upsert(d.alert);
    afterPress(renderIncident, renderIncident);
  }

  function renderIncident() {
    if (gone) return;
    renderSummary();
    renderLog(doc.log || []);
    renderTasks();
    renderScene();
  }

  async function loadAll() {
    await loadIncident();
    await loadBoats();
  }

  async function loadBoats() {
    const ticket = boatAnswers.ask();
    try {
      const r = await api.nearest(iid, 10);
      if (gone || !boatAnswers.show(ticket)) return;
      afterPress(renderBoats, () => {
        if (gone) return;
        nearest = r.vessels || [];
        renderBoats(r);
        renderScene();
      });
    } catch (err) {
      // The incident is there (it has loaded): a list that cannot be made must not hide it.
      if (gone || err?.status === 401) return;
      afterPress(renderBoats, () => {
        if (gone) return;
        renderNoBoats(err);
        renderScene();
      });
    }
  }

  function refreshSoon() {
    timer ||= setTimeout(() => {
      timer = 0;
      if (!gone) loadAll().catch(fail);
    }, 200);
  }

  setChildren(log, h("p", { class: "muted" }, t("common.loading")));
  renderReports();
  loadAll().catch((err) => {
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
    alerts.on("event", ({ ev }) => {
      if (String(ev.incident_id) === String(iid) || (doc && ev.alert_id === doc.alert_id)) refreshSoon();
    }),
    live.on("alert_notify", (d) => {
      if (doc && d.alert_id === doc.alert_id) refreshSoon();
    }),
  ];
  const recheck = setInterval(() => deliveryPending(doc?.alert?.delivery) && refreshSoon(), DELIVERY_RECHECK_MS);
  return () => {
    gone = true;
    clearTimeout(timer);
    clearInterval(recheck);
    for (const off of offs) off();
    map.remove();
    if (window.__sealinkScene === scene) delete window.__sealinkScene;
  };
}
