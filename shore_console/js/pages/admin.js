/**
 * Administration (#/admin/users|grids|duty|zones), for admins: accounts, grids, the duty roster
 * and zones. Others are told it is for admins only (and the hub refuses them anyway).
 */
import { t } from "../core/i18n.js";
import { dutyPanel } from "../ui/admin_duty.js";
import { gridsPanel } from "../ui/admin_grids.js";
import { usersPanel } from "../ui/admin_users.js";
import { zonesPanel } from "../ui/admin_zones.js";
import { h, setChildren } from "../ui/dom.js";

const PANELS = { users: usersPanel, grids: gridsPanel, duty: dutyPanel, zones: zonesPanel };

export function mount(el, ctx, [tab]) {
  const { session } = ctx;
  const name = PANELS[tab] ? tab : "users";
  if (session.role !== "admin") {
    setChildren(
      el,
      h("section", { class: "page admin-page" }, h("h1", null, t("admin.title")), h("p", { class: "empty admin-only" }, t("admin.only"))),
    );
    return () => {};
  }
  const panel = h("div", { class: `admin-panel admin-${name}` });
  setChildren(
    el,
    h(
      "section",
      { class: "page admin-page" },
      h(
        "div",
        { class: "page-head" },
        h("h1", null, t("admin.title")),
        h(
          "nav",
          { class: "tabs", "aria-label": t("admin.sections") },
          Object.keys(PANELS).map((p) =>
            h(
              "a",
              { href: `#/admin/${p}`, class: "tab button", "data-tab": p, "aria-current": p === name ? "page" : null },
              t(`admin.tab.${p}`),
            ),
          ),
        ),
      ),
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      panel,
    ),
  );
  return PANELS[name](panel, ctx);
}
