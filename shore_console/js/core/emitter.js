/** A tiny event emitter: stores and the live connection announce changes; pages listen. */
export class Emitter {
  constructor() {
    this._handlers = new Map();
  }

  /** Listen to `type`; returns the function that stops listening (pages call it on unmount). */
  on(type, fn) {
    if (!this._handlers.has(type)) this._handlers.set(type, new Set());
    this._handlers.get(type).add(fn);
    return () => this._handlers.get(type)?.delete(fn);
  }

  emit(type, payload) {
    const set = this._handlers.get(type);
    if (!set) return;
    // Copy: a handler may unsubscribe (or subscribe) while we iterate.
    for (const fn of [...set]) fn(payload);
  }
}
