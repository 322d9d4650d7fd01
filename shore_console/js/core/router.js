/**
 * A small hash router: "#/fleet", "#/vessel/V1". Each route names a page module loaded on demand,
 * so a new page (broadcasts, incidents, requests...) is one entry in routes.js and one module.
 */
export function matchRoute(routes, hash) {
  const path = decodeURI(hash.replace(/^#/, "")) || "/";
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (m) return { route, params: m.slice(1) };
  }
  return null;
}

export function startRouter(routes, fallback, onRoute) {
  const go = () => {
    const found = matchRoute(routes, location.hash);
    if (!found) {
      location.replace(`#${fallback}`);
      return;
    }
    onRoute(found.route, found.params);
  };
  window.addEventListener("hashchange", go);
  go();
  return () => window.removeEventListener("hashchange", go);
}

export function navigate(path) {
  location.hash = `#${path}`;
}
