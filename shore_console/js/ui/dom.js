/** Building DOM without a framework: h("button", {class, onclick}, "text", child...). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") setStyle(el, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function setStyle(el, style) {
  for (const [name, value] of Object.entries(style)) {
    // Custom properties ("--x") are only settable through setProperty.
    if (name.startsWith("--")) el.style.setProperty(name, value);
    else el.style[name] = value;
  }
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace all children of `el`. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** Text that comes from data (hull names, grid names): marked so the i18n test can tell it apart. */
export function raw(text, cls) {
  return h("span", { class: cls, "data-raw": true }, text ?? "—");
}

/** What a person is typing or has chosen in the fields of `el`, to put back after a redraw
 * (`restoreTyped`): the values by field name, less the fields in `spent` (an action used them
 * up), and the field that has the keyboard, with its caret. Without the focus, a live redraw in
 * mid-sentence sent the rest of the sentence nowhere. */
export function typedIn(el, spent = []) {
  const values = {};
  for (const f of el.querySelectorAll("textarea, input, select")) {
    if (f.name && !spent.includes(f.name)) values[f.name] = f.value;
  }
  const active = document.activeElement;
  let focus = null;
  if (active?.name && el.contains(active) && active.matches("textarea, input, select")) {
    focus = { name: active.name, start: caretOf(active, "selectionStart"), end: caretOf(active, "selectionEnd") };
  }
  return { values, focus };
}

function caretOf(field, which) {
  try {
    return field[which]; // null, or a throw in older browsers, where a field has no caret
  } catch {
    return null;
  }
}

/** Put back in the fields of `el` what `typedIn` saw before a redraw; a choice not offered (yet) is
 * left as drawn, and noted in `data-wanted` for a list whose options arrive later
 * (`chooseWanted`). The field that had the keyboard gets it back, caret where it was. */
export function restoreTyped(el, { values, focus }) {
  for (const f of el.querySelectorAll("textarea, input, select")) {
    const v = values[f.name];
    if (v === undefined) continue; // a field new to this drawing, or used up
    if (f.tagName === "SELECT" && ![...f.options].some((o) => o.value === v)) {
      if (v) f.dataset.wanted = v;
      continue;
    }
    f.value = v;
  }
  const field = focus && [...el.querySelectorAll("textarea, input, select")].find((f) => f.name === focus.name);
  if (!field || field.disabled) return;
  field.focus({ preventScroll: true });
  if (focus.start != null && field.value.length >= focus.end) {
    try {
      field.setSelectionRange(focus.start, focus.end);
    } catch {
      // a field without a caret (a number, a list): the focus is enough
    }
  }
}

/** Once a select's options have come: the choice a redraw noted, if it is offered. */
export function chooseWanted(select) {
  const v = select.dataset.wanted;
  delete select.dataset.wanted;
  if (v && [...select.options].some((o) => o.value === v)) {
    select.value = v;
    return true;
  }
  return false;
}

/* Redraws wait while a button, link or field is pressed, and while a word is being composed in
 * an input method. A click is a press and a release on the same element: a live redraw that
 * replaced the element in between would lose it (the browser sends the click to neither), and
 * the duty officer's "open incident" or "acknowledge" would do nothing, most likely just when
 * alerts are arriving. A field replaced in mid-composition (pinyin typed, the characters not yet
 * chosen) loses the composition. A press held longer than PRESS_MAX_MS (a release the page
 * never heard) lets the redraws through. */
const PRESS_MAX_MS = 2000;
// A composition with no keystroke for this long (an end the page never heard) lets them through:
// a duty room whose page stopped following the news would be worse than a word to type again.
const COMPOSE_IDLE_MAX_MS = 10000;
const PRESSABLE = "button, a, input, select, textarea, label, summary, [role=button]";
let pressing = false;
let composing = false;
let pressTimer = 0;
let composeTimer = 0;
const afterRelease = new Map();

function pressed(e) {
  if (!(e.target instanceof Element) || !e.target.closest(PRESSABLE)) return;
  pressing = true;
  clearTimeout(pressTimer);
  pressTimer = setTimeout(released, PRESS_MAX_MS);
}

function released() {
  if (!pressing) return;
  pressing = false;
  clearTimeout(pressTimer);
  setTimeout(runWaiting, 0); // after the click that this release makes
}

function runWaiting() {
  if (pressing || composing) return;
  const waiting = [...afterRelease.values()];
  afterRelease.clear();
  for (const draw of waiting) draw();
}

addEventListener("pointerdown", pressed, true);
addEventListener("pointerup", released, true);
addEventListener("pointercancel", released, true);
addEventListener("compositionstart", composingNow, true);
addEventListener("compositionupdate", composingNow, true);
addEventListener("compositionend", composed, true);

function composingNow() {
  composing = true;
  clearTimeout(composeTimer);
  composeTimer = setTimeout(composed, COMPOSE_IDLE_MAX_MS);
}

function composed() {
  if (!composing) return;
  composing = false;
  clearTimeout(composeTimer);
  setTimeout(runWaiting, 0); // after the input event that puts the chosen characters in
}

/** Run `draw` now, or once the press or composition under way has ended; of the draws waiting
 * under one `key`, only the last runs. */
export function afterPress(key, draw) {
  if (pressing || composing) afterRelease.set(key, draw);
  else draw();
}
