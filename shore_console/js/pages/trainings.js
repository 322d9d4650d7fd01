/**
 * Trainings (#/trainings): the schedule (Beijing time, targets, status) with a form for a new
 * session; one session (#/trainings/ID) with its runs and attendance per grid, vessel and crew
 * member, and the CSV. Attendance is read again when the live progress of one of its runs moves.
 */
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { statusLine } from "../ui/admin_form.js";
import { h, raw, setChildren } from "../ui/dom.js";
import { icon } from "../ui/icons.js";
import { attendanceView, downloadAttendanceCsv } from "../ui/training_attendance.js";
import { trainingForm } from "../ui/training_form.js";

const RELOAD_MS = 1500;
const SCHEDULE_COLUMNS = [
  "training.col.title",
  "training.col.when",
  "training.col.next",
  "training.col.duration",
  "training.col.targets",
  "training.col.quiz",
  "training.col.status",
];

/** scheduled / running / done / ended, from the runs and the next run the hub has planned. */
export function trainingStatus(tr, now = Date.now()) {
  const last = tr.runs?.[tr.runs.length - 1];
  if (last && now < Date.parse(last.started_at) + tr.duration_min * 60_000) return "running";
  if (tr.next_run) return "scheduled";
  return tr.runs?.length ? "done" : "ended";
}

function targetText(target, fleet) {
  if (!target) return "—";
  const parts = [];
  if (target.all) parts.push(t("training.target.all"));
  if (target.at_sea) parts.push(t("training.target.at_sea"));
  if (target.grids?.length) parts.push(target.grids.map((g) => fleet.gridName(g)).join("、"));
  if (target.groups?.length) parts.push(t("training.target.groups", { list: target.groups.join(", ") }));
  if (target.vessels?.length) parts.push(t("training.target.vessels", { n: target.vessels.length }));
  if (target.polygon?.length || target.circle) parts.push(t("training.target.area"));
  return parts.join(" · ") || "—";
}

function whenText(tr) {
  if (tr.cron) return t("training.when.cron", { cron: tr.cron });
  return formatTime(tr.starts_at);
}

function scheduleTable(list, fleet) {
  if (!list.length) return h("p", { class: "empty" }, t("training.none"));
  return h(
    "table",
    { class: "alerts-table training-table" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        SCHEDULE_COLUMNS.map((k) => h("th", { scope: "col" }, t(k))),
      ),
    ),
    h(
      "tbody",
      null,
      list.map((tr) => {
        const status = trainingStatus(tr);
        return h(
          "tr",
          { class: `training-row status-${status}`, "data-training-id": tr.id },
          h("td", null, h("a", { href: `#/trainings/${tr.id}`, class: "training-link" }, raw(tr.title))),
          h("td", { class: "time" }, whenText(tr)),
          h("td", { class: "time" }, formatTime(tr.next_run)),
          h("td", null, t("training.minutes", { n: tr.duration_min })),
          h("td", null, raw(targetText(tr.target, fleet))),
          h("td", null, tr.quiz?.length ? t("training.quiz_count", { n: tr.quiz.length }) : "—"),
          h("td", null, h("span", { class: `training-status status-${status}` }, t(`training.status.${status}`))),
        );
      }),
    ),
  );
}

function mountList(el, ctx) {
  const { api, fleet, session } = ctx;
  const body = h("div", { class: "card" }, h("p", { class: "muted" }, t("common.loading")));
  const formHost = h("div");
  const canWrite = session.role !== "viewer";
  const newButton = h(
    "button",
    {
      type: "button",
      class: "primary training-new",
      hidden: !canWrite,
      onclick: () => {
        if (formHost.firstChild) return formHost.replaceChildren();
        const grids = [...fleet.grids.keys()].sort().map((id) => [id, fleet.gridName(id)]);
        formHost.replaceChildren(
          trainingForm({
            api,
            grids,
            onCreated: (tr) => {
              load();
              ctx.navigate(`/trainings/${tr.id}`);
            },
          }),
        );
      },
    },
    t("training.new"),
  );
  setChildren(
    el,
    h(
      "section",
      { class: "page trainings-page" },
      h("div", { class: "page-head" }, h("h1", null, t("training.title")), newButton),
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      formHost,
      body,
    ),
  );
  let gone = false;
  async function load() {
    try {
      const r = await api.trainings();
      if (!gone) setChildren(body, scheduleTable(r.trainings, fleet));
    } catch (err) {
      ctx.reportError(err);
    }
  }
  const offReset = fleet.on("reset", load); // grid names arrive with the fleet snapshot
  load();
  return () => {
    gone = true;
    offReset();
  };
}

function mountOne(el, ctx, tid) {
  const { api, fleet, live, session } = ctx;
  const head = h("div", { class: "card training-summary" }, h("p", { class: "muted" }, t("common.loading")));
  const runPick = h("select", { name: "run", class: "run-pick" });
  const csv = h("button", { type: "button", class: "csv-download" }, t("training.csv"));
  const status = statusLine();
  const report = h("div", { class: "attendance-host" });
  setChildren(
    el,
    h(
      "section",
      { class: "page training-page" },
      h(
        "div",
        { class: "page-head" },
        h("a", { href: "#/trainings", class: "back-link" }, icon("back"), t("training.back")),
        h("h1", null, t("training.one", { id: tid })),
      ),
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      head,
      h(
        "div",
        { class: "card" },
        h("div", { class: "page-head" }, h("h2", null, t("training.attendance")), runPick, csv),
        status.el,
        report,
      ),
    ),
  );

  let gone = false;
  let training = null;
  let timer = 0;
  const known = new Set(); // broadcast ids of this training's runs

  function drawSummary(tr) {
    const st = trainingStatus(tr);
    setChildren(
      head,
      h("h2", null, raw(tr.title)),
      h(
        "dl",
        { class: "details" },
        h("dt", null, t("training.col.status")),
        h("dd", null, h("span", { class: `training-status status-${st}` }, t(`training.status.${st}`))),
        h("dt", null, t("training.col.when")),
        h("dd", { class: "time" }, whenText(tr)),
        h("dt", null, t("training.col.next")),
        h("dd", { class: "time" }, formatTime(tr.next_run)),
        h("dt", null, t("training.col.duration")),
        h("dd", null, t("training.minutes", { n: tr.duration_min })),
        h("dt", null, t("training.col.targets")),
        h("dd", null, raw(targetText(tr.target, fleet))),
        h("dt", null, t("training.col.quiz")),
        h("dd", null, tr.quiz?.length ? t("training.quiz_pass", { n: tr.quiz.length, mark: tr.pass_mark }) : "—"),
        h("dt", null, t("training.col.runs")),
        h("dd", null, String(tr.runs.length)),
      ),
      h("details", null, h("summary", null, t("training.study_pack")), h("pre", { class: "study-pack" }, raw(tr.study_pack))),
    );
    const chosen = runPick.value;
    setChildren(
      runPick,
      h("option", { value: "" }, t("training.all_runs")),
      tr.runs.map((r) => h("option", { value: String(r.id) }, formatTime(r.started_at))),
    );
    runPick.value = tr.runs.some((r) => String(r.id) === chosen) ? chosen : "";
  }

  async function load() {
    try {
      const tr = await api.training(tid);
      if (gone) return;
      training = tr;
      for (const r of tr.runs) if (r.broadcast_id != null) known.add(r.broadcast_id);
      drawSummary(tr);
      const att = await api.attendance(tid, runPick.value || null);
      if (gone) return;
      setChildren(report, tr.runs.length ? attendanceView(att, fleet) : h("p", { class: "empty" }, t("training.not_started")));
    } catch (err) {
      if (err?.status === 404) setChildren(head, h("p", { class: "empty" }, t("training.not_found", { id: tid })));
      else ctx.reportError(err);
    }
  }

  const soon = () => {
    timer ||= setTimeout(() => {
      timer = 0;
      load();
    }, RELOAD_MS);
  };
  runPick.addEventListener("change", load);
  csv.addEventListener("click", async () => {
    status.clear();
    csv.disabled = true;
    try {
      await downloadAttendanceCsv(tid, session.token);
      status.ok(t("training.csv_done"));
    } catch (err) {
      status.fail(err);
    } finally {
      csv.disabled = false;
    }
  });
  // A run of this training moved (acknowledgements came in), or a broadcast we do not know yet
  // went out: it may be this training's next run starting.
  const offs = [
    live.on("broadcast_progress", (ev) => {
      if (!training || known.has(ev.broadcast_id) || ev.broadcast_id > Math.max(0, ...known)) soon();
    }),
    fleet.on("reset", load),
  ];
  load();
  return () => {
    gone = true;
    clearTimeout(timer);
    for (const off of offs) off();
  };
}

export function mount(el, ctx, [tid]) {
  return tid ? mountOne(el, ctx, tid) : mountList(el, ctx);
}
