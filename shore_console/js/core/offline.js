/**
 * The console installed on a phone and used without network (issue 20). A service worker (sw.js)
 * keeps the console's own files and the last answers of the hub; when the hub cannot be reached it
 * answers from that store, marking the answer with the time it was saved (X-SeaLink-Stale). Every
 * answer of the API passes through `noteAnswer`: a saved one marks the page stale until a fresh
 * one comes. Logging out deletes the saved answers (they hold positions and names).
 */
import { Emitter } from "./emitter.js";

export const offline = new Emitter();
const DATA_CACHE = "sealink-data"; // the name sw.js keeps the hub's answers under
let staleSince = null; // when the oldest saved answer shown now was saved (ISO), or null

export function stale() {
  return staleSince;
}

/** Called with every API answer: is the page showing saved data now? */
export function noteAnswer(res) {
  const saved = res.headers.get("X-SeaLink-Stale");
  const was = staleSince;
  if (saved) staleSince = was && was < saved ? was : saved;
  else staleSince = null;
  if (staleSince !== was) offline.emit("stale", staleSince);
}

// Where the worker is wanted: a phone or an upright tablet (the width of css/phone.css), or the
// console opened from its icon. A desk PC is left as it was (its browser talks to the hub itself);
// once registered, the worker stays for this browser whatever the width.
const WANTED = ["(max-width: 820px)", "(display-mode: standalone)"];

/** Register the service worker (a secure origin only: https, or this PC's own address). */
export function installOffline() {
  if (!("serviceWorker" in navigator)) return;
  if (!WANTED.some((q) => window.matchMedia(q).matches)) return;
  navigator.serviceWorker
    .register("sw.js", { scope: "./" })
    .then(() => navigator.serviceWorker.ready)
    .then((reg) => {
      // The files this page was built from, loaded before the worker ran: the worker keeps them.
      const files = performance
        .getEntriesByType("resource")
        .map((e) => e.name)
        .filter((u) => new URL(u).origin === location.origin && new URL(u).pathname.startsWith("/console/"));
      reg.active?.postMessage({ keep: [location.pathname, ...files] });
    })
    .catch((err) => console.warn("SeaLink: no offline shell:", err));
}

/** Forget the hub's saved answers (at logout). */
export function forgetSaved() {
  staleSince = null;
  if (window.caches) caches.delete(DATA_CACHE).catch(() => {});
}
