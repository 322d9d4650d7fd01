// Uplinks that the broker has not acknowledged yet (no PUBACK). Kept in localStorage so that a
// flapping link, a reload or a dead battery loses nothing; removed only on the broker's PUBACK.
//
// Each item has a `key` (what it is about: one ack state of one message, one distress, one
// request) and a `seq`. Putting the same key again replaces the item (a distress repeat carries a
// fresh time and position); the PUBACK of an older version must then not remove the newer one,
// which is what `seq` tells apart.

export class Outbox extends EventTarget {
  constructor(store) {
    super();
    this.store = store;
    this.items = store.get("outbox", []);
  }

  put(key, topicKind, payload) {
    const seq = this.store.get("outbox-seq", 0) + 1;
    this.store.set("outbox-seq", seq);
    this.items = this.items.filter((i) => i.key !== key);
    this.items.push({ key, seq, kind: topicKind, payload });
    this._save();
    return seq;
  }

  /** The broker acknowledged this version of the item. */
  done(key, seq) {
    const before = this.items.length;
    this.items = this.items.filter((i) => !(i.key === key && i.seq === seq));
    if (this.items.length !== before) this._save();
  }

  has(key) {
    return this.items.some((i) => i.key === key);
  }

  size() {
    return this.items.length;
  }

  _save() {
    this.store.set("outbox", this.items);
    this.dispatchEvent(new Event("change"));
  }
}
