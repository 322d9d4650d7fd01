/**
 * Zones (admin): the zones in force with their kind, season calendar and buffer; retire one;
 * exempt a vessel from one (a permit); add a zone drawn on the offline map or pasted as GeoJSON
 * (Polygon, LineString, or Point with a radius). Every open map redraws the zones after a change.
 */
import { getLang, t } from "../core/i18n.js";
import { zonesChanged } from "../map/base_map.js";
import { busy, field, input, select, statusLine, textarea } from "./admin_form.js";
import { zoneDrawer } from "./admin_zone_draw.js";
import { h, raw, setChildren } from "./dom.js";
// Zone kinds are labelled like a zone alert's phase (which is the kind of zone).
import { phaseLabel } from "./labels.js";

const KINDS = ["protected", "moratorium", "sensitive", "shipping_lane", "port"];
const ZONE_COLUMNS = [
  "admin.zone.id",
  "admin.zone.name",
  "admin.zone.kind",
  "admin.zone.shape",
  "admin.zone.calendar",
  "admin.zone.buffer",
  "admin.col.actions",
];

/** The geometry of pasted GeoJSON: a geometry, a Feature, or a FeatureCollection's first. */
export function pastedGeometry(text) {
  const doc = JSON.parse(text);
  const g = doc.type === "FeatureCollection" ? doc.features?.[0]?.geometry : doc.type === "Feature" ? doc.geometry : doc;
  if (!g || !["Polygon", "Point", "LineString"].includes(g.type)) throw new Error(t("admin.zone.bad_geojson"));
  return g;
}

function addForm({ api, status, reload, drawer }) {
  const name = input("zone_name", { maxlength: 128, required: true });
  const nameEn = input("zone_name_en", { maxlength: 128 });
  const kind = select("zone_kind", KINDS.map((k) => [k, phaseLabel(k)]));
  const calendar = input("zone_calendar", { maxlength: 128, placeholder: "05-01 12:00 to 08-16 12:00" });
  const buffer = input("zone_buffer", { type: "number", min: 0, max: 100, step: 0.1, value: 0 });
  const radius = input("zone_radius", { type: "number", min: 0, max: 500, step: 0.1, value: 0 });
  const geojson = textarea("zone_geojson", { rows: 4, placeholder: t("admin.zone.geojson_hint") });
  const submit = h("button", { type: "submit", class: "primary zone-add" }, t("admin.zone.add"));
  const form = h(
    "form",
    { class: "card form-grid zone-form", novalidate: true },
    h("h2", { class: "wide" }, t("admin.zone.new")),
    field("admin.zone.name", name),
    field("admin.zone.name_en", nameEn),
    field("admin.zone.kind", kind),
    field("admin.zone.calendar", calendar, { hint: t("admin.zone.calendar_hint") }),
    field("admin.zone.buffer", buffer),
    field("admin.zone.radius", radius),
    h("div", { class: "wide" }, drawer.el),
    field("admin.zone.geojson", geojson, { wide: true }),
    h("div", { class: "wide form-actions" }, submit),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    let geometry;
    try {
      if (geojson.value.trim()) geometry = pastedGeometry(geojson.value);
      else {
        const ring = drawer.ring();
        if (!ring) throw new Error(t("admin.zone.no_shape"));
        geometry = { type: "Polygon", coordinates: [ring] };
      }
    } catch (err) {
      status.fail(err);
      return;
    }
    const body = {
      name: name.value.trim(),
      name_en: nameEn.value.trim(),
      kind: kind.value,
      geometry,
      buffer_nmi: Number(buffer.value) || 0,
      radius_nmi: Number(radius.value) || 0,
      calendar: calendar.value.trim(),
    };
    busy(submit, async () => {
      try {
        const r = await api.addZone(body);
        status.ok(t("admin.zone.added", { id: r.id }));
        form.reset();
        drawer.reset();
        zonesChanged(); // every open map draws the new zone
        reload();
      } catch (err) {
        status.fail(err);
      }
    });
  });
  return form;
}

function zoneRow(f, { api, status, reload }) {
  const p = f.properties;
  const retire = h("button", { type: "button", class: "zone-retire" }, t("admin.zone.retire"));
  retire.addEventListener("click", () => {
    if (!window.confirm(t("admin.zone.retire_confirm", { name: p.name }))) return;
    busy(retire, async () => {
      try {
        await api.retireZone(p.id);
        status.ok(t("admin.zone.retired", { name: p.name }));
        zonesChanged();
        reload();
      } catch (err) {
        status.fail(err);
      }
    });
  });
  const vessel = input("permit_vessel", { maxlength: 32, placeholder: t("admin.zone.permit_vessel") });
  const note = input("permit_note", { maxlength: 256, placeholder: t("admin.zone.permit_note") });
  const permit = h("button", { type: "button", class: "zone-permit" }, t("admin.zone.permit"));
  permit.addEventListener("click", () =>
    busy(permit, async () => {
      try {
        await api.permitZone(p.id, { vessel_id: vessel.value.trim(), note: note.value.trim() });
        status.ok(t("admin.zone.permitted", { vessel: vessel.value.trim(), name: p.name }));
        vessel.value = note.value = "";
      } catch (err) {
        status.fail(err);
      }
    }),
  );
  const shown = getLang() === "en" ? p.name_en || p.name : p.name;
  return h(
    "tr",
    { class: "zone-row", "data-zone-id": p.id },
    h("td", null, String(p.id)),
    h("td", null, raw(shown)),
    h("td", null, phaseLabel(p.kind)),
    h("td", null, f.geometry.type),
    h("td", null, p.calendar ? raw(p.calendar) : t("admin.zone.all_year")),
    h("td", null, String(p.buffer_nmi || 0)),
    h("td", { class: "row-actions" }, retire, vessel, note, permit),
  );
}

export function zonesPanel(el, { api, reportError }) {
  const status = statusLine();
  const list = h("div", { class: "table-wrap" }, h("p", { class: "muted" }, t("common.loading")));
  const drawer = zoneDrawer(api, { onLayerError: reportError });
  const form = addForm({ api, status, reload, drawer });
  setChildren(el, form, status.el, h("div", { class: "card" }, h("h2", null, t("admin.zones")), list));
  drawer.start();
  let gone = false;

  async function reload() {
    try {
      const doc = await api.zones();
      if (gone) return;
      setChildren(
        list,
        h(
          "table",
          { class: "stats-table zones-table" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ZONE_COLUMNS.map((k) => h("th", { scope: "col" }, t(k))),
            ),
          ),
          h("tbody", null, (doc.features || []).map((f) => zoneRow(f, { api, status, reload }))),
        ),
      );
    } catch (err) {
      reportError(err);
    }
  }
  reload();
  return () => {
    gone = true;
    drawer.destroy();
  };
}
