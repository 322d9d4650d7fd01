/**
 * Every visible string goes through `t(key)`. One dictionary per language; Simplified Chinese is
 * the default and the fallback. The choice is kept in localStorage (it is a preference of the
 * person at this computer, not of the session).
 */
import en from "../i18n/en.js";
import zh from "../i18n/zh-CN.js";
import { Emitter } from "./emitter.js";

export const LANGUAGES = { "zh-CN": zh, en };
const KEY = "sealink.lang";
const events = new Emitter();
let current = LANGUAGES[localStorage.getItem(KEY)] ? localStorage.getItem(KEY) : "zh-CN";
document.documentElement.lang = current;

export function t(key, params) {
  let s = LANGUAGES[current][key] ?? zh[key];
  if (s === undefined) {
    console.warn(`i18n: no text for ${key}`);
    return key;
  }
  if (params) s = s.replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? "").toString());
  return s;
}

export function getLang() {
  return current;
}

export function setLang(lang) {
  if (!LANGUAGES[lang] || lang === current) return;
  current = lang;
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
  events.emit("change", lang);
}

export function onLangChange(fn) {
  return events.on("change", fn);
}

/** The locale for numbers and sorting in the current language. */
export function locale() {
  return current === "en" ? "en-GB" : "zh-CN";
}
