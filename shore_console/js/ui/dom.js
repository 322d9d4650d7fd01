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
