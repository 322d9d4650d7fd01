/**
 * Grids (admin, read-only: the registry is imported with `sealink fleet import`): each grid with
 * its leader, vessel count, the accounts that serve it and who is on duty now.
 */
import { t } from "../core/i18n.js";
import { h, raw, setChildren } from "./dom.js";

export function gridsPanel(el, { api, reportError }) {
  const host = h("div", { class: "card" }, h("p", { class: "muted" }, t("common.loading")));
  setChildren(el, h("p", { class: "muted" }, t("admin.grids_note")), host);
  let gone = false;

  async function load() {
    try {
      const [{ grids }, { users }, { shifts }] = await Promise.all([api.grids(), api.users(), api.duty()]);
      if (gone) return;
      const now = Date.now();
      const rows = grids.map((g) => {
        const accounts = users.filter((u) => u.role === "coordinator" && u.grids.includes(g.id) && !u.disabled);
        const onDuty = shifts.filter(
          (s) => s.grid_id === g.id && Date.parse(s.starts_at) <= now && now < Date.parse(s.ends_at),
        );
        return h(
          "tr",
          { class: "grid-row", "data-grid": g.id },
          h("th", { scope: "row" }, raw(g.name), ` (${g.id})`),
          h("td", null, raw(g.leader_id || "—")),
          h("td", null, String(g.vessels)),
          h("td", { class: "grid-accounts" }, accounts.length ? raw(accounts.map((u) => u.username).join(", ")) : "—"),
          h(
            "td",
            null,
            onDuty.length
              ? raw(onDuty.map((s) => s.coordinator_id + (s.backup_id ? ` / ${s.backup_id}` : "")).join("; "))
              : "—",
          ),
        );
      });
      setChildren(
        host,
        h(
          "table",
          { class: "stats-table grids-table" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["stats.grid", "admin.grid.leader", "admin.grid.vessels", "admin.grid.accounts", "admin.grid.on_duty"].map((k) =>
                h("th", { scope: "col" }, t(k)),
              ),
            ),
          ),
          h("tbody", null, rows),
        ),
      );
    } catch (err) {
      if (err?.status === 403) setChildren(host, h("p", { class: "empty" }, t("admin.only")));
      else reportError(err);
    }
  }
  load();
  return () => {
    gone = true;
  };
}
