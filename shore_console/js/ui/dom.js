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

/** Put back what a person had typed or chosen in the fields of `el` after a redraw ({name: value});
 * a choice not offered (yet) is left as drawn, and noted in `data-wanted` for a list whose
 * options arrive later (`chooseWanted`). */
export function restoreTyped(el, typed) {
  for (const f of el.querySelectorAll("textarea, input, select")) {
    const v = typed[f.name];
    if (!v) continue;
    if (f.tagName === "SELECT" && ![...f.options].some((o) => o.value === v)) {
      f.dataset.wanted = v;
      continue;
    }
    f.value = v;
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

/* Redraws wait while a button, link or field is pressed. A click is a press and a release on the
 * same element: a live redraw that replaced the element in between would lose it (the browser
 * sends the click to neither), and the duty officer's "open incident" or "acknowledge" would do
 * nothing, most likely just when alerts are arriving. A press held longer than PRESS_MAX_MS (a
 * release the page never heard) lets the redraws through. */
const PRESS_MAX_MS = 2000;
const PRESSABLE = "button, a, input, select, textarea, label, summary, [role=button]";
let pressing = false;
let pressTimer = 0;
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
  if (pressing) return;
  const waiting = [...afterRelease.values()];
  afterRelease.clear();
  for (const draw of waiting) draw();
}

addEventListener("pointerdown", pressed, true);
addEventListener("pointerup", released, true);
addEventListener("pointercancel", released, true);

/** Run `draw` now, or once the press under way has ended; of the draws waiting under one `key`,
 * only the last runs. */
export function afterPress(key, draw) {
  if (pressing) afterRelease.set(key, draw);
  else draw();
}
