/** Order a drill (演练) for one boat from its page: a distress or a man-overboard exercise. The
 * boat's terminal shows the order as a drill; the crew raise the alarm, which the hub and every
 * console then carry as 演练 / EXERCISE end to end. Two presses: choose, then confirm. */
import { t } from "../core/i18n.js";
import { h } from "./dom.js";
import { drillBadge } from "./alert_words.js";

const KINDS = ["distress", "man_overboard"];

export function drillCard(vesselId, { api, onError }) {
  const kind = h("select", { name: "drill_kind", class: "drill-kind", "aria-label": t("drill.kind") },
    KINDS.map((k) => h("option", { value: k }, t(`drill.kind.${k}`))));
  const start = h("button", { type: "button", class: "drill-start" }, t("drill.start"));
  const confirm = h("button", { type: "button", class: "drill-confirm primary", hidden: true }, t("drill.confirm"));
  const cancel = h("button", { type: "button", class: "drill-cancel", hidden: true }, t("drill.cancel"));
  const status = h("p", { class: "form-status drill-status", role: "status" });

  const arm = (on) => {
    start.hidden = on;
    confirm.hidden = !on;
    cancel.hidden = !on;
    kind.disabled = on;
  };
  start.addEventListener("click", () => {
    status.className = "form-status drill-status";
    status.textContent = t("drill.are_you_sure", { kind: t(`drill.kind.${kind.value}`) });
    arm(true);
  });
  cancel.addEventListener("click", () => {
    status.textContent = "";
    arm(false);
  });
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      const r = await api.drill(vesselId, kind.value);
      status.className = "form-status drill-status ok";
      status.textContent = t("drill.sent", { kind: t(`drill.kind.${r.kind}`) });
    } catch (err) {
      onError?.(err);
      status.className = "form-status drill-status failed";
      status.textContent = t("drill.failed", { msg: err?.message || String(err) });
    } finally {
      confirm.disabled = false;
      arm(false);
    }
  });

  return h(
    "div",
    { class: "card drill-card" },
    h("h2", null, drillBadge(), " ", t("drill.title")),
    h("p", { class: "muted" }, t("drill.hint")),
    h("div", { class: "form-actions" }, kind, start, confirm, cancel),
    status,
  );
}
