/**
 * The logged-in console: stores, the live link and the sync between them, the shell, the router.
 * Created at login, torn down at logout. A language change redraws the shell and the page but keeps
 * the data and the live connection.
 */
import { createApi } from "./core/api.js";
import { AlertsStore, isCritical } from "./core/alerts_store.js";
import { FleetStore } from "./core/fleet_store.js";
import { onLangChange, t } from "./core/i18n.js";
import { LiveConnection } from "./core/live.js";
import { forgetSaved, offline, stale } from "./core/offline.js";
import { navigate, startRouter } from "./core/router.js";
import { AlarmBell } from "./core/alarm_bell.js";
import { audioReady, playAlarm, soundEvents, unlockAudio } from "./core/sound.js";
import { startSync } from "./core/sync.js";
import { DEFAULT_PATH, ROUTES } from "./routes.js";
import { AlertBanner } from "./ui/banner.js";
import { h, setChildren } from "./ui/dom.js";
import { renderShell } from "./ui/shell.js";

export function mountApp(root, { session, onUnauthorized, onLogout }) {
  const api = createApi({ getToken: () => session.token, onUnauthorized });
  const fleet = new FleetStore();
  const alerts = new AlertsStore();
  const live = new LiveConnection({
    getToken: () => session.token,
    checkSession: () => api.me().catch(() => {}),
  });
  const memory = {}; // what pages keep between visits: map view, filters, selected vessel
  const ctx = { api, fleet, alerts, live, session, memory, navigate, reportError };
  const bell = new AlarmBell(alerts, playAlarm);
  let shell = null;
  let banner = null;
  let current = null; // {route, params, unmount}
  let mountSeq = 0;

  function reportError(err) {
    if (err?.status === 401) return; // handled: back to the login screen
    console.warn("SeaLink:", err);
  }

  function drawShell() {
    shell = renderShell(root, {
      routes: ROUTES,
      session,
      // The hub ends the token too (a copy of it is then worth nothing); leave whatever it says.
      onLogout: () => {
        api.logout().catch(() => {});
        forgetSaved();
        onLogout();
      },
      onEnableSound: unlockAudio,
    });
    shell.setConnection(live.status);
    shell.setSound(audioReady());
    shell.setStale(stale());
    updateAlertCount();
    if (banner) banner.attach(shell.banner);
    else banner = new AlertBanner(shell.banner, { fleet, alerts, api, session, navigate, reportError });
  }

  function updateAlertCount() {
    const open = [...alerts.open.values()];
    shell.setAlertCount(open.length, open.filter(isCritical).length);
  }

  async function show(route, params) {
    const seq = ++mountSeq;
    current?.unmount?.();
    current = { route, params, unmount: null };
    shell.setRoute(route.name);
    setChildren(shell.main, h("p", { class: "muted page-loading" }, t("common.loading")));
    const page = await route.load();
    if (seq !== mountSeq) return; // the user moved on while the module loaded
    current.unmount = page.mount(shell.main, ctx, params);
  }

  drawShell();
  const offs = [
    live.on("status", (s) => shell.setConnection(s)),
    offline.on("stale", (since) => shell.setStale(since)),
    soundEvents.on("state", (ready) => shell.setSound(ready)),
    alerts.on("change", updateAlertCount),
    onLangChange(() => {
      const was = current;
      current = null;
      was?.unmount?.();
      drawShell();
      if (was) show(was.route, was.params);
    }),
  ];
  const stopRouter = startRouter(ROUTES, DEFAULT_PATH, show);
  const stopSync = startSync({ api, live, fleet, alerts, onError: reportError });
  // For the benchmark: feed a frame through the same path as the WebSocket does.
  window.__sealinkLive = live;

  return () => {
    stopRouter();
    stopSync();
    for (const off of offs) off();
    current?.unmount?.();
    banner?.destroy();
    bell.destroy();
    delete window.__sealinkLive;
    root.replaceChildren();
  };
}
