// The skipper's port entry and exit report (进出港报告, protocol §2.10): leaving or entering a
// harbour, with the persons aboard. The harbour is the one named here, else the hub finds it from
// the position (inside it, or just outside); a report the hub cannot place comes back as a
// `refused` notice in the inbox.

import { t, tf } from "./i18n.js";
import { beijingTime, nowIso } from "./store.js";

export class PortReports {
  constructor(store, link, position, config) {
    this.store = store;
    this.link = link;
    this.position = position;
    this.sent = store.get("port-reports", []);
    this.registered = typeof config.persons === "number" ? config.persons : null;
    link.outbox.addEventListener("change", () => this.render());
    const persons = document.getElementById("port-persons");
    if (this.registered !== null && !persons.value) persons.value = String(this.registered);
    document.getElementById("port-out").addEventListener("click", () => this.submit("out"));
    document.getElementById("port-in").addEventListener("click", () => this.submit("in"));
  }

  submit(kind) {
    const error = document.getElementById("port-error");
    const persons = Number(document.getElementById("port-persons").value);
    const port = document.getElementById("port-name").value.trim();
    const fix = this.position.fix();
    error.hidden = true;
    if (!Number.isInteger(persons) || persons < 0 || persons > 500) {
      error.textContent = t("port.badPersons");
      error.hidden = false;
      return;
    }
    if (!port && !fix) {
      error.textContent = t("port.needWhere");
      error.hidden = false;
      return;
    }
    const report = { report_id: this.store.newId("P"), ts: nowIso(), kind, persons };
    if (port) report.port = port;
    if (fix) Object.assign(report, { lat: fix.lat, lon: fix.lon });
    this.sent.unshift(report);
    this.sent = this.sent.slice(0, 50);
    this.store.set("port-reports", this.sent);
    this.link.send(`port:${report.report_id}`, "port", report);
    this.render();
  }

  render() {
    const list = document.getElementById("port-list");
    list.replaceChildren(
      ...this.sent.map((r) => {
        const li = document.createElement("li");
        const queued = this.link.outbox.has(`port:${r.report_id}`);
        li.className = "port-item";
        li.dataset.reportId = r.report_id;
        li.dataset.kind = r.kind;
        li.dataset.state = queued ? "queued" : "sent";
        li.textContent = `${t(`port.${r.kind}`)} · ${r.port || t("port.byPosition")} · ${tf("port.persons", { n: r.persons })} · ${beijingTime(r.ts)} · ${t(queued ? "request.queued" : "request.sent")}`;
        return li;
      }),
    );
  }
}
