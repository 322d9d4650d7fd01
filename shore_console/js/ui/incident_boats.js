/** The boats of an incident: the nearest ones (ready, and listed apart with the reason), each with
 * what it was told and what it answered; the boats tasked; and the same boats for the scene map. */
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { h, raw } from "./dom.js";

const DELIVERY = new Set(["queued", "sent", "delivered", "read", "expired", "failed"]);

/** "已接受，预计 25 分钟到达", "已拒绝", "已指派 · 已送达"; "" for a boat not tasked. */
export function taskWords(task) {
  if (!task) return "";
  if (task.answer === "accepted") {
    return task.eta_min != null ? t("incident.task.accepted_eta", { eta: task.eta_min }) : t("incident.task.accepted");
  }
  if (task.answer === "declined") return t("incident.task.declined");
  const how = DELIVERY.has(task.delivery) ? t(`incident.delivery.${task.delivery}`) : "";
  return how ? t("incident.task.tasked_how", { how }) : t("incident.task.tasked");
}

/** A task's role on the map and in the tables: tasked, accepted or declined. */
export function taskRole(task) {
  return task?.answer === "accepted" ? "accepted" : task?.answer === "declined" ? "declined" : "tasked";
}

export function nearestTable(rows, { tasks, picked, last, lastCell }) {
  return h(
    "table",
    { class: "nearest-table" },
    h("thead", null, h("tr", null,
      ["incident.col.pick", "incident.col.name", "incident.col.distance", "incident.col.eta",
        "incident.col.fix_age", "incident.col.task", last].map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", null, rows.map((b) => {
      const task = tasks.get(b.id);
      const box = h("input", { type: "checkbox", value: b.id, checked: picked.has(b.id), "aria-label": b.id,
        disabled: b.source === "ais" || !!task });
      box.addEventListener("change", () => (box.checked ? picked.add(b.id) : picked.delete(b.id)));
      return h(
        "tr",
        { class: `nearest-row${task ? ` task-${taskRole(task)}` : ""}`, "data-vessel-id": b.id,
          "data-ready": b.ready ? "1" : "0", "data-task": task ? taskRole(task) : "" },
        h("td", null, box),
        h("td", null, raw(b.name || b.id, "hull"), h("span", { class: "muted" }, " ", raw(b.id)),
          b.other_grid ? h("span", { class: "other-grid" }, " · ", t("incident.other_grid", { grid: b.grid_id })) : null),
        h("td", { class: "distance" }, Number(b.distance_nm).toFixed(1)),
        h("td", { class: "eta" }, Number(b.eta_min).toFixed(0)),
        h("td", { class: "fix-age" }, t("incident.fix_age", { min: Math.round(Number(b.fix_age_min)) })),
        h("td", { class: "task-state" }, taskWords(task) || "—"),
        h("td", { class: "nearest-status" }, lastCell(b)),
      );
    })),
  );
}

export function tasksTable(list) {
  if (!list.length) return h("p", { class: "muted tasks-none" }, t("incident.tasks_none"));
  return h(
    "table",
    { class: "tasks-table" },
    h("thead", null, h("tr", null,
      ["incident.col.name", "incident.col.tasked_at", "incident.col.task", "incident.col.answered_at"]
        .map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", null, list.map((k) =>
      h("tr", { class: `task-row task-${taskRole(k)}`, "data-vessel-id": k.vessel_id, "data-task": taskRole(k) },
        h("td", null, raw(k.hull_name, "hull"), h("span", { class: "muted" }, " ", raw(k.vessel_id))),
        h("td", { class: "time" }, formatTime(k.tasked_at)),
        h("td", { class: "task-state" }, taskWords(k)),
        h("td", { class: "time" }, formatTime(k.answered_at))))),
  );
}

/** The boats to draw on the scene map: the nearest list, the tasked boats on top (from the list,
 * else from the fleet as this console knows it). */
export function sceneBoats(nearest, tasks, fleet) {
  const boats = new Map();
  for (const b of nearest) {
    boats.set(b.id, {
      id: b.id, lat: b.lat, lon: b.lon, role: b.ready ? "ready" : "apart",
      name: b.name || b.id,
      words: t("incident.fix_age", { min: Math.round(Number(b.fix_age_min)) }),
    });
  }
  for (const k of tasks.values()) {
    const known = boats.get(k.vessel_id);
    const p = fleet.get(k.vessel_id)?.last_position;
    boats.set(k.vessel_id, {
      id: k.vessel_id, lat: known?.lat ?? p?.lat, lon: known?.lon ?? p?.lon, role: taskRole(k),
      name: k.hull_name,
      words: taskWords(k),
    });
  }
  return [...boats.values()];
}
