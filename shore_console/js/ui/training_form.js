/**
 * The form that schedules a training session: title, study pack (sent at once), when (one-off in
 * Beijing time, or a recurring crontab in Asia/Shanghai), targets (grids or vessels) and an
 * optional quiz scored against a pass mark. `onCreated(training)` gets the hub's answer.
 */
import { t } from "../core/i18n.js";
import { busy, field, fromBeijingInput, input, select, statusLine, textarea, toBeijingInput, words } from "./admin_form.js";
import { h, raw } from "./dom.js";

const LETTERS = "ABCDEFGH";

function questionEditor(onRemove) {
  const text = input("q_text", { maxlength: 500, required: true });
  const options = textarea("q_options", { rows: 3, placeholder: t("training.quiz.options_hint") });
  const answer = select("q_answer", [...LETTERS].map((l) => [l, l]));
  const el = h(
    "fieldset",
    { class: "quiz-question" },
    h("legend", null, t("training.quiz.question")),
    field("training.quiz.text", text, { wide: true }),
    field("training.quiz.options", options, { wide: true }),
    field("training.quiz.answer", answer),
    h("button", { type: "button", class: "quiz-remove", onclick: () => onRemove(el) }, t("training.quiz.remove")),
  );
  return {
    el,
    value() {
      const opts = options.value.split("\n").map((s) => s.trim()).filter(Boolean);
      return { text: text.value.trim(), options: opts, answer: answer.value };
    },
  };
}

export function trainingForm({ api, grids, onCreated }) {
  const title = input("title", { maxlength: 200, required: true });
  const pack = textarea("study_pack", { rows: 4, maxlength: 20000, required: true });
  const notice = textarea("start_notice", { rows: 2, maxlength: 2000, placeholder: t("training.start_notice_hint") });
  const mode = select("mode", [["once", t("training.mode.once")], ["cron", t("training.mode.cron")]]);
  const startsAt = input("starts_at", { type: "datetime-local", value: toBeijingInput(null, 60) });
  const cron = input("cron", { maxlength: 64, placeholder: "0 9 * * 1" });
  const duration = input("duration_min", { type: "number", min: 5, max: 600, value: 45 });
  const passMark = input("pass_mark", { type: "number", min: 0, max: 100, value: 80 });
  const gridBoxes = grids.map(([id, name]) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "grid", value: id }), raw(name), ` (${id})`),
  );
  const vessels = input("vessels", { placeholder: t("training.vessels_hint") });
  const questions = [];
  const quizList = h("div", { class: "quiz-list" });
  const status = statusLine();

  const startsField = field("training.starts_at", startsAt, { hint: t("time.zone_note") });
  const cronField = field("training.cron", cron, { hint: t("training.cron_hint") });
  cronField.hidden = true;
  mode.addEventListener("change", () => {
    const once = mode.value === "once";
    startsField.hidden = !once;
    cronField.hidden = once;
  });

  function addQuestion() {
    const q = questionEditor((el) => {
      questions.splice(questions.indexOf(q), 1);
      el.remove();
    });
    questions.push(q);
    quizList.append(q.el);
  }

  const submit = h("button", { type: "submit", class: "primary training-create" }, t("training.create"));
  const form = h(
    "form",
    { class: "card form-grid training-form", novalidate: true },
    h("h2", { class: "wide" }, t("training.new")),
    field("training.title_field", title, { wide: true }),
    field("training.study_pack", pack, { wide: true }),
    field("training.start_notice", notice, { wide: true }),
    field("training.mode", mode),
    startsField,
    cronField,
    field("training.duration", duration),
    h("fieldset", { class: "wide target-grids" }, h("legend", null, t("training.targets")), gridBoxes),
    field("training.vessels", vessels, { wide: true }),
    h("div", { class: "wide" }, h("h3", null, t("training.quiz")), quizList,
      h("button", { type: "button", class: "quiz-add", onclick: addQuestion }, t("training.quiz.add"))),
    field("training.pass_mark", passMark),
    h("div", { class: "wide form-actions" }, submit, status.el),
  );

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    status.clear();
    const target = {
      grids: gridBoxes.map((l) => l.querySelector("input")).filter((c) => c.checked).map((c) => c.value),
      vessels: words(vessels.value),
    };
    if (!target.grids.length && !target.vessels.length) {
      status.fail({ message: t("training.no_target") });
      return;
    }
    const body = {
      title: title.value.trim(),
      study_pack: pack.value.trim(),
      target,
      duration_min: Number(duration.value),
      pass_mark: Number(passMark.value),
      quiz: questions.map((q) => q.value()),
    };
    if (notice.value.trim()) body.start_notice = notice.value.trim();
    if (mode.value === "once") body.starts_at = fromBeijingInput(startsAt.value);
    else body.cron = cron.value.trim();
    busy(submit, async () => {
      try {
        const created = await api.createTraining(body);
        status.ok(t("training.created", { id: created.id }));
        onCreated(created);
      } catch (err) {
        status.fail(err);
      }
    });
  });
  return form;
}
