/**
 * The fleet as the console knows it: the REST snapshot of /api/v1/vessels, kept current by live
 * positions and contact changes. Emits "reset", "positions" (the vessels that moved) and "contact"
 * (one vessel whose contact state changed).
 */
import { Emitter } from "./emitter.js";

export const CONTACT_STATES = ["ok", "overdue", "lost", "maintenance", "unknown"];

const ms = (iso) => (iso ? Date.parse(iso) : 0);

export class FleetStore extends Emitter {
  constructor() {
    super();
    this.vessels = new Map();
    this.grids = new Map();
    this.loaded = false;
  }

  reset(vessels, grids) {
    this.vessels = new Map(vessels.map((v) => [v.id, v]));
    for (const v of vessels) v._fixMs = ms(v.last_position?.ts);
    this.grids = new Map(grids.map((g) => [g.id, g]));
    this.loaded = true;
    this.emit("reset");
  }

  get(id) {
    return this.vessels.get(id);
  }

  gridName(id) {
    return this.grids.get(id)?.name || id || "—";
  }

  /** Apply a positions batch; an older fix than the one we hold (a late backfill) is ignored. */
  applyPositions(positions) {
    const moved = [];
    for (const p of positions) {
      const v = this.vessels.get(p.vessel_id);
      if (!v) continue;
      const at = Date.parse(p.ts);
      if (at <= v._fixMs) continue;
      v._fixMs = at;
      v.last_position = {
        ts: p.ts,
        lat: p.lat,
        lon: p.lon,
        sog: p.sog,
        cog: p.cog,
        state: v.last_position?.state ?? null,
        backfill: p.backfill,
      };
      // A live fix is a sign of life; the hub's exact "heard" time comes with the next snapshot.
      if (!p.backfill && at > ms(v.contact.last_heard)) v.contact.last_heard = p.ts;
      moved.push(v);
    }
    if (moved.length) this.emit("positions", moved);
    return moved;
  }

  /** Apply a contact change; a replayed change older than what we hold is ignored. */
  applyContact(ev) {
    const v = this.vessels.get(ev.vessel_id);
    if (!v || ms(ev.at) < ms(v.contact.since)) return;
    v.contact.state = ev.state;
    v.contact.since = ev.at;
    if (ev.last_heard && ms(ev.last_heard) > ms(v.contact.last_heard)) {
      v.contact.last_heard = ev.last_heard;
    }
    this.emit("contact", v);
  }

  /** Counts per contact state (and the total) of the vessels that pass `keep`. */
  counts(keep = () => true) {
    const c = { total: 0, ok: 0, overdue: 0, lost: 0, maintenance: 0, unknown: 0 };
    for (const v of this.vessels.values()) {
      if (!keep(v)) continue;
      c.total++;
      c[v.contact.state in c ? v.contact.state : "unknown"]++;
    }
    return c;
  }
}
