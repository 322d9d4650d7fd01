/**
 * The duty roster (admin): shifts by start time (the one on duty now marked) and a form for a new
 * shift, typed in Beijing time. Alerts of a grid go to its coordinator on duty, then the backup.
 */
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { busy, field, fromBeijingInput, input, statusLine, toBeijingInput } from "./admin_form.js";
import { h, raw, setChildren } from "./dom.js";

function addForm({ api, grids, status, reload }) {
  const grid = h(
    "select",
    { name: "grid_id" },
    grids.map((g) => h("option", { value: g.id, "data-raw": true }, `${g.name} (${g.id})`)),
  );
  const coordinator = input("coordinator_id", { maxlength: 32, required: true, placeholder: "C01L" });
  const backup = input("backup_id", { maxlength: 32 });
  const starts = input("starts_at", { type: "datetime-local", value: toBeijingInput(null) });
  const ends = input("ends_at", { type: "datetime-local", value: toBeijingInput(null, 12 * 60) });
  const submit = h("button", { type: "submit", class: "primary duty-add" }, t("admin.duty.add"));
  const form = h(
    "form",
    { class: "card form-grid duty-form", novalidate: true },
    h("h2", { class: "wide" }, t("admin.duty.new")),
    field("stats.grid", grid),
    field("admin.duty.coordinator", coordinator),
    field("admin.duty.backup", backup),
    field("admin.duty.starts", starts, { hint: t("time.zone_note") }),
    field("admin.duty.ends", ends),
    h("div", { class: "wide form-actions" }, submit),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = {
      grid_id: grid.value,
      coordinator_id: coordinator.value.trim(),
      starts_at: fromBeijingInput(starts.value),
      ends_at: fromBeijingInput(ends.value),
    };
    if (backup.value.trim()) body.backup_id = backup.value.trim();
    busy(submit, async () => {
      try {
        await api.addDuty(body);
        status.ok(t("admin.duty.added"));
        reload();
      } catch (err) {
        status.fail(err);
      }
    });
  });
  return form;
}

export function dutyPanel(el, { api, fleet, reportError }) {
  const status = statusLine();
  const list = h("div", { class: "table-wrap" }, h("p", { class: "muted" }, t("common.loading")));
  const formHost = h("div");
  setChildren(el, formHost, status.el, h("div", { class: "card" }, h("h2", null, t("admin.duty")), list));
  let gone = false;

  async function reload() {
    try {
      const [{ shifts }, { grids }] = await Promise.all([api.duty(), api.grids()]);
      if (gone) return;
      if (!formHost.firstChild) formHost.append(addForm({ api, grids, status, reload }));
      const now = Date.now();
      if (!shifts.length) return setChildren(list, h("p", { class: "empty" }, t("admin.duty.none")));
      setChildren(
        list,
        h(
          "table",
          { class: "stats-table duty-table" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["stats.grid", "admin.duty.coordinator", "admin.duty.backup", "admin.duty.starts", "admin.duty.ends"].map((k) =>
                h("th", { scope: "col" }, t(k)),
              ),
            ),
          ),
          h(
            "tbody",
            null,
            shifts.map((s) => {
              const current = Date.parse(s.starts_at) <= now && now < Date.parse(s.ends_at);
              return h(
                "tr",
                { class: `duty-row${current ? " current" : ""}`, "data-grid": s.grid_id },
                h("td", null, raw(fleet.gridName(s.grid_id))),
                h("td", null, raw(s.coordinator_id), current ? h("span", { class: "on-duty" }, t("admin.duty.now")) : null),
                h("td", null, raw(s.backup_id || "—")),
                h("td", { class: "time" }, formatTime(s.starts_at)),
                h("td", { class: "time" }, formatTime(s.ends_at)),
              );
            }),
          ),
        ),
      );
    } catch (err) {
      reportError(err);
    }
  }
  reload();
  return () => {
    gone = true;
  };
}
