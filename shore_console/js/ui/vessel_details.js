/** The facts about one vessel, as a definition list (the map's side panel and the vessel page). */
import { t } from "../core/i18n.js";
import { ago, formatTime } from "../core/time.js";
import { STATE_COLOURS } from "../map/colours.js";
import { h, raw } from "./dom.js";
import {
  formatLatLon,
  formatNumber,
  gearLabel,
  linkLabel,
  linkStatusLabel,
  navLabel,
  stateLabel,
} from "./labels.js";

export function stateBadge(state) {
  return h(
    "span",
    { class: `state-badge state-${state}`, style: { "--state-colour": STATE_COLOURS[state] } },
    stateLabel(state),
  );
}

export function vesselDetails(v, fleet) {
  const c = v.contact;
  const p = v.last_position;
  const rows = [
    ["field.id", raw(v.id)],
    ["field.mmsi", raw(v.mmsi || "—")],
    ["field.beidou", raw(v.beidou_card || "—")],
    ["field.grid", [raw(fleet.gridName(v.grid_id)), ` (${v.grid_id})`]],
    ["field.group", raw(v.group_id || "—")],
    ["field.home_port", raw(v.home_port || "—")],
    ["field.persons", v.persons ?? "—"],
    ["field.gear", gearLabel(v.gear)],
    ["field.links", v.links.length ? v.links.map(linkLabel).join(" / ") : "—"],
    [
      "field.contact",
      [stateBadge(c.state), c.since ? ` ${t("field.since", { time: formatTime(c.since) })}` : ""],
    ],
    [
      "field.last_heard",
      [formatTime(c.last_heard), c.last_heard ? h("span", { class: "muted" }, ` (${ago(c.last_heard)})`) : ""],
    ],
    ["field.last_link", linkLabel(c.last_link)],
    ["field.link_status", linkStatusLabel(c.link_status)],
    ["field.position", p ? formatLatLon(p.lat, p.lon) : t("field.no_position")],
    [
      "field.speed_course",
      p ? `${formatNumber(p.sog)} ${t("unit.knots")} / ${formatNumber(p.cog, 0)}°` : "—",
    ],
    ["field.fix_time", p ? [formatTime(p.ts), h("span", { class: "muted" }, ` (${ago(p.ts)})`)] : "—"],
    ["field.nav_state", navLabel(p?.state)],
  ];
  return h(
    "dl",
    { class: "details" },
    rows.map(([key, value]) => [h("dt", null, t(key)), h("dd", { "data-field": key }, value)]),
  );
}
