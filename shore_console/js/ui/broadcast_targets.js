/**
 * Which vessels a target picks, counted in the page before sending (the hub has no dry run). The
 * rules are the hub's (seaLink/domain/messaging.py select_targets): a vessel matches any of the
 * named grids, groups, vessels, the polygon or the circle; "at sea only" then drops boats in port,
 * and alone it means every boat at sea. The fleet store holds only the coordinator's own grids, so
 * "all" is all of theirs, as at the hub. The hub decides at sending and says how many it took.
 */
const EARTH_RADIUS_NM = 3440.065;
const rad = (d) => (d * Math.PI) / 180;

export function haversineNm(lat1, lon1, lat2, lon2) {
  const dp = rad(lat2 - lat1);
  const dl = rad(lon2 - lon1);
  const a = Math.sin(dp / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dl / 2) ** 2;
  return 2 * EARTH_RADIUS_NM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Ray casting on [lon, lat] pairs, as the hub does it. */
export function pointInPolygon(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat) {
      const cross = ((xj - xi) * (lat - yi)) / (yj - yi || Number.EPSILON) + xi;
      if (lon < cross) inside = !inside;
    }
  }
  return inside;
}

/** Ports from the hub's zones document ("port" points with a radius): is a fix in one? */
export function portChecker(zonesDoc) {
  const ports = (zonesDoc?.features || [])
    .filter((f) => f.properties?.kind === "port" && f.geometry?.type === "Point")
    .map((f) => ({ lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1], r: f.properties.radius_nmi || 0.5 }));
  return (lat, lon) => ports.some((p) => haversineNm(lat, lon, p.lat, p.lon) <= p.r);
}

export function isEmptyTarget(t) {
  return !(t.all || t.grids?.length || t.groups?.length || t.vessels?.length || t.polygon || t.circle || t.at_sea);
}

/** The ids of the vessels (fleet store records) that `target` (the API's shape) picks. */
export function selectTargets(target, vessels, inPortAt = () => false) {
  const grids = new Set(target.grids || []);
  const groups = new Set(target.groups || []);
  const ids = new Set(target.vessels || []);
  const named = grids.size || groups.size || ids.size || target.polygon || target.circle;
  const chosen = [];
  for (const v of vessels) {
    const lat = v.last_position?.lat;
    const lon = v.last_position?.lon;
    const placed = lat != null && lon != null;
    let hit =
      target.all ||
      grids.has(v.grid_id) ||
      groups.has(v.group_id) ||
      ids.has(v.id) ||
      (!!target.polygon && placed && pointInPolygon(lon, lat, target.polygon)) ||
      (!!target.circle && placed && haversineNm(lat, lon, target.circle.lat, target.circle.lon) <= target.circle.radius_nmi);
    if (!hit && target.at_sea && !named) hit = true;
    if (hit && target.at_sea && (v.last_position?.state === "in_port" || (placed && inPortAt(lat, lon)))) hit = false;
    if (hit) chosen.push(v.id);
  }
  return chosen;
}
