/** The hub's REST API v1. Every call carries the bearer token; a 401 ends the session. The hub
 * answers in the console's language (alert details, incident logs: Accept-Language). */
import { getLang } from "./i18n.js";
import { noteAnswer } from "./offline.js";

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export function createApi({ getToken, onUnauthorized }) {
  async function request(path, { method = "GET", body, auth = true, query, text = false, raw, contentType } = {}) {
    const headers = { Accept: text ? "*/*" : "application/json", "Accept-Language": getLang() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (raw !== undefined) headers["Content-Type"] = contentType; // a file as it is (a forecast)
    if (auth) headers.Authorization = `Bearer ${getToken()}`;
    let url = path;
    if (query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v != null && v !== "") q.set(k, v);
      if ([...q].length) url += `?${q}`;
    }
    let res;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, "network", String(err));
    }
    if (method === "GET") noteAnswer(res);
    if (text && res.ok) return res.text();
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      if (res.status === 401 && auth) onUnauthorized();
      throw new ApiError(res.status, data?.error ?? "http", data?.message ?? res.statusText, data);
    }
    return data;
  }

  const enc = encodeURIComponent;
  return {
    login: (username, password) =>
      request("/api/v1/auth/login", { method: "POST", body: { username, password }, auth: false }),
    logout: () => request("/api/v1/auth/logout", { method: "POST", body: {} }),
    me: () => request("/api/v1/auth/me"),
    vessels: (query) => request("/api/v1/vessels", { query }),
    vessel: (id) => request(`/api/v1/vessels/${enc(id)}`),
    track: (id, query) => request(`/api/v1/vessels/${enc(id)}/track`, { query }),
    alerts: (state = "open") => request("/api/v1/alerts", { query: { state } }),
    alert: (id) => request(`/api/v1/alerts/${enc(id)}`),
    alertsOf: (vessel) => request("/api/v1/alerts", { query: { state: "all", vessel } }),
    ack: (id, note = "") => request(`/api/v1/alerts/${enc(id)}/ack`, { method: "POST", body: { note } }),
    ackMany: (ids, note = "") => request("/api/v1/acknowledgements", { method: "POST", body: { ids, note } }),
    silence: (id, minutes) => request(`/api/v1/alerts/${enc(id)}/silence`, { method: "POST", body: { minutes } }),
    assign: (id, username) => request(`/api/v1/alerts/${enc(id)}/assign`, { method: "POST", body: { username } }),
    assignees: (id) => request(`/api/v1/alerts/${enc(id)}/assignees`),
    comment: (id, text) => request(`/api/v1/alerts/${enc(id)}/comment`, { method: "POST", body: { text } }),
    resolve: (id, outcome, note = "") =>
      request(`/api/v1/alerts/${enc(id)}/resolve`, { method: "POST", body: { outcome, note } }),
    drill: (vesselId, kind) => request("/api/v1/drills", { method: "POST", body: { vessel_id: vesselId, kind } }),
    incident: (id) => request(`/api/v1/incidents/${enc(id)}`),
    nearest: (id, limit = 10) => request(`/api/v1/incidents/${enc(id)}/nearest`, { query: { limit } }),
    task: (id, body) => request(`/api/v1/incidents/${enc(id)}/task`, { method: "POST", body }),
    sitrep: (id) => request(`/api/v1/incidents/${enc(id)}/sitrep`, { method: "POST", body: {} }),
    cap: (id) => request(`/api/v1/incidents/${enc(id)}/cap`, { text: true }),
    grids: () => request("/api/v1/grids"),
    zones: () => request("/api/v1/zones"),
    // trainings
    trainings: () => request("/api/v1/trainings"),
    training: (id) => request(`/api/v1/trainings/${enc(id)}`),
    createTraining: (body) => request("/api/v1/trainings", { method: "POST", body }),
    attendance: (id, run) => request(`/api/v1/trainings/${enc(id)}/attendance`, { query: { run } }),
    // requests
    fisherRequests: (state) => request("/api/v1/requests", { query: { state } }),
    fisherRequest: (id) => request(`/api/v1/requests/${enc(id)}`),
    replyRequest: (id, text) => request(`/api/v1/requests/${enc(id)}/reply`, { method: "POST", body: { text } }),
    assignRequest: (id, username) =>
      request(`/api/v1/requests/${enc(id)}/assign`, { method: "POST", body: { username } }),
    resolveRequest: (id, note = "") => request(`/api/v1/requests/${enc(id)}/resolve`, { method: "POST", body: { note } }),
    // admin
    users: () => request("/api/v1/users"),
    createUser: (body) => request("/api/v1/users", { method: "POST", body }),
    changeUser: (name, body) => request(`/api/v1/users/${enc(name)}`, { method: "PATCH", body }),
    duty: () => request("/api/v1/duty"),
    addDuty: (body) => request("/api/v1/duty", { method: "POST", body }),
    addZone: (body) => request("/api/v1/zones", { method: "POST", body }),
    retireZone: (id) => request(`/api/v1/zones/${enc(id)}`, { method: "DELETE" }),
    permitZone: (id, body) => request(`/api/v1/zones/${enc(id)}/permits`, { method: "POST", body }),
    // charts
    contactStats: (query) => request("/api/v1/stats/contact", { query }),
    responseStats: (query) => request("/api/v1/stats/response", { query }),
    // broadcasts
    broadcasts: () => request("/api/v1/broadcasts", { query: { rollup: 1 } }),
    broadcast: (id, deliveries = false) =>
      request(`/api/v1/broadcasts/${enc(id)}`, { query: { deliveries: deliveries ? 1 : 0 } }),
    createBroadcast: (body) => request("/api/v1/broadcasts", { method: "POST", body }),
    resendBroadcast: (id) => request(`/api/v1/broadcasts/${enc(id)}/resend`, { method: "POST", body: {} }),
    recallBoard: (id) => request(`/api/v1/broadcasts/${enc(id)}/recall`),
    ashore: (bid, vid, persons_ashore, note = "") =>
      request(`/api/v1/broadcasts/${enc(bid)}/recall/${enc(vid)}/ashore`, { method: "POST", body: { persons_ashore, note } }),
    portLog: (query) => request("/api/v1/ports/log", { query }),
    // typhoon forecasts
    typhoons: () => request("/api/v1/typhoons"),
    typhoon: (id) => request(`/api/v1/typhoons/${enc(id)}`),
    importTyphoon: (text, geojson) =>
      request("/api/v1/typhoons", { method: "POST", raw: text, contentType: geojson ? "application/geo+json" : "text/plain" }),
  };
}
