/**
 * The fleet map: counters per contact state, the map with every vessel coloured by contact state,
 * the fleet list, and the panel and track of the vessel clicked. Live from the stores.
 */
import { t } from "../core/i18n.js";
import { hoursBefore } from "../core/time.js";
import { alertPath } from "../core/alarm_kinds.js";
import { HOME, createBaseMap } from "../map/base_map.js";
import { DistressLayer } from "../map/distress_layer.js";
import { TrackLayer } from "../map/track_layer.js";
import { VesselLayer } from "../map/vessel_layer.js";
import { Counters } from "../ui/counters.js";
import { h, setChildren } from "../ui/dom.js";
import { FleetList } from "../ui/fleet_list.js";
import { VesselPanel } from "../ui/vessel_panel.js";

const L = window.L;
const TRACK_HOURS = 24;
const TRACK_LIMIT = 2000;

export function mount(el, ctx) {
  const { fleet, api, memory, alerts } = ctx;
  const countersEl = h("div", { class: "counters", role: "group", "aria-label": t("counters.label") });
  const mapEl = h("div", { class: "map", role: "region", "aria-label": t("map.label") });
  const panelEl = h("section", { class: "vessel-panel", "aria-live": "polite" });
  const listEl = h("section", { class: "fleet-list", "aria-label": t("list.label") });
  setChildren(
    el,
    h(
      "section",
      { class: "page fleet-page" },
      countersEl,
      h("div", { class: "fleet-body" }, mapEl, h("aside", { class: "side" }, panelEl, listEl)),
    ),
  );

  const map = createBaseMap(mapEl, api, { view: memory.mapView || HOME, onLayerError: ctx.reportError });
  const vessels = new VesselLayer();
  map.addLayer(vessels);
  const track = new TrackLayer(map);
  const distress = new DistressLayer(map, {
    onOpen: (m) => ctx.navigate(alertPath({ id: m.alert_id, type: "distress", incident_id: m.incident_id })),
  });

  /** The boats in distress now: every open distress call, where it was raised. */
  function markDistress() {
    const marks = [];
    for (const a of alerts.open.values()) {
      if (a.type !== "distress") continue;
      const v = fleet.get(a.vessel_id);
      const p = v?.last_position;
      marks.push({
        alert_id: a.id, incident_id: a.incident_id, vessel_id: a.vessel_id,
        name: v?.hull_name || a.hull_name || a.vessel_id,
        lat: a.lat ?? p?.lat, lon: a.lon ?? p?.lon, exercise: !!a.exercise, acked: a.state !== "raised",
      });
    }
    distress.show(marks);
  }
  const counters = new Counters(countersEl, { onPick: (state) => list.setState(state) });
  const panel = new VesselPanel(panelEl, { fleet, onClose: () => select(null) });
  const list = new FleetList(listEl, {
    fleet,
    filters: memory.fleetFilters,
    onSelect: (id) => select(id, { pan: true }),
    onFilter: (filters) => {
      memory.fleetFilters = { ...filters };
      applyFilter();
    },
  });
  let trackRequest = 0;

  function applyFilter() {
    vessels.setFilter((id) => list.matches(fleet.get(id)));
    renderCounters();
  }

  function renderCounters() {
    counters.render(
      fleet.counts((v) => list.matches(v, { ignoreState: true })),
      list.filters.state,
    );
  }

  function dots() {
    return [...fleet.vessels.values()].map((v) => ({
      id: v.id,
      label: v.hull_name,
      state: v.contact.state,
      lat: v.last_position?.lat,
      lon: v.last_position?.lon,
    }));
  }

  function fitToFleet() {
    const pts = [...fleet.vessels.values()]
      .filter((v) => v.last_position)
      .map((v) => [v.last_position.lat, v.last_position.lon]);
    // No animation: the first view should simply be there, not fly in.
    if (pts.length) {
      map.fitBounds(L.latLngBounds(pts), { padding: [40, 40], maxZoom: 11, animate: false });
    }
  }

  function loadAll() {
    vessels.setVessels(dots());
    list.refresh();
    applyFilter();
    if (!memory.mapView && !memory.fitted) {
      memory.fitted = true;
      fitToFleet();
    }
    if (panel.id) panel.update();
    markDistress();
  }

  async function loadTrack(v) {
    const request = ++trackRequest;
    track.clear();
    if (!v.last_position) {
      panel.setTrackText(t("track.none"));
      return;
    }
    try {
      const doc = await api.track(v.id, {
        since: hoursBefore(v.last_position.ts, TRACK_HOURS),
        limit: TRACK_LIMIT,
      });
      if (request !== trackRequest) return; // another vessel was clicked meanwhile
      const n = track.show(doc);
      panel.setTrackText(t("track.count", { n, hours: TRACK_HOURS }));
    } catch (err) {
      if (request === trackRequest) panel.setTrackText(t("track.failed"));
      ctx.reportError(err);
    }
  }

  function select(id, { pan = false } = {}) {
    memory.selected = id;
    vessels.setSelected(id);
    list.setSelected(id);
    if (!id) {
      panel.hide();
      trackRequest++;
      track.clear();
      return;
    }
    const v = fleet.get(id);
    if (!v) return;
    panel.show(id);
    loadTrack(v);
    if (pan && v.last_position) {
      const ll = [v.last_position.lat, v.last_position.lon];
      if (!map.getBounds().pad(-0.1).contains(ll)) map.panTo(ll);
    }
  }

  let refreshFrame = 0;
  function refreshSoon() {
    // Contact changes come in bursts (a typhoon signal re-judges a whole fleet): one refresh a frame.
    refreshFrame ||= requestAnimationFrame(() => {
      refreshFrame = 0;
      list.refresh();
      renderCounters();
    });
  }

  vessels.on("vesselclick", (e) => select(e.id));
  const offs = [
    alerts.on("change", markDistress),
    fleet.on("reset", loadAll),
    fleet.on("positions", (moved) => {
      vessels.move(
        moved.map((v) => ({ id: v.id, lat: v.last_position.lat, lon: v.last_position.lon })),
      );
      list.updateVisible();
      const sel = panel.id && moved.find((v) => v.id === panel.id);
      if (sel) {
        panel.update();
        track.append(sel.last_position);
      }
    }),
    fleet.on("contact", (v) => {
      vessels.setState(v.id, v.contact.state);
      if (v.id === panel.id) panel.update();
      refreshSoon();
    }),
  ];

  // Checks for the tests and the benchmark: where and in what colour a vessel is drawn.
  window.__sealinkMap = { map, vessels, track, distress };
  if (fleet.loaded) loadAll();
  markDistress();
  if (memory.selected && fleet.get(memory.selected)) select(memory.selected);

  return () => {
    memory.mapView = { center: map.getCenter(), zoom: map.getZoom() };
    cancelAnimationFrame(refreshFrame);
    for (const off of offs) off();
    list.destroy();
    map.remove();
    if (window.__sealinkMap?.map === map) delete window.__sealinkMap;
  };
}
