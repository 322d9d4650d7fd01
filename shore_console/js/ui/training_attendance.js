/**
 * Attendance of one training run: per grid (vessels, attended, crew, passed), per vessel and per
 * crew member, and the CSV the office files. The CSV is fetched with the bearer token (a plain
 * link could not carry it) and handed to the browser as a download.
 */
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { h, raw } from "./dom.js";

function table(cls, heads, rows) {
  return h(
    "table",
    { class: `stats-table ${cls}` },
    h("thead", null, h("tr", null, heads.map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", null, rows),
  );
}

function yesNo(v) {
  if (v == null) return "—";
  return v ? t("training.yes") : t("training.no");
}

export function attendanceView(report, fleet) {
  if (!report.vessels.length) return h("p", { class: "empty" }, t("training.no_attendance"));
  const grids = table(
    "attendance-grids",
    ["stats.grid", "training.col.vessels", "training.col.attended", "training.col.crew", "training.col.passed"],
    report.grids.map((g) =>
      h(
        "tr",
        { "data-grid": g.grid_id },
        h("th", { scope: "row" }, raw(fleet.gridName(g.grid_id)), ` (${g.grid_id})`),
        h("td", null, String(g.vessels)),
        h("td", null, String(g.attended)),
        h("td", null, String(g.crew)),
        h("td", null, String(g.passed)),
      ),
    ),
  );
  const vessels = table(
    "attendance-vessels",
    ["training.col.vessel", "stats.grid", "training.col.run", "training.col.attended", "training.col.crew", "training.col.score", "training.col.passed"],
    report.vessels.map((v) =>
      h(
        "tr",
        { "data-vessel": v.vessel_id, class: v.attended ? "attended" : "absent" },
        h("td", null, raw(v.hull_name || v.vessel_id), h("span", { class: "muted" }, " ", raw(v.vessel_id))),
        h("td", null, raw(fleet.gridName(v.grid_id))),
        h("td", { class: "time" }, formatTime(v.occurrence, { short: true })),
        h("td", { class: v.attended ? "yes" : "no" }, yesNo(v.attended)),
        h("td", null, String(v.crew_count)),
        h("td", null, v.score == null ? "—" : String(v.score)),
        h("td", null, yesNo(v.passed)),
      ),
    ),
  );
  const crew = report.crew.length
    ? table(
        "attendance-crew",
        ["training.col.crew_member", "training.col.vessel", "stats.grid", "training.col.score", "training.col.passed"],
        report.crew.map((c) =>
          h(
            "tr",
            null,
            h("td", null, raw(c.crew_member)),
            h("td", null, raw(c.hull_name || c.vessel_id)),
            h("td", null, raw(fleet.gridName(c.grid_id))),
            h("td", null, c.score == null ? "—" : String(c.score)),
            h("td", null, yesNo(c.passed)),
          ),
        ),
      )
    : h("p", { class: "muted" }, t("training.no_crew"));
  return h(
    "div",
    { class: "attendance" },
    h("h3", null, t("training.by_grid")),
    grids,
    h("h3", null, t("training.by_vessel")),
    vessels,
    h("h3", null, t("training.by_crew")),
    crew,
  );
}

/** Fetch the attendance CSV with the session's token and save it as training-ID.csv. */
export async function downloadAttendanceCsv(tid, token) {
  const res = await fetch(`/api/v1/trainings/${encodeURIComponent(tid)}/attendance?format=csv`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw Object.assign(new Error(res.statusText), { status: res.status });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: `training-${tid}.csv`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has the file once the click is handled; free the memory a moment later.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  return blob;
}
