/**
 * Keeps the stores in step with the hub. Order matters: the live link connects first and only then
 * is the REST snapshot read, so no durable event can fall between the two; events that arrive while
 * the snapshot loads are held and applied after it. Positions are volatile (never replayed), so
 * every (re)connection, and every "resync", reads the snapshot again.
 */
import { onLangChange } from "./i18n.js";
import { perf } from "./perf.js";
import { noteHubTime } from "./time.js";

const HELLO_WAIT_MS = 3000;

export function startSync({ api, live, fleet, alerts, onError }) {
  let loading = null;
  let again = false;
  let held = [];

  // A live event says what happened, not all of the alert (its words, position, source): read
  // the alert of a new one, a few at a time (a storm raises dozens at once).
  const toRead = [];
  let reading = 0;
  function readAlert(id) {
    if (!toRead.includes(id)) toRead.push(id);
    while (reading < 4 && toRead.length) {
      const next = toRead.shift();
      reading++;
      api
        .alert(next)
        .then((a) => alerts.upsert(a))
        .catch(onError)
        .finally(() => {
          reading--;
          if (toRead.length) readAlert(toRead[0]);
        });
    }
  }

  function apply(type, data) {
    if (type === "positions") fleet.applyPositions(data.positions || []);
    else if (type === "contact") fleet.applyContact(data);
    else if (type === "alert") {
      alerts.apply(data);
      const a = alerts.open.get(data.alert_id);
      if (a && (a.data === undefined || data.action === "phase")) readAlert(a.id);
    }
    else if (type === "alert_notify") alerts.applyNotify(data);
  }

  async function reload() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        try {
          const t0 = performance.now();
          const [v, a, g] = await Promise.all([api.vessels(), api.alerts("open"), api.grids()]);
          const t1 = performance.now();
          fleet.reset(v.vessels, g.grids);
          alerts.reset(a.alerts);
          perf.snapshot(t1 - t0, performance.now() - t1, v.vessels.length);
        } catch (err) {
          onError(err);
        }
      } while (again);
    })();
    try {
      await loading;
    } finally {
      loading = null;
      const pending = held;
      held = [];
      for (const [type, data] of pending) apply(type, data);
    }
  }

  const offs = [
    live.on("hello", (data) => {
      noteHubTime(data.now, { exact: true });
      return reload();
    }),
    live.on("resync", reload),
    // The hub words alerts in the reader's language: read them again in the new one.
    onLangChange(() => reload()),
    ...["positions", "contact", "alert", "alert_notify"].map((type) =>
      live.on(type, (data) => (loading ? held.push([type, data]) : apply(type, data))),
    ),
  ];
  live.start();
  // If the live link cannot be had (a proxy that blocks WebSockets), still show the snapshot.
  const fallback = setTimeout(() => fleet.loaded || reload(), HELLO_WAIT_MS);
  return () => {
    clearTimeout(fallback);
    for (const off of offs) off();
    live.stop();
  };
}
