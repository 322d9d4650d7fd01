// The boat's MQTT link, exactly as docs/protocol.md §1 asks: client id = vessel id, persistent
// session, the `offline` will, and on every (re)connect: status online (retained), subscribe to
// the down topic, hello, then the fixes kept while out of coverage, then whatever else waits in
// the outbox.

import { nowIso } from "./store.js";

const SESSION_EXPIRY_S = 7 * 24 * 3600; // the protocol's suggestion: a week out of coverage
// protocol.md §4: a PUBACK "no matching subscribers" means no hub got it: publish it again after
// 2 s, doubling up to 30 s (Mosquitto forgets the hubs' shared subscriptions over a restart).
const NO_MATCHING_SUBSCRIBERS = 0x10;
const RESEND_FIRST_MS = 2000;
const RESEND_MAX_MS = 30000;

export class VesselLink extends EventTarget {
  constructor(config, outbox) {
    super();
    this.config = config;
    this.outbox = outbox;
    this.state = "connecting";
    this.client = null;
    // key -> seq of the versions handed to mqtt.js and not yet acknowledged. mqtt.js keeps
    // those across reconnects (persistent session) and re-sends them itself, so they are not
    // published again: that is what makes a flapping link deliver each uplink once.
    this.inflight = new Map();
    // mqtt.js takes a PUBACK 0x10 as success and hands the callback only the stored publish, so
    // the reason code is read as the packet arrives: message id -> reason code.
    this.pubackCodes = new Map();
    this.resend = new Map(); // key -> { at, delay }: PUBACKed 0x10, held back until `at`
    this.resent = 0;
    this.beforeFlush = [];
  }

  topic(rest) {
    return `${this.config.prefix}/vessels/${this.config.vessel_id}/${rest}`;
  }

  start() {
    const c = this.config;
    const v5 = c.protocol === "5";
    const options = {
      clientId: c.vessel_id,
      protocolVersion: v5 ? 5 : 4,
      clean: false,
      keepalive: 60,
      reconnectPeriod: 2000,
      connectTimeout: 10000,
      resubscribe: false, // subscribing is part of our own connect sequence
      will: { topic: this.topic("status"), payload: "offline", qos: 1, retain: true },
    };
    if (v5) options.properties = { sessionExpiryInterval: SESSION_EXPIRY_S };
    if (c.username) options.username = c.username;
    if (c.password) options.password = c.password;
    this.client = mqtt.connect(c.broker_ws, options);
    this.client.on("connect", () => this._onConnect());
    this.client.on("reconnect", () => this._setState("reconnecting"));
    this.client.on("close", () => {
      if (this.state === "online") this._setState("reconnecting");
    });
    this.client.on("offline", () => this._setState("reconnecting"));
    // Errors (refused connection, broker gone) are link states, not page errors: mqtt.js retries.
    this.client.on("error", (err) => console.warn("mqtt:", err.message));
    this.client.on("message", (topic, payload) => this._onMessage(topic, payload));
    // Every PUBACK overwrites its id's entry: mqtt.js reuses message ids, and the 0x10 of a
    // publish nobody read (status, hello) must not stick to the next uplink given that id.
    this.client.on("packetreceive", (p) => {
      if (p.cmd === "puback") this.pubackCodes.set(p.messageId, p.reasonCode ?? 0);
    });
    this.outbox.addEventListener("change", () => this.flush());
  }

  /** Queue an uplink under `key`; it goes out now if the link is up, else on reconnect. */
  send(key, kind, payload) {
    this.outbox.put(key, kind, payload);
    this.flush();
  }

  flush() {
    if (this.state !== "online") return;
    const now = Date.now();
    for (const item of [...this.outbox.items]) {
      if (this.inflight.get(item.key) === item.seq) continue;
      if ((this.resend.get(item.key)?.at ?? 0) > now) continue;
      this._publish(item);
    }
  }

  _publish(item) {
    this.inflight.set(item.key, item.seq);
    const body = JSON.stringify(item.payload);
    this.client.publish(this.topic(`up/${item.kind}`), body, { qos: 1 }, (err, packet) => {
      if (this.inflight.get(item.key) === item.seq) this.inflight.delete(item.key);
      const code = packet ? this.pubackCodes.get(packet.messageId) : undefined;
      if (packet) this.pubackCodes.delete(packet.messageId);
      if (err) {
        console.warn("mqtt: publish failed, kept for later:", err.message);
        return;
      }
      if (code === NO_MATCHING_SUBSCRIBERS) {
        this._resendLater(item.key);
        return;
      }
      this.resend.delete(item.key);
      this.outbox.done(item.key, item.seq);
      this.dispatchEvent(new CustomEvent("sent", { detail: item }));
    });
  }

  _resendLater(key) {
    const delay = Math.min((this.resend.get(key)?.delay ?? RESEND_FIRST_MS / 2) * 2, RESEND_MAX_MS);
    this.resend.set(key, { at: Date.now() + delay, delay });
    this.resent += 1;
    console.warn(`mqtt: no hub subscribed yet, ${key} kept and sent again in ${delay / 1000} s`);
    setTimeout(() => this.flush(), delay);
  }

  _onConnect() {
    const c = this.client;
    // 1. online, retained: replaces the `offline` will the broker published when we vanished.
    c.publish(this.topic("status"), "online", { qos: 1, retain: true });
    // 2. the down channel, before the hello that makes the hub re-send what is pending.
    c.subscribe(this.topic("down"), { qos: 1 }, (err) => {
      if (err) {
        console.warn("mqtt: subscribe failed:", err.message);
        return;
      }
      // 3. hello
      c.publish(this.topic("up/hello"), JSON.stringify({ ts: nowIso(), terminal: this.config.terminal }), { qos: 1 });
      // 4. fixes kept while out of coverage (the position module moves them into the outbox).
      for (const hook of this.beforeFlush) hook();
      this._setState("online");
      this.flush();
    });
  }

  _onMessage(topic, payload) {
    if (topic !== this.topic("down")) return;
    let msg;
    try {
      msg = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      console.warn("mqtt: a down message that is not JSON was ignored");
      return;
    }
    if (msg && typeof msg.msg_id === "string") {
      this.dispatchEvent(new CustomEvent("down", { detail: msg }));
    }
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: state }));
  }
}
