/**
 * Figures measured in the page, read by bench/console.py and the tests through window.__sealinkPerf:
 * frames received by type, positions received, and for each positions frame the time to parse it
 * and to apply it (stores, map, list: the map draws synchronously inside that time), and how old
 * its first and last fixes were on arrival.
 */
const record = {
  snapshots: [], // {fetchMs, applyMs, vessels}: REST snapshots applied (the page is ready once one is)
  frames: {},
  disconnects: [], // {at, code, opened}: the live link's closes
  positions: 0,
  batches: [], // {n, parseMs, applyMs, drawMs, firstLagMs, lastLagMs, at}
  lastDrawMs: 0,
};
window.__sealinkPerf = record;

function lag(p, now) {
  return p ? now - Date.parse(p.ts) : null;
}

export const perf = {
  /** Called before a frame is handled, so a draw is only counted for the frame that caused it. */
  begin() {
    record.lastDrawMs = 0;
  },

  frame(frame, parseMs, handleMs) {
    record.frames[frame.type] = (record.frames[frame.type] || 0) + 1;
    if (frame.type !== "positions") return;
    const list = frame.data?.positions || [];
    const now = Date.now();
    record.positions += list.length;
    record.batches.push({
      n: list.length,
      parseMs,
      applyMs: handleMs,
      drawMs: record.lastDrawMs,
      firstLagMs: lag(list[0], now),
      lastLagMs: lag(list[list.length - 1], now),
      at: now,
    });
    if (record.batches.length > 2000) record.batches.splice(0, 1000);
  },

  disconnect(code, opened) {
    record.disconnects.push({ at: Date.now(), code, opened });
    if (record.disconnects.length > 100) record.disconnects.shift();
  },

  snapshot(fetchMs, applyMs, vessels) {
    record.snapshots.push({ fetchMs, applyMs, vessels });
  },

  draw(ms) {
    record.lastDrawMs = ms;
  },
};
