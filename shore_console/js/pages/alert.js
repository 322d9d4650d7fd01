/** One alert of any kind (#/alerts/ID): what it is, where it stands, how far it has climbed and
 * who was told, the actions (acknowledge, silence, assign, comment, resolve) and its trail. Read
 * again when a live event says it changed, whichever console acted. */
import { newestFirst } from "../core/answers.js";
import { ApiError } from "../core/api.js";
import { isSilenced } from "../core/alarm_kinds.js";
import { t } from "../core/i18n.js";
import { fromNow, timeWithAge } from "../core/time.js";
import { alertActions } from "../ui/alert_actions.js";
import { DELIVERY_RECHECK_MS, alertTrail, deliveryList, deliveryPending, notificationList } from "../ui/alert_trail.js";
import {
  alertIcon,
  alertTitle,
  drillBadge,
  levelLabel,
  silenceText,
  stateText,
  toldWords,
} from "../ui/alert_words.js";
import { afterPress, h, raw, restoreTyped, setChildren, typedIn } from "../ui/dom.js";
import { icon } from "../ui/icons.js";
import { formatLatLon, severityLabel } from "../ui/labels.js";

export function mount(el, ctx, [aid]) {
  const { api, fleet, alerts, session } = ctx;
  const head = h("h1", { class: "alert-title" }, t("alert.page_title", { id: aid }));
  const summary = h("div", { class: "card alert-summary" });
  const actions = h("div", { class: "card alert-actions-card" });
  const trail = h("div", { class: "card alert-trail" });
  const told = h("div", { class: "card alert-told" });
  const drill = h("div", { class: "drill-strip", hidden: true });
  setChildren(
    el,
    h(
      "section",
      { class: "page alert-page" },
      h(
        "div",
        { class: "page-head" },
        h("a", { href: "#/alerts", class: "back-link" }, icon("back"), t("alert.back")),
        head,
      ),
      drill,
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      h("div", { class: "alert-grid" }, summary, actions),
      h("div", { class: "alert-grid" }, trail, told),
    ),
  );

  let gone = false;
  let alert = null;
  let timer = 0;
  const answers = newestFirst();

  let spentSoon = []; // fields used up by actions whose redraw waits for a press to end

  /** `spent`: the fields an action has just used up; the rest of what was typed stays. */
  function render({ spent = [] } = {}) {
    spentSoon.push(...spent);
    afterPress(render, () => {
      const used = spentSoon;
      spentSoon = [];
      if (!gone) draw(used);
    });
  }

  function draw(spent) {
    const a = alert;
    // News from another console redraws the page: keep what this person was typing.
    const typed = typedIn(actions, spent);
    const v = fleet.get(a.vessel_id);
    el.querySelector(".alert-page").dataset.state = a.state;
    el.querySelector(".alert-page").dataset.exercise = a.exercise ? "1" : "0";
    setChildren(head, alertIcon(a), " ", alertTitle(a), a.exercise ? [" ", drillBadge()] : null);
    drill.hidden = !a.exercise;
    setChildren(drill, drillBadge(), " ", t("alert.exercise_strip"));
    const level = Number(a.escalation_level) || 0;
    const row = (key, value, cls) => [h("dt", null, t(key)), h("dd", { class: cls }, value)];
    const toldNow = toldWords(alerts.toldOf(a.id), { prefix: false });
    setChildren(
      summary,
      h("h2", null, t("alert.summary")),
      h(
        "dl",
        { class: "details" },
        row("alert.vessel", [
          h("a", { href: `#/vessel/${encodeURIComponent(a.vessel_id)}`, class: "vessel-link" },
            raw(v?.hull_name || a.hull_name || a.vessel_id, "hull")),
          h("span", { class: "muted" }, " ", raw(a.vessel_id)),
        ]),
        row("alert.grid", raw(fleet.gridName(a.grid_id))),
        row("alert.severity", severityLabel(a.severity)),
        row("alert.detail", raw(a.detail || "—")),
        a.lat != null ? row("alert.position", formatLatLon(a.lat, a.lon), "alert-position") : null,
        row("alert.raised", timeWithAge(a.raised_at), "time"),
        row("alert.state", stateText(a), "alert-state"),
        row("alert.level", [
          levelLabel(level),
          a.state === "raised" && a.escalate_at
            ? h("span", { class: "muted" }, " ", t("alert.next_level", { when: fromNow(a.escalate_at) }))
            : null,
        ], "alert-level"),
        row("alert.told_label", toldNow || "—", "alert-told-now"),
        row("alert.assigned", a.assigned_to ? raw(a.assigned_to) : "—", "alert-assigned"),
        row("alert.sound", isSilenced(a) ? silenceText(a) : t("alert.sound_on"), "alert-sound"),
        a.incident_id != null
          ? row("alert.incident", h("a", { href: `#/incident/${a.incident_id}`, class: "incident-link" },
              t("alert.open_incident", { id: a.incident_id })))
          : null,
      ),
    );
    setChildren(
      actions,
      h("h2", null, t("alert.actions")),
      alertActions(a, {
        api,
        session,
        onDone: (updated, { ticket, spent }) => {
          if (answers.show(ticket)) {
            alerts.upsert(updated);
            alert = updated;
          }
          render({ spent });
        },
        onError: ctx.reportError,
        ask: answers.ask,
      }),
    );
    restoreTyped(actions, typed);
    setChildren(trail, h("h2", null, t("alert.trail")), alertTrail(a.events));
    setChildren(
      told,
      h("h2", null, t("alert.delivery")),
      deliveryList(a.delivery),
      h("details", { class: "delivery-log" },
        h("summary", null, t("alert.delivery_log"), ` (${a.notifications?.length || 0})`),
        notificationList(a.notifications)),
    );
  }

  async function load() {
    const ticket = answers.ask();
    const a = await api.alert(aid);
    if (gone || !answers.show(ticket)) return;
    alert = a;
    alerts.upsert(a);
    render();
  }

  function reloadSoon() {
    timer ||= setTimeout(() => {
      timer = 0;
      if (!gone) load().catch(ctx.reportError);
    }, 200);
  }

  load().catch((err) => {
    if (gone) return;
    if (err instanceof ApiError && err.status === 404) {
      setChildren(el, h("section", { class: "page" }, h("p", { class: "empty" }, t("alert.not_found", { id: aid }))));
      return;
    }
    ctx.reportError(err);
  });
  const offs = [
    alerts.on("event", ({ ev }) => {
      if (String(ev.alert_id) === String(aid)) reloadSoon();
    }),
    ctx.live.on("alert_notify", (d) => {
      if (String(d.alert_id) === String(aid)) reloadSoon();
    }),
  ];
  const recheck = setInterval(() => deliveryPending(alert?.delivery) && reloadSoon(), DELIVERY_RECHECK_MS);
  return () => {
    gone = true;
    clearTimeout(timer);
    clearInterval(recheck);
    for (const off of offs) off();
  };
}
