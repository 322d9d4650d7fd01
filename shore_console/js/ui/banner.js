/**
 * The alarm banner under the header, on every page: every alert still waiting for a named person
 * to acknowledge it, a real distress call first, drills last. It goes away only when someone
 * acknowledges the alert (on any console) or it is resolved; hiding it is not acknowledging it.
 * Each item says what the alert is, how far it has climbed and who was told, whether its sound is
 * silenced; its buttons acknowledge (as the person logged in), silence the sound, or open the
 * incident (a distress call) or the alert.
 */
import { alertPath, isSilenced, precedence } from "../core/alarm_kinds.js";
import { t } from "../core/i18n.js";
import { timeWithAge } from "../core/time.js";
import { alertIcon, alertTitle, drillBadge, levelLabel, silenceText, toldWords } from "./alert_words.js";
import { afterPress, h, raw, setChildren } from "./dom.js";

const SHOWN = 3;
const SILENCE_MIN = 10;
const REDRAW_MS = 15_000; // ages and silences move with the clock

export class AlertBanner {
  constructor(host, { fleet, alerts, api, session, navigate, reportError }) {
    this._host = host;
    this._fleet = fleet;
    this._alerts = alerts;
    this._api = api;
    this._session = session;
    this._navigate = navigate;
    this._reportError = reportError;
    this._asked = new Set(); // alerts whose notifications were asked for
    this._frame = 0;
    this._offs = [alerts.on("change", () => this._renderSoon())];
    this._timer = setInterval(() => this._render(), REDRAW_MS);
    this._render();
  }

  /** Re-attach to a new host element (the shell is redrawn when the language changes). */
  attach(host) {
    this._host = host;
    this._render();
  }

  destroy() {
    clearInterval(this._timer);
    cancelAnimationFrame(this._frame);
    for (const off of this._offs) off();
  }

  /** The alerts waiting for acknowledgement, in the order the duty officer must see them. */
  waiting() {
    return [...this._alerts.open.values()]
      .filter((a) => a.state === "raised" && a.type !== "maintenance")
      .sort(
        (a, b) => precedence(b) - precedence(a) || Date.parse(b.raised_at) - Date.parse(a.raised_at),
      );
  }

  _renderSoon() {
    this._frame ||= requestAnimationFrame(() => {
      this._frame = 0;
      this._render();
    });
  }

  _render() {
    afterPress(this, () => this._draw());
  }

  _draw() {
    const all = this.waiting();
    const shown = all.slice(0, SHOWN);
    for (const a of shown) this._askTold(a);
    setChildren(
      this._host,
      shown.map((a) => this._item(a)),
      all.length > SHOWN
        ? h(
            "div",
            { class: "banner-more" },
            t("banner.more", { n: all.length - SHOWN }),
            " ",
            h("a", { href: "#/alerts" }, t("banner.see_all")),
          )
        : null,
    );
  }

  /** Who was told is in the alert's notifications: read them once for an alert on show. */
  _askTold(a) {
    if (this._alerts.knowsTold(a.id) || this._asked.has(a.id)) return;
    this._asked.add(a.id);
    this._api
      .alert(a.id)
      .then((full) => this._alerts.upsert(full))
      .catch((err) => this._reportError(err));
  }

  _item(a) {
    const v = this._fleet.get(a.vessel_id);
    const level = Number(a.escalation_level) || 0;
    const told = toldWords(this._alerts.toldOf(a.id));
    const cls = [
      "banner-item",
      `kind-${a.type === "distress" ? "distress" : a.phase === "distress" ? "sar-distress" : "attention"}`,
      `sev-${a.severity || "notice"}`,
      a.exercise ? "drill" : "real",
      isSilenced(a) ? "silenced" : "",
    ];
    const why = a._why === "escalated" ? "banner.escalated" : a._why === "phase" ? "banner.phase" : "banner.new";
    return h(
      "div",
      {
        class: cls.filter(Boolean).join(" "),
        role: "alert",
        "data-alert-id": a.id,
        "data-type": a.type,
        "data-exercise": a.exercise ? "1" : "0",
      },
      h("span", { class: "banner-icon" }, alertIcon(a)),
      h(
        "div",
        { class: "banner-body" },
        h(
          "div",
          { class: "banner-line" },
          a.exercise ? drillBadge() : null,
          h("strong", { class: "banner-title" }, t(why)),
          h("span", { class: "banner-what" }, alertTitle(a)),
          h(
            "span",
            { class: "banner-text" },
            raw(v?.hull_name || a.hull_name || a.vessel_id, "hull"),
            ` (${a.vessel_id}) · `,
            raw(this._fleet.gridName(a.grid_id)),
            ` · ${timeWithAge(a.raised_at, { short: true })}`,
          ),
        ),
        h(
          "div",
          { class: "banner-line banner-status" },
          h("span", { class: "banner-unacked" }, t("banner.unacked")),
          h(
            "span",
            { class: "banner-level", "data-level": level },
            level ? t("banner.level_up", { level: levelLabel(level) }) : t("banner.level_duty"),
          ),
          told ? h("span", { class: "banner-told" }, told) : null,
          isSilenced(a) ? h("span", { class: "banner-silenced" }, silenceText(a)) : null,
        ),
      ),
      h("span", { class: "banner-actions" }, this._actions(a)),
    );
  }

  _actions(a) {
    const view = h(
      "button",
      { type: "button", class: "banner-view", onclick: () => this._navigate(alertPath(a)) },
      a.type === "distress" && a.incident_id != null ? t("banner.open_incident") : t("banner.view"),
    );
    if (this._session.role === "viewer") return [view];
    const ack = h(
      "button",
      { type: "button", class: "banner-ack primary" },
      t("banner.ack_as", { name: this._session.username }),
    );
    ack.addEventListener("click", () => this._act(ack, () => this._api.ack(a.id, "")));
    const silence = h(
      "button",
      { type: "button", class: "banner-silence", title: t("banner.silence_hint") },
      t("banner.silence", { n: SILENCE_MIN }),
    );
    silence.addEventListener("click", () => this._act(silence, () => this._api.silence(a.id, SILENCE_MIN)));
    return [ack, silence, view];
  }

  async _act(button, call) {
    button.disabled = true;
    try {
      this._alerts.upsert(await call());
    } catch (err) {
      this._reportError(err);
      button.disabled = false;
      button.classList.add("failed");
      button.title = t("banner.failed", { msg: err?.message || String(err) });
    }
  }
}
