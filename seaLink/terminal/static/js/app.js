// Wires the terminal together: configuration from the server that served the page, then the
// MQTT link and the four screens. Nothing here talks to the hub's API.

import { Distress } from "./distress.js";
import { Drill } from "./drill.js";
import { applyStatic, t, toggleLang } from "./i18n.js";
import { Inbox } from "./inbox.js";
import { VesselLink } from "./link.js";
import { Outbox } from "./outbox.js";
import { PortReports } from "./port.js";
import { Position } from "./position.js";
import { Requests } from "./request.js";
import { Store } from "./store.js";

async function main() {
  const config = await (await fetch("config.json", { cache: "no-store" })).json();
  document.getElementById("vessel-id").textContent = config.vessel_id;
  const store = new Store(config.vessel_id);
  const outbox = new Outbox(store);
  const link = new VesselLink(config, outbox);
  const position = new Position(store, link, config);
  const inbox = new Inbox(store, link, outbox);
  const drill = new Drill(store, link);
  const distress = new Distress(store, link, position, drill, config);
  const requests = new Requests(store, link);
  const ports = new PortReports(store, link, position, config);

  const renderLink = () => {
    document.body.dataset.link = link.state;
    document.getElementById("link").dataset.state = link.state;
    document.getElementById("link-text").textContent = t(`link.${link.state}`);
    const queued = document.getElementById("queued");
    queued.dataset.count = String(outbox.size());
    document.getElementById("queued-count").textContent = String(outbox.size());
  };
  const renderAll = () => {
    applyStatic();
    renderLink();
    inbox.render();
    drill.render();
    distress.render();
    requests.render();
    ports.render();
    position.render();
  };
  link.addEventListener("state", renderLink);
  outbox.addEventListener("change", renderLink);
  // A new message that asks for confirmation brings the inbox to the front.
  inbox.addEventListener("message", (e) => {
    if (e.detail.ack === "confirm" && e.detail.kind !== "distress_ack") show("inbox");
  });
  // A drill order: the crew go to the distress screen, which says it is a drill.
  drill.addEventListener("start", () => {
    show("distress");
    distress.render();
  });
  // The position shown with the distress form follows the position screen.
  position.onChange = () => distress.render();

  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => show(tab.dataset.target));
  }
  document.getElementById("lang").addEventListener("click", () => {
    toggleLang();
    renderAll();
  });

  function show(screen) {
    document.body.dataset.screen = screen;
    for (const s of document.querySelectorAll(".screen")) s.hidden = s.dataset.screen !== screen;
    for (const tab of document.querySelectorAll(".tab")) {
      tab.classList.toggle("active", tab.dataset.target === screen);
    }
    if (screen === "inbox") inbox.render(); // cards now on screen count as read
    drill.render(); // a drill ends by itself: look again at each screen change
    if (screen === "distress") distress.render();
  }

  show(store.get("distress", null) ? "distress" : "inbox");
  renderAll();
  link.start();
  // For tests and for a technician's console: the parts, read-only by convention.
  window.__terminal = { config, link, outbox, inbox, store, drill };
}

main();
