/**
 * The pages of the console. A new page is one entry here and one module in pages/ exporting
 * mount(element, ctx, params) -> unmount. Entries with `nav` appear in the header, in this order.
 */
import { loadSession } from "./core/session.js";

export const ROUTES = [
  { name: "fleet", path: "/fleet", pattern: /^\/fleet$/, nav: "nav.fleet", load: () => import("./pages/fleet.js") },
  { name: "alerts", path: "/alerts", pattern: /^\/alerts$/, nav: "nav.alerts", load: () => import("./pages/alerts.js") },
  { name: "alerts", pattern: /^\/alerts\/(\d{1,12})$/, load: () => import("./pages/alert.js") },
  // Where a signed link of a group robot's message or an SMS lands (GET /a/{token}, after login).
  { name: "alerts", pattern: /^\/alerts\?alert=(\d{1,12})$/, load: () => import("./pages/alert.js") },
  { name: "stats", path: "/stats", pattern: /^\/stats$/, nav: "nav.stats", load: () => import("./pages/stats.js") },
  // broadcasts: the list in the header; compose, one broadcast and its recall board under it
  // (same name, so the header marks "broadcasts" on all of them)
  { name: "broadcasts", path: "/broadcasts", pattern: /^\/broadcasts$/, nav: "nav.broadcasts", load: () => import("./pages/broadcasts.js") },
  { name: "broadcasts", pattern: /^\/broadcasts\/new$/, load: () => import("./pages/broadcast_compose.js") },
  { name: "broadcasts", pattern: /^\/broadcasts\/(\d{1,12})$/, load: () => import("./pages/broadcast.js") },
  { name: "broadcasts", pattern: /^\/broadcasts\/(\d{1,12})\/recall$/, load: () => import("./pages/recall.js") },
  { name: "trainings", path: "/trainings", pattern: /^\/trainings(?:\/(\d{1,12}))?$/, nav: "nav.trainings", load: () => import("./pages/trainings.js") },
  { name: "typhoons", path: "/typhoons", pattern: /^\/typhoons(?:\/(\d{1,12}))?$/, nav: "nav.typhoons", load: () => import("./pages/typhoons.js") },
  { name: "ports", path: "/ports", pattern: /^\/ports$/, nav: "nav.ports", load: () => import("./pages/ports.js") },
  { name: "requests", path: "/requests", pattern: /^\/requests$/, nav: "nav.requests", load: () => import("./pages/requests.js") },
  {
    name: "admin",
    path: "/admin",
    pattern: /^\/admin(?:\/(users|grids|duty|zones))?$/,
    // In the header for admins only (read when the header is drawn, after login); the hub
    // refuses the admin calls to anyone else whatever the page shows.
    get nav() {
      return loadSession()?.role === "admin" ? "nav.admin" : null;
    },
    load: () => import("./pages/admin.js"),
  },
  { name: "incident", pattern: /^\/incident\/(\d{1,12})$/, load: () => import("./pages/incident.js") },
  { name: "vessel", pattern: /^\/vessel\/([A-Za-z0-9_-]{1,32})$/, load: () => import("./pages/vessel.js") },
];

export const DEFAULT_PATH = "/fleet";
