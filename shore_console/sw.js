/*
 * The console's service worker: what lets a grid worker open the console on a phone without network
 * and see the last known data, marked as stale (js/core/offline.js shows the mark).
 *
 * - The console's own files: from the network when it answers (so an updated hub's console is used
 *   at once), else from the copy kept here. The page tells the worker which files it was built from
 *   (they load before the worker runs); modules loaded later are kept as they pass.
 * - The hub's answers to GET /api/...: from the network; the last good answer of each address is
 *   kept, and given back when the network fails, with X-SeaLink-Stale: <when it was saved>.
 * - Anything else (sending, acknowledging, logging in) goes to the network only: an action is never
 *   answered from a copy.
 */
const SHELL_CACHE = "sealink-shell-v1";
const DATA_CACHE = "sealink-data";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith("sealink-shell-") && n !== SHELL_CACHE).map((n) => caches.delete(n))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  const keep = event.data?.keep;
  if (!Array.isArray(keep)) return;
  const scope = new URL(self.registration.scope);
  const files = keep.map((u) => new URL(u, scope)).filter((u) => u.origin === scope.origin && u.pathname.startsWith(scope.pathname));
  event.waitUntil(caches.open(SHELL_CACHE).then((c) => Promise.all(files.map((u) => c.add(u.href).catch(() => {})))));
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) {
    if (url.pathname.endsWith("/events")) return; // the live link (a WebSocket) is not kept
    event.respondWith(apiAnswer(req, event));
  } else if (url.pathname.startsWith(new URL(self.registration.scope).pathname)) {
    event.respondWith(shellFile(req));
  }
});

async function shellFile(req) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const res = await fetch(req);
    if (res.ok) await cache.put(req, res.clone());
    return res;
  } catch (err) {
    // The page itself under any hash, or a file kept here.
    const kept = await cache.match(req, { ignoreSearch: true });
    if (kept) return kept;
    throw err;
  }
}

// The answer goes to the page at once; it is kept while the page reads it (a desk's fleet snapshot
// of 10,000 boats is not held up by the copy).
async function keep(req, res) {
  const body = await res.arrayBuffer();
  const headers = new Headers(res.headers);
  headers.set("X-SeaLink-Saved", new Date().toISOString());
  const cache = await caches.open(DATA_CACHE);
  await cache.put(req, new Response(body, { status: res.status, headers }));
}

async function apiAnswer(req, event) {
  try {
    const res = await fetch(req);
    if (res.ok) event.waitUntil(keep(req, res.clone()).catch(() => {}));
    return res;
  } catch (err) {
    const kept = await caches.match(req, { cacheName: DATA_CACHE });
    if (!kept) throw err;
    const headers = new Headers(kept.headers);
    headers.set("X-SeaLink-Stale", kept.headers.get("X-SeaLink-Saved") || "");
    return new Response(await kept.arrayBuffer(), { status: kept.status, headers });
  }
}
