/**
 * The live event stream (WebSocket /api/v1/events). Reconnects by itself with a growing delay and
 * resumes from the last durable event id, so alerts raised while the link was down are replayed.
 * Emits "status" (connecting/open/closed) and one event per frame type (hello, positions, contact,
 * alert, resync, ...) with the frame's data.
 */
import { Emitter } from "./emitter.js";
import { perf } from "./perf.js";

const MAX_DELAY_MS = 15_000;
const TOKEN_EXPIRED = 4401; // the hub's close code once the token has expired

export class LiveConnection extends Emitter {
  constructor({ getToken, checkSession }) {
    super();
    this._getToken = getToken;
    this._checkSession = checkSession; // asks the API whether the token still holds (401 -> login)
    this.lastEventId = 0;
    this.status = "closed";
    this._ws = null;
    this._delay = 1000;
    this._timer = null;
    this._stopped = true;
  }

  start() {
    this._stopped = false;
    this._connect();
  }

  stop() {
    this._stopped = true;
    clearTimeout(this._timer);
    if (this._ws) this._ws.close();
    this._ws = null;
    this._setStatus("closed");
  }

  _connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    let url = `${proto}://${location.host}/api/v1/events?token=${encodeURIComponent(this._getToken())}`;
    if (this.lastEventId) url += `&last_event_id=${this.lastEventId}`;
    this._setStatus("connecting");
    const ws = new WebSocket(url);
    this._ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this._delay = 1000;
      this._setStatus("open");
    };
    ws.onmessage = (msg) => this._onMessage(msg.data);
    ws.onclose = (ev) => {
      if (this._ws !== ws) return;
      perf.disconnect(ev.code, opened);
      this._ws = null;
      this._setStatus("closed");
      if (this._stopped) return;
      // The hub closes with 4401 when the token expires; a refused handshake is often an expired
      // token too: let the API call decide (401 -> login).
      // (A 401 ends the session, and with it this connection: stop() clears the retry below.)
      if (!opened || ev.code === TOKEN_EXPIRED) this._checkSession();
      this._timer = setTimeout(() => this._connect(), this._delay);
      this._delay = Math.min(this._delay * 2, MAX_DELAY_MS);
    };
  }

  _onMessage(text) {
    const t0 = performance.now();
    const frame = JSON.parse(text);
    const parsed = performance.now();
    if (frame.type === "hello" && !this.lastEventId) {
      // First connection: start from now (the REST snapshot that follows covers the past).
      this.lastEventId = frame.data?.last_event_id || 0;
    }
    if (typeof frame.id === "number" && frame.id > this.lastEventId) this.lastEventId = frame.id;
    perf.begin();
    this.emit(frame.type, frame.data ?? {});
    perf.frame(frame, parsed - t0, performance.now() - parsed);
  }

  /** Feed a frame as if it came from the hub (the benchmark uses it for a synthetic full update). */
  inject(frame) {
    this._onMessage(JSON.stringify(frame));
  }

  _setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.emit("status", status);
  }
}
