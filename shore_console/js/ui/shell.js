/** The frame around every page: header (navigation, live status, sound, user, language), banner. */
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { h, raw, setChildren } from "./dom.js";
import { icon } from "./icons.js";
import { langSwitch } from "./lang_switch.js";
import { phoneShell } from "./phone.js";

// The picture of each page in the phone's bottom navigation; the pages a grid worker uses away
// from a desk are in the bar itself, the others under "more" (ui/phone.js).
const NAV_ICONS = { fleet: "map", alerts: "bell", stats: "chart", broadcasts: "megaphone",
  trainings: "book", requests: "chat", admin: "gear" };
const ON_PHONE_BAR = new Set(["fleet", "alerts", "broadcasts", "requests"]);

export function renderShell(root, { routes, session, onLogout, onEnableSound }) {
  const nav = h(
    "nav",
    { class: "main-nav", "aria-label": t("nav.label") },
    routes
      .filter((r) => r.nav)
      .map((r) =>
        h(
          "a",
          {
            href: `#${r.path}`,
            class: ON_PHONE_BAR.has(r.name) ? "nav-link" : "nav-link nav-extra",
            "data-route": r.name,
          },
          icon(NAV_ICONS[r.name] || "other"),
          h("span", { class: "nav-text" }, t(r.nav)),
          r.name === "alerts" ? h("span", { class: "nav-badge", hidden: true }) : null,
        ),
      ),
  );
  const conn = h("span", { class: "conn", role: "status" });
  const sound = h(
    "button",
    { type: "button", class: "sound-toggle", onclick: onEnableSound },
    icon("soundOff"),
    h("span", { class: "label" }),
  );
  const banner = h("div", { class: "banner-host", "aria-live": "assertive" });
  const staleNote = h("div", { class: "stale-note", role: "status", hidden: true });
  const main = h("main", { class: "view", id: "view", tabindex: "-1" });
  // Who is logged in, the language and logging out: in the header on a desk, under "more" on a
  // phone (display: contents on a desk, so the header is laid out as before).
  const personal = h(
    "div",
    { class: "top-personal" },
    h(
      "span",
      { class: "user", title: t("user.grids", { grids: session.grids.join(", ") || t("user.all_grids") }) },
      raw(session.username),
      " · ",
      t(`role.${session.role}`),
    ),
    langSwitch(t("lang.label")),
    h("button", { type: "button", class: "logout", onclick: onLogout }, t("action.logout")),
  );
  const shellEl = h(
    "div",
    { class: "shell" },
    h(
      "header",
      { class: "topbar" },
      h(
        "div",
        { class: "brand" },
        icon("anchor"),
        h("strong", null, t("app.title")),
        h("span", { class: "brand-sub" }, t("app.subtitle")),
      ),
      nav,
      h(
        "div",
        { class: "top-tools" },
        conn,
        sound,
        personal,
      ),
    ),
    staleNote,
    banner,
    main,
  );
  setChildren(root, shellEl);
  phoneShell(shellEl, { nav, personal });

  return {
    main,
    banner,
    setRoute(name) {
      for (const a of shellEl.querySelectorAll(".nav-link")) {
        const on = a.dataset.route === name;
        a.classList.toggle("active", on);
        if (on) a.setAttribute("aria-current", "page");
        else a.removeAttribute("aria-current");
      }
    },
    /** `since`: when the data shown was saved (the hub could not be reached), or null. */
    setStale(since) {
      staleNote.hidden = !since;
      staleNote.textContent = since ? t("offline.stale", { time: formatTime(since) }) : "";
      staleNote.title = since ? t("offline.stale_hint") : "";
      document.documentElement.classList.toggle("stale", !!since);
    },
    setConnection(status) {
      conn.className = `conn conn-${status}`;
      conn.textContent = t(`conn.${status}`);
    },
    setSound(ready) {
      sound.classList.toggle("off", !ready);
      sound.querySelector(".icon").replaceWith(icon(ready ? "soundOn" : "soundOff"));
      sound.querySelector(".label").textContent = ready ? t("sound.on") : t("sound.off");
      sound.title = ready ? t("sound.on_hint") : t("sound.off_hint");
    },
    setAlertCount(n, critical) {
      const badge = nav.querySelector(".nav-badge");
      badge.hidden = n === 0;
      badge.textContent = String(n);
      badge.classList.toggle("critical", critical > 0);
      badge.setAttribute("aria-label", t("nav.open_alerts", { n }));
    },
  };
}
