/**
 * Alarm sounds generated with the Web Audio API (no audio files to ship). Browsers only let a page
 * make sound after a click or key press, so the context is created on the first gesture; until
 * then the header shows "sound off" with a button. Each alarm request is counted in
 * window.__sealinkSounds, whether or not the browser could play it (tests and ops checks read it).
 */
import { Emitter } from "./emitter.js";

export const soundEvents = new Emitter();
// First sounds by kind, and `repeat`: an unacknowledged alarm sounding again.
const counts = { alert: 0, critical: 0, distress: 0, drill: 0, repeat: 0 };
const log = []; // {kind, repeat, at, ids}: the last sounds, newest last
window.__sealinkSounds = counts;
// How often a distress call shook the phone (navigator.vibrate asked; a PC has no motor).
window.__sealinkVibrations = 0;
window.__sealinkSoundLog = log;
let ctx = null;

// Each kind of alarm has its own sound, so the duty officer knows what it is before looking:
// [frequency Hz, start s, duration s, wave].
const PATTERNS = {
  // A chime: a zone, a recall, a lost contact (uncertainty, alert phases), a separation.
  alert: [
    [880, 0, 0.18, "sine"],
    [660, 0.22, 0.25, "sine"],
  ],
  // Critical, not a distress call (a lost contact at its distress phase): a harsh triple pulse.
  critical: [
    [988, 0, 0.2, "square"],
    [740, 0.25, 0.2, "square"],
    [988, 0.5, 0.2, "square"],
    [740, 0.75, 0.2, "square"],
    [988, 1.0, 0.35, "square"],
  ],
  // A distress call (terminal, AIS beacon, Beidou): the DSC-style two-tone warble, unmistakable.
  distress: Array.from({ length: 12 }, (_, i) => [i % 2 ? 1300 : 2100, i * 0.13, 0.12, "square"]),
  // A drill: three soft rising notes, never to be taken for a real alarm.
  drill: [
    [523, 0, 0.22, "triangle"],
    [659, 0.28, 0.22, "triangle"],
    [784, 0.56, 0.3, "triangle"],
  ],
};

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

/** Sound an alarm of `kind` (alert, critical, distress, drill); `repeat`: an unacknowledged alarm
 * sounding again; `ids`: the alerts it is for (for the log). */
export function playAlarm(kind, { repeat = false, ids = [] } = {}) {
  if (repeat) counts.repeat += 1;
  else counts[kind] = (counts[kind] || 0) + 1;
  log.push({ kind, repeat, at: Date.now(), ids });
  if (log.length > 200) log.splice(0, 100);
  // A distress call also shakes a phone, in the rhythm of its warble: felt in a pocket on a noisy
  // quay. Browsers refuse (and complain) before the first tap on the page: not asked until then.
  const tapped = navigator.userActivation?.hasBeenActive ?? true;
  if (kind === "distress" && tapped && typeof navigator.vibrate === "function") {
    window.__sealinkVibrations += 1;
    navigator.vibrate([400, 150, 400, 150, 800]);
  }
  if (!audioReady()) return;
  // Alerts come in bursts (a typhoon, a whole group out of range): one tone per burst, not fifty.
  const t0 = ctx.currentTime + 0.02;
  if (t0 - (lastPlayed[kind] ?? -Infinity) < MIN_GAP_S) return;
  lastPlayed[kind] = t0;
  for (const [freq, start, dur, wave] of PATTERNS[kind] || PATTERNS.alert) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = wave;
    osc.frequency.value = freq;
    // Short ramps avoid clicks at the start and end of each tone.
    gain.gain.setValueAtTime(0.0001, t0 + start);
    gain.gain.exponentialRampToValueAtTime(kind === "drill" ? 0.15 : 0.3, t0 + start + 0.02);
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
