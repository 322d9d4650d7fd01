/** One vessel (#/vessel/ID): its details, its track on a small map, and its contact history. */
import { ApiError } from "../core/api.js";
import { t } from "../core/i18n.js";
import { hoursBefore } from "../core/time.js";
import { createBaseMap } from "../map/base_map.js";
import { TrackLayer } from "../map/track_layer.js";
import { VesselLayer } from "../map/vessel_layer.js";
import { alertsTable } from "../ui/alerts_table.js";
import { h, raw, setChildren } from "../ui/dom.js";
import { icon } from "../ui/icons.js";
import { drillCard } from "../ui/drill_card.js";
import { vesselDetails } from "../ui/vessel_details.js";

const TRACK_HOURS = 72;
const TRACK_LIMIT = 2000;

export function mount(el, ctx, [id]) {
  const { api, fleet, alerts, session } = ctx;
  const title = h("h1", { class: "vessel-title" });
  const details = h("div", { class: "card details-card" });
  const mapEl = h("div", { class: "map small-map", role: "region", "aria-label": t("vessel.track_map") });
  const trackNote = h("p", { class: "muted" }, t("track.loading"));
  const history = h("div", { class: "history" }, h("p", { class: "muted" }, t("common.loading")));
  setChildren(
    el,
    h(
      "section",
      { class: "page vessel-page" },
      h(
        "div",
        { class: "page-head" },
        h("a", { href: "#/fleet", class: "back-link" }, icon("back"), t("vessel.back")),
        title,
      ),
      h(
        "div",
        { class: "vessel-grid" },
        details,
        h("div", { class: "card" }, h("h2", null, t("vessel.track")), mapEl, trackNote),
      ),
      h("div", { class: "card" }, h("h2", null, t("vessel.history")), history),
      // Coordinators and admins may order a drill; a viewer is not shown the button.
      session.role === "viewer" ? null : drillCard(id, { api, onError: ctx.reportError }),
    ),
  );

  const map = createBaseMap(mapEl, api, { onLayerError: ctx.reportError });
  const track = new TrackLayer(map);
  const dot = new VesselLayer();
  map.addLayer(dot);
  let vessel = null;
  let gone = false;
  let historyTimer = 0;

  function renderVessel() {
    setChildren(title, raw(vessel.hull_name, "hull"), h("span", { class: "muted" }, ` ${vessel.id}`));
    setChildren(details, h("h2", null, t("vessel.details")), vesselDetails(vessel, fleet));
    const p = vessel.last_position;
    dot.setVessels([
      { id: vessel.id, label: vessel.hull_name, state: vessel.contact.state, lat: p?.lat, lon: p?.lon },
    ]);
  }

  async function loadTrack() {
    const p = vessel.last_position;
    if (!p) {
      trackNote.textContent = t("track.none");
      return;
    }
    try {
      const doc = await api.track(vessel.id, { since: hoursBefore(p.ts, TRACK_HOURS), limit: TRACK_LIMIT });
      if (gone) return;
      const n = track.show(doc);
      trackNote.textContent = `${t("track.count", { n, hours: TRACK_HOURS })} ${t("track.legend_short")}`;
      const b = track.bounds();
      if (b) map.fitBounds(b.pad(0.2), { maxZoom: 12, animate: false });
      else map.setView([p.lat, p.lon], 11, { animate: false });
    } catch (err) {
      trackNote.textContent = t("track.failed");
      ctx.reportError(err);
    }
  }

  async function loadHistory() {
    try {
      const r = await api.alertsOf(vessel.id);
      if (gone) return;
      const mine = r.alerts.sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at));
      setChildren(history, alertsTable(mine, fleet, { showVessel: false }));
    } catch (err) {
      ctx.reportError(err);
    }
  }

  async function load() {
    try {
      vessel = fleet.get(id) || (await api.vessel(id));
    } catch (err) {
      if (gone) return;
      if (err instanceof ApiError && err.status === 404) {
        setChildren(el, h("section", { class: "page" }, h("p", { class: "empty" }, t("vessel.not_found", { id }))));
        return;
      }
      throw err;
    }
    if (gone) return;
    renderVessel();
    loadTrack();
    loadHistory();
  }

  const offs = [
    fleet.on("positions", (moved) => {
      const v = vessel && moved.find((x) => x.id === vessel.id);
      if (!v) return;
      vessel = v;
      renderVessel();
      track.append(v.last_position);
    }),
    fleet.on("contact", (v) => {
      if (vessel && v.id === vessel.id) {
        vessel = v;
        renderVessel();
      }
    }),
    fleet.on("reset", () => {
      if (vessel && fleet.get(vessel.id)) {
        vessel = fleet.get(vessel.id);
        renderVessel();
      }
    }),
    alerts.on("change", () => {
      // Alerts come in bursts in a typhoon: read the history again at most once a second.
      historyTimer ||= setTimeout(() => {
        historyTimer = 0;
        if (vessel) loadHistory();
      }, 1000);
    }),
  ];
  load().catch(ctx.reportError);
  return () => {
    gone = true;
    clearTimeout(historyTimer);
    for (const off of offs) off();
    map.remove();
  };
}
