/**
 * The console on a phone (a grid worker on the quay or a patrol boat): css/phone.css lays it out in
 * one column when the screen is narrow; this module does the little the CSS cannot.
 * - The header keeps the live status and the sound; the pages a grid worker uses away from a desk
 *   are in a bottom bar, the others, who is logged in, the language and logging out under "more".
 *   Elements are moved, not copied, so each exists once (on a desk they go back where they were).
 * - Tables become cards: each cell is labelled with its column's heading (data-label), which the
 *   CSS shows in front of the value.
 */
import { t } from "../core/i18n.js";
import { h } from "./dom.js";
import { icon } from "./icons.js";

// The same width as the media query of css/phone.css (a phone, or a tablet held upright).
export const PHONE = window.matchMedia("(max-width: 820px)");

let placeShell = null; // the shell drawn last (the language switch redraws it)
let closeSheet = null;
PHONE.addEventListener("change", () => {
  placeShell?.();
  labelSoon();
});
// Going to another page closes the "more" sheet.
window.addEventListener("hashchange", () => closeSheet?.());
window.addEventListener("keydown", (e) => e.key === "Escape" && closeSheet?.());

/** Set the shell up for the screen it is on, and again whenever the screen changes. */
export function phoneShell(shell, { nav, personal }) {
  const order = [...nav.children]; // the desk's order of the navigation
  const home = personal.parentElement;
  const sheet = h("div", { class: "phone-sheet", id: "phone-sheet", hidden: true });
  const more = h(
    "button",
    { type: "button", class: "nav-more", "aria-expanded": "false", "aria-controls": "phone-sheet" },
    icon("menu"),
    h("span", { class: "nav-text" }, t("nav.more")),
  );
  const open = (yes) => {
    sheet.hidden = !yes;
    more.setAttribute("aria-expanded", String(yes));
  };
  more.addEventListener("click", () => open(sheet.hidden));
  // Any choice in the sheet (a page, a language, logging out) closes it.
  sheet.addEventListener("click", (e) => e.target.closest("a, button") && open(false));
  shell.append(sheet);

  placeShell = () => {
    open(false);
    if (PHONE.matches) {
      sheet.append(...order.filter((a) => a.classList.contains("nav-extra")), personal);
      nav.append(more);
    } else {
      nav.replaceChildren(...order);
      home.append(personal);
    }
  };
  placeShell();
  closeSheet = () => open(false);
}

/** Label the cells of every table under `root` with their column's heading, while on a phone. */
export function cardTables(root) {
  new MutationObserver(labelSoon).observe(root, { childList: true, subtree: true });
  labelSoon();
}

let frame = 0;
function labelSoon() {
  if (!PHONE.matches) return;
  frame ||= requestAnimationFrame(() => {
    frame = 0;
    for (const table of document.querySelectorAll("table")) label(table);
  });
}

function label(table) {
  const head = table.tHead?.rows[table.tHead.rows.length - 1];
  if (!head) return;
  const names = [];
  for (const th of head.cells) {
    for (let i = 0; i < th.colSpan; i += 1) names.push(th.textContent.trim());
  }
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      let col = 0;
      for (const cell of row.cells) {
        // A cell across the whole row (an edit form, a note) needs no label.
        const name = cell.colSpan > 1 ? "" : names[col] || "";
        if (cell.dataset.label !== name) cell.dataset.label = name;
        col += cell.colSpan;
      }
    }
  }
}
