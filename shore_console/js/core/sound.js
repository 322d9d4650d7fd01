/**
 * Alarm sounds generated with the Web Audio API (no audio files to ship). Browsers only let a page
 * make sound after a click or key press, so the context is created on the first gesture; until
 * then the header shows "sound off" with a button. Each alarm request is counted in
 * window.__sealinkSounds, whether or not the browser could play it (tests and ops checks read it).
 */
import { Emitter } from "./emitter.js";

export const soundEvents = new Emitter();
const counts = { alert: 0, critical: 0, repeat: 0 };
window.__sealinkSounds = counts;
let ctx = null;

// An attention chime, and a harsher three-pulse alarm for critical alerts and distress.
const PATTERNS = {
  alert: [
    [880, 0, 0.18],
    [660, 0.22, 0.25],
  ],
  critical: [
    [988, 0, 0.2],
    [740, 0.25, 0.2],
    [988, 0.5, 0.2],
    [740, 0.75, 0.2],
    [988, 1.0, 0.35],
  ],
};
PATTERNS.repeat = PATTERNS.critical;

export function audioReady() {
  return ctx !== null && ctx.state === "running";
}

/** Call from a user gesture: creates or resumes the audio context. */
export function unlockAudio() {
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return;
  if (!ctx) {
    ctx = new AC();
    ctx.onstatechange = () => soundEvents.emit("state", audioReady());
  }
  if (ctx.state === "suspended") ctx.resume().catch(() => {});
  soundEvents.emit("state", audioReady());
}

const lastPlayed = {};
const MIN_GAP_S = 2;

export function playAlarm(kind) {
  counts[kind] = (counts[kind] || 0) + 1;
  if (!audioReady()) return;
  // Alerts come in bursts (a typhoon, a whole group out of range): one tone per burst, not fifty.
  const t0 = ctx.currentTime + 0.02;
  if (t0 - (lastPlayed[kind] ?? -Infinity) < MIN_GAP_S) return;
  lastPlayed[kind] = t0;
  for (const [freq, start, dur] of PATTERNS[kind] || PATTERNS.alert) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = kind === "alert" ? "sine" : "square";
    osc.frequency.value = freq;
    // Short ramps avoid clicks at the start and end of each tone.
    gain.gain.setValueAtTime(0.0001, t0 + start);
    gain.gain.exponentialRampToValueAtTime(0.3, t0 + start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + start + dur);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0 + start);
    osc.stop(t0 + start + dur + 0.02);
  }
}

// Any click or key press may unlock sound: the first one after loading the page does.
for (const type of ["pointerdown", "keydown"]) {
  window.addEventListener(type, () => audioReady() || unlockAudio(), { capture: true });
}
