/**
 * Compose a broadcast (#/broadcasts/new): text, kind (a typhoon warning may carry a signal and a
 * recall order with a deadline), priority, expiry, the reply expected, and the target: all, grids,
 * fishing groups, named vessels, at sea only, a circle or a polygon drawn on the map. The number of
 * vessels the target picks is counted in the page as the coordinator goes (the hub has no dry run;
 * it decides at sending, and its refusals are shown in plain words).
 */
import { t } from "../core/i18n.js";
import { HOME, createBaseMap } from "../map/base_map.js";
import { AreaDrawer } from "../map/draw_area.js";
import { VesselLayer } from "../map/vessel_layer.js";
import { KINDS, REPLIES, SIGNALS, apiErrorText, kindLabel, replyLabel, signalLabel } from "../ui/broadcast_labels.js";
import { isEmptyTarget, portChecker, selectTargets } from "../ui/broadcast_targets.js";
import { h, raw, setChildren } from "../ui/dom.js";
import { icon } from "../ui/icons.js";

const L = window.L;
const BEIJING = "+08:00";
const MAX_HIGHLIGHTS = 3000; // beyond this the count says enough; rings would only clutter

/** A datetime-local value read as Beijing time, as UTC ISO (null when empty or unreadable). */
export function beijingInputToIso(value) {
  if (!value) return null;
  const ms = Date.parse(`${value.length === 16 ? `${value}:00` : value}${BEIJING}`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const field = (label, control, extra = {}) => h("label", { class: "bc-field", ...extra }, h("span", { class: "bc-field-label" }, label), control);

export function mount(el, ctx) {
  const { api, fleet, navigate, session } = ctx;
  const form = h("form", { class: "card bc-compose-form", novalidate: true });
  const mapEl = h("div", { class: "map bc-compose-map", "aria-label": t("bc.map_label") });
  const message = h("p", { class: "bc-message", role: "alert" });
  setChildren(
    el,
    h(
      "section",
      { class: "page bc-compose-page" },
      h(
        "div",
        { class: "page-head" },
        h("a", { href: "#/broadcasts", class: "back-link" }, icon("back"), t("bc.back_to_list")),
        h("h1", null, t("bc.compose_title")),
      ),
      h("div", { class: "bc-compose-grid" }, form, h("div", { class: "bc-compose-side" }, mapEl, h("p", { class: "muted" }, t("bc.map_hint")))),
    ),
  );

  // ---- the form ------------------------------------------------------------------------------
  const kind = h("select", { name: "kind" }, KINDS.map((k) => h("option", { value: k }, kindLabel(k))));
  const signal = h("select", { name: "signal" }, h("option", { value: "" }, t("bc.signal_none")), SIGNALS.map((s) => h("option", { value: s }, signalLabel(s))));
  const recallOn = h("input", { type: "checkbox", name: "recall" });
  const recallDeadline = h("input", { type: "datetime-local", name: "recall_deadline", step: "60" });
  const recallShelter = h("input", { type: "text", name: "recall_shelter", maxlength: "64", autocomplete: "off", placeholder: t("bc.recall_shelter_hint") });
  const title = h("input", { type: "text", name: "title", maxlength: "200", required: true, autocomplete: "off" });
  const body = h("textarea", { name: "body", rows: "5", maxlength: "5000", required: true });
  const priority = h("select", { name: "priority" }, h("option", { value: "" }, t("bc.priority_default")),
    [...Array(10).keys()].map((p) => h("option", { value: String(p) }, t("bc.priority_n", { n: p }))));
  const reply = h("select", { name: "reply" }, h("option", { value: "" }, t("bc.reply_default")), REPLIES.map((r) => h("option", { value: r }, replyLabel(r))));
  const perCrew = h("input", { type: "checkbox", name: "per_crew" });
  const expires = h("input", { type: "datetime-local", name: "expires_at", step: "60" });
  const warningOnly = h(
    "fieldset",
    { class: "bc-warning-fields" },
    h("legend", null, t("bc.warning_fields")),
    field(t("bc.signal"), signal),
    h("label", { class: "bc-check" }, recallOn, t("bc.recall_order")),
    field(t("bc.recall_deadline"), recallDeadline, { class: "bc-field bc-recall-deadline" }),
    field(t("bc.recall_shelter"), recallShelter, { class: "bc-field bc-recall-shelter" }),
  );

  const all = h("input", { type: "checkbox", name: "target_all" });
  const atSea = h("input", { type: "checkbox", name: "target_at_sea" });
  const gridsBox = h("div", { class: "bc-choices bc-grids" });
  const groupsBox = h("div", { class: "bc-choices bc-groups" });
  const vesselIds = h("input", { type: "text", name: "target_vessels", autocomplete: "off", placeholder: t("bc.vessels_placeholder") });
  const areaButtons = h("div", { class: "bc-area-tools" });
  const radius = h("input", { type: "number", name: "radius_nmi", min: "0.1", max: "500", step: "0.1", value: "5" });
  const areaNote = h("p", { class: "muted bc-area-note", role: "status" });
  const count = h("p", { class: "bc-count", role: "status", "aria-live": "polite" });
  const send = h("button", { type: "submit", class: "primary bc-send" }, t("bc.send"));

  setChildren(
    form,
    h("h2", null, t("bc.message")),
    field(t("bc.title_field"), title),
    field(t("bc.body_field"), body),
    h("div", { class: "bc-row" }, field(t("bc.kind"), kind), field(t("bc.priority"), priority), field(t("bc.reply"), reply)),
    warningOnly,
    h("div", { class: "bc-row" }, field(t("bc.expires"), expires), h("label", { class: "bc-check" }, perCrew, t("bc.per_crew"))),
    h("p", { class: "muted tz-note" }, t("bc.times_beijing")),
    h("h2", null, t("bc.targets")),
    h("div", { class: "bc-row" }, h("label", { class: "bc-check" }, all, t("bc.target_all")), h("label", { class: "bc-check" }, atSea, t("bc.target_at_sea"))),
    h("fieldset", null, h("legend", null, t("bc.target_grids")), gridsBox),
    h("fieldset", null, h("legend", null, t("bc.target_groups")), groupsBox),
    field(t("bc.target_vessels"), vesselIds),
    h("fieldset", null, h("legend", null, t("bc.target_area")), areaButtons, field(t("bc.radius"), radius), areaNote),
    count,
    message,
    h("div", { class: "bc-actions" }, send),
  );

  // ---- the map -------------------------------------------------------------------------------
  const map = createBaseMap(mapEl, api, { view: HOME, onLayerError: ctx.reportError });
  const vessels = new VesselLayer();
  map.addLayer(vessels);
  const highlight = L.layerGroup().addTo(map);
  const ringRenderer = L.canvas({ padding: 0.1 });
  // Any change answers the last complaint (or makes it stale): it goes until the next "send".
  const edited = () => {
    if (session?.role !== "viewer") message.textContent = "";
    changed();
  };
  const drawer = new AreaDrawer(map, { onChange: edited });
  let inPortAt = () => false;
  api.zones().then((doc) => {
    inPortAt = portChecker(doc);
    changed();
  }).catch(ctx.reportError);
  // For the browser tests: where a position is on the screen, and the drawing.
  window.__sealinkDraw = { map, drawer };

  // Made once and only updated: a button redrawn between mousedown and mouseup (a "change" of
  // the field being left fires in between) would swallow the click.
  const tool = (cls, key, onclick) => h("button", { type: "button", class: cls, onclick }, t(key));
  const tools = {
    polygon: tool("bc-draw-polygon", "bc.draw_polygon", () => drawer.drawPolygon()),
    finish: tool("bc-finish-polygon", "bc.finish_polygon", () => drawer.finish()),
    undo: tool("bc-undo-corner", "bc.undo_corner", () => drawer.undo()),
    circle: tool("bc-draw-circle", "bc.draw_circle", () => drawer.drawCircle(Number(radius.value) || 5)),
    clear: tool("bc-clear-area", "bc.clear_area", () => drawer.clear()),
  };
  setChildren(areaButtons, Object.values(tools));

  function areaTools() {
    const drawing = drawer.mode === "polygon";
    tools.finish.disabled = !drawing || drawer.corners.length < 3;
    tools.undo.disabled = !drawing || !drawer.corners.length;
    tools.clear.disabled = !drawer.corners.length && !drawer.centre && !drawer.mode;
    if (drawing) areaNote.textContent = t("bc.polygon_drawing", { n: drawer.corners.length });
    else if (drawer.mode === "circle") areaNote.textContent = t("bc.circle_pick");
    else if (drawer.closed) areaNote.textContent = t("bc.polygon_done", { n: drawer.corners.length });
    else if (drawer.centre) areaNote.textContent = t("bc.circle_done", { r: drawer.radiusNm });
    else areaNote.textContent = t("bc.no_area");
  }

  function renderChoices() {
    const gridIds = [...fleet.grids.keys()].sort();
    const checked = (box) => new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
    const keepGrids = checked(gridsBox);
    const keepGroups = checked(groupsBox);
    setChildren(
      gridsBox,
      gridIds.length
        ? gridIds.map((id) => h("label", { class: "bc-check" }, h("input", { type: "checkbox", name: "grid", value: id, checked: keepGrids.has(id) }), raw(fleet.gridName(id)), ` (${id})`))
        : h("span", { class: "muted" }, t("common.loading")),
    );
    const groups = [...new Set([...fleet.vessels.values()].map((v) => v.group_id).filter(Boolean))].sort();
    setChildren(
      groupsBox,
      groups.length
        ? groups.map((id) => h("label", { class: "bc-check" }, h("input", { type: "checkbox", name: "group", value: id, checked: keepGroups.has(id) }), raw(id)))
        : h("span", { class: "muted" }, t("bc.no_groups")),
    );
  }

  function target() {
    const picked = (box) => [...box.querySelectorAll("input:checked")].map((i) => i.value);
    const ids = vesselIds.value.split(/[\s,，、;；]+/).map((s) => s.trim()).filter(Boolean);
    const out = {};
    if (all.checked) out.all = true;
    if (picked(gridsBox).length) out.grids = picked(gridsBox);
    if (picked(groupsBox).length) out.groups = picked(groupsBox);
    if (ids.length) out.vessels = [...new Set(ids)];
    const polygon = drawer.polygon();
    if (polygon) out.polygon = polygon;
    const circle = drawer.circle();
    if (circle) out.circle = circle;
    if (atSea.checked) out.at_sea = true;
    return out;
  }

  function showCount() {
    const tg = target();
    if (isEmptyTarget(tg)) {
      count.textContent = t("bc.count_none");
      count.dataset.count = "0";
      highlight.clearLayers();
      return;
    }
    const chosen = selectTargets(tg, fleet.vessels.values(), inPortAt);
    const unknown = (tg.vessels || []).filter((id) => !fleet.get(id));
    count.dataset.count = String(chosen.length);
    count.textContent = t("bc.count", { n: chosen.length }) + (unknown.length ? ` ${t("bc.count_unknown", { ids: unknown.join(", ") })}` : "");
    highlight.clearLayers();
    if (chosen.length > MAX_HIGHLIGHTS) return;
    for (const id of chosen) {
      const p = fleet.get(id)?.last_position;
      if (p) L.circleMarker([p.lat, p.lon], { renderer: ringRenderer, radius: 10, color: "#ffd43b", weight: 2, fill: false, interactive: false }).addTo(highlight);
    }
  }

  function showWarningFields() {
    const warning = kind.value === "warning";
    warningOnly.hidden = !warning;
    recallDeadline.disabled = !recallOn.checked;
    recallShelter.disabled = !recallOn.checked;
  }

  function changed() {
    areaTools();
    showWarningFields();
    showCount();
  }

  function drawVessels() {
    vessels.setVessels(
      [...fleet.vessels.values()].map((v) => ({ id: v.id, label: v.hull_name, state: v.contact.state, lat: v.last_position?.lat, lon: v.last_position?.lon })),
    );
  }

  function loadFleet() {
    drawVessels();
    renderChoices();
    changed();
  }

  function buildBody() {
    const out = { kind: kind.value, title: title.value.trim(), body: body.value.trim(), target: target() };
    if (priority.value !== "") out.priority = Number(priority.value);
    if (reply.value) out.reply = reply.value;
    if (perCrew.checked) out.per_crew = true;
    const exp = beijingInputToIso(expires.value);
    if (exp) out.expires_at = exp;
    if (kind.value === "warning") {
      if (signal.value) out.signal = signal.value;
      if (recallOn.checked) {
        out.recall = { deadline: beijingInputToIso(recallDeadline.value) };
        if (recallShelter.value.trim()) out.recall.shelter = recallShelter.value.trim();
      }
    }
    return out;
  }

  /** What the page can tell before asking the hub (the hub checks everything again). */
  function problem(b) {
    if (!b.title) return t("bc.error.no_title");
    if (!b.body) return t("bc.error.no_body");
    if (expires.value && !b.expires_at) return t("bc.error.bad_time");
    if (b.recall && !b.recall.deadline) return t("bc.error.no_deadline");
    if (drawer.mode === "polygon") return t("bc.error.polygon_open");
    if (isEmptyTarget(b.target)) return t("bc.error.no_target_chosen");
    return null;
  }

  form.addEventListener("input", (e) => {
    if (e.target === radius && Number(radius.value) > 0) drawer.setRadius(Number(radius.value));
    edited();
  });
  form.addEventListener("change", edited);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const b = buildBody();
    const why = problem(b);
    message.textContent = why || "";
    if (why) return;
    send.disabled = true;
    try {
      const created = await api.createBroadcast(b);
      navigate(`/broadcasts/${created.broadcast.id}`);
    } catch (err) {
      if (err?.status !== 401) message.textContent = apiErrorText(err);
    } finally {
      send.disabled = false;
    }
  });

  let timer = 0;
  const soon = () => {
    // Boats move: redraw them and count again, but leave the choices the coordinator is making alone.
    timer ||= setTimeout(() => {
      timer = 0;
      drawVessels();
      showCount();
    }, 1000);
  };
  const offs = [fleet.on("reset", loadFleet), fleet.on("positions", soon)];
  loadFleet();
  if (fleet.vessels.size) {
    const pts = [...fleet.vessels.values()].filter((v) => v.last_position).map((v) => [v.last_position.lat, v.last_position.lon]);
    if (pts.length) map.fitBounds(L.latLngBounds(pts), { padding: [40, 40], maxZoom: 11, animate: false });
  }
  if (session?.role === "viewer") {
    // The hub would refuse it anyway; say so before the coordinator types a whole message.
    send.disabled = true;
    message.textContent = t("bc.viewer_cannot_send");
  }
  title.focus();

  return () => {
    for (const off of offs) off();
    clearTimeout(timer);
    drawer.destroy();
    if (window.__sealinkDraw?.map === map) delete window.__sealinkDraw;
    map.remove();
  };
}
