/** The language switch: each language named in itself, as language pickers usually are. */
import { getLang, setLang } from "../core/i18n.js";
import { h } from "./dom.js";

const NAMES = [
  ["zh-CN", "中文"],
  ["en", "English"],
];

export function langSwitch(label) {
  return h(
    "div",
    { class: "lang-switch", role: "group", "aria-label": label },
    NAMES.map(([code, name]) =>
      h(
        "button",
        {
          type: "button",
          lang: code,
          "data-raw": true,
          "data-lang": code,
          "aria-pressed": String(getLang() === code),
          onclick: () => setLang(code),
        },
        name,
      ),
    ),
  );
}
