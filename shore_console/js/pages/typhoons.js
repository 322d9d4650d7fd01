/**
 * Typhoon forecasts (#/typhoons, #/typhoons/ID): import a forecast file (GeoJSON, or the hub's
 * plain text form), the newest forecast of each storm, and one forecast on the map: its track and
 * 7- and 10-level wind circles (the danger area), the boats of the reader's grids inside it now or
 * on course into it, and the recall proposed for them, sent as a broadcast after a confirmation.
 */
import { ApiError } from "../core/api.js";
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { HOME, createBaseMap } from "../map/base_map.js";
import { apiErrorText } from "../ui/broadcast_labels.js";
import { h, raw, setChildren } from "../ui/dom.js";

const L = window.L;
const STYLE = { r7: { color: "#f59f00", weight: 1, fillOpacity: 0.12 }, r10: { color: "#e03131", weight: 1, fillOpacity: 0.18 }, track: { color: "#c92a2a", weight: 2, dashArray: "6 4" } };

export function mount(el, ctx, [tid]) {
  const { api, navigate, session } = ctx;
  const message = h("p", { class: "bc-message", role: "status" });
  const file = h("input", { type: "file", name: "forecast", accept: ".txt,.json,.geojson,text/plain,application/json" });
  const importButton = h("button", { type: "button", class: "button typhoon-import" }, t("typhoon.import"));
  const list = h("div", { class: "card typhoon-list" });
  const mapEl = h("div", { class: "map typhoon-map", "aria-label": t("typhoon.map_label") });
  const detail = h("div", { class: "card typhoon-detail" });
  setChildren(
    el,
    h("section", { class: "page typhoon-page" },
      h("div", { class: "page-head" }, h("h1", null, t("typhoon.title"))),
      h("p", { class: "muted tz-note" }, t("time.zone_note")),
      session.role === "admin" ? h("div", { class: "card typhoon-import-card" }, h("label", { class: "bc-field" }, h("span", { class: "bc-field-label" }, t("typhoon.file")), file), h("p", { class: "muted" }, t("typhoon.file_hint")), importButton) : null,
      message, list, mapEl, detail),
  );
  const map = createBaseMap(mapEl, api, { view: HOME, onLayerError: ctx.reportError });
  const layer = L.layerGroup().addTo(map);
  let gone = false;

  importButton.addEventListener("click", async () => {
    const f = file.files?.[0];
    if (!f) {
      message.textContent = t("typhoon.no_file");
      return;
    }
    importButton.disabled = true;
    try {
      const text = await f.text();
      const r = await api.importTyphoon(text, /\.(geo)?json$/i.test(f.name));
      message.textContent = t("typhoon.imported", { name: r.name, n: r.boats.length });
      navigate(`/typhoons/${r.id}`);
    } catch (err) {
      message.textContent = err instanceof ApiError ? apiErrorText(err) : String(err);
    } finally {
      importButton.disabled = false;
    }
  });

  function draw(view) {
    layer.clearLayers();
    const shapes = L.geoJSON(view.danger, { style: (f) => ({ ...(STYLE[f.properties.kind] || STYLE.r7), className: `typhoon-${f.properties.kind}` }), interactive: false }).addTo(layer);
    for (const b of view.boats) L.circleMarker([b.lat, b.lon], { radius: 7, color: b.inside_now ? "#e03131" : "#f59f00", weight: 3, fill: false, interactive: false }).addTo(layer);
    const bounds = shapes.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], animate: false });
  }

  function renderDetail(view) {
    const send = h("button", { type: "button", class: "button typhoon-send-recall" }, t("typhoon.send_recall", { n: view.boats.length }));
    send.addEventListener("click", async () => {
      if (!window.confirm(t("typhoon.confirm", { n: view.boats.length }))) return;
      send.disabled = true;
      try {
        const r = await api.createBroadcast(view.proposal);
        navigate(`/broadcasts/${r.broadcast.id}/recall`);
      } catch (err) {
        message.textContent = apiErrorText(err);
        send.disabled = false;
      }
    });
    setChildren(detail,
      h("h2", null, raw(view.name), " ", t("typhoon.boats", { n: view.boats.length })),
      view.boats.length
        ? h("table", { class: "bc-table typhoon-boats" },
            h("thead", null, h("tr", null, ["bc.col.vessel", "recall.col.grid", "typhoon.col.when", "recall.col.position"].map((k) => h("th", { scope: "col" }, t(k))))),
            h("tbody", null, view.boats.map((b) => h("tr", { class: "typhoon-boat-row", "data-vessel-id": b.vessel_id, "data-inside-now": String(b.inside_now) },
              h("td", null, h("a", { href: `#/vessel/${encodeURIComponent(b.vessel_id)}`, class: "vessel-link" }, raw(b.hull_name || b.vessel_id, "hull")), h("span", { class: "muted" }, " ", raw(b.vessel_id))),
              h("td", null, raw(b.grid_id)),
              h("td", null, b.inside_now ? t("typhoon.inside_now") : t("typhoon.enters_at", { at: formatTime(b.enters_at) })),
              h("td", null, `${b.lat.toFixed(3)}, ${b.lon.toFixed(3)}`)))))
        : h("p", { class: "empty" }, t("typhoon.no_boats")),
      view.proposal && session.role !== "viewer" ? h("div", { class: "bc-actions" }, send) : null);
  }

  async function load() {
    try {
      const { typhoons } = await api.typhoons();
      if (gone) return;
      const current = tid ? Number(tid) : typhoons[0]?.id;
      setChildren(list, h("h2", null, t("typhoon.list")), typhoons.length
        ? h("ul", { class: "typhoon-names" }, typhoons.map((x) => h("li", { "data-typhoon-id": String(x.id), class: x.id === current ? "current" : "" },
            h("a", { href: `#/typhoons/${x.id}` }, raw(x.name)), h("span", { class: "muted" }, " ", t("typhoon.imported_at", { at: formatTime(x.created_at), n: x.points })))))
        : h("p", { class: "empty" }, t("typhoon.none")));
      if (!current) return;
      const view = await api.typhoon(current);
      if (gone) return;
      draw(view);
      renderDetail(view);
    } catch (err) {
      if (!gone && err?.status !== 401) message.textContent = apiErrorText(err);
    }
  }
  load();
  return () => {
    gone = true;
    map.remove();
  };
}
