// A fisherman's request to the grid's coordinators (protocol §2.6). The answer comes back as a
// `reply` down message in the inbox.

import { t } from "./i18n.js";
import { beijingTime, nowIso } from "./store.js";

// The protocol's examples, most asked for first; `category` is free lowercase, these are enough.
const CATEGORIES = ["equipment", "medical", "supplies", "weather", "policy", "legal", "other"];

export class Requests {
  constructor(store, link) {
    this.store = store;
    this.link = link;
    this.sent = store.get("requests", []);
    this.category = "equipment";
    link.outbox.addEventListener("change", () => this.render());
    this._wire();
  }

  _wire() {
    const choices = document.getElementById("category-choices");
    for (const c of CATEGORIES) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "choice";
      b.dataset.value = c;
      b.setAttribute("role", "radio");
      b.addEventListener("click", () => {
        this.category = c;
        this.render();
      });
      choices.append(b);
    }
    document.getElementById("request-send").addEventListener("click", () => this.submit());
  }

  submit() {
    const box = document.getElementById("request-text");
    const text = box.value.trim();
    if (!text) {
      box.placeholder = t("needText");
      box.focus();
      return;
    }
    const request = { request_id: this.store.newId("R"), ts: nowIso(), category: this.category, text };
    this.sent.unshift(request);
    this.sent = this.sent.slice(0, 50);
    this.store.set("requests", this.sent);
    this.link.send(`request:${request.request_id}`, "request", request);
    box.value = "";
    this.render();
  }

  render() {
    for (const b of document.querySelectorAll("#category-choices .choice")) {
      b.textContent = t(`category.${b.dataset.value}`);
      b.setAttribute("aria-checked", String(b.dataset.value === this.category));
    }
    const list = document.getElementById("request-list");
    list.replaceChildren(
      ...this.sent.map((r) => {
        const li = document.createElement("li");
        const queued = this.link.outbox.has(`request:${r.request_id}`);
        li.className = "request-item";
        li.dataset.requestId = r.request_id;
        li.dataset.state = queued ? "queued" : "sent";
        const head = document.createElement("div");
        head.className = "request-head";
        head.textContent = `${t(`category.${r.category}`)} · ${beijingTime(r.ts)} · ${t(queued ? "request.queued" : "request.sent")}`;
        const body = document.createElement("p");
        body.textContent = r.text;
        li.append(head, body);
        return li;
      }),
    );
  }
}
