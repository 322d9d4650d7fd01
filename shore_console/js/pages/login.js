/** The login screen. A wrong password, a locked account or an unreachable hub each say so plainly. */
import { t } from "../core/i18n.js";
import { unlockAudio } from "../core/sound.js";
import { h, setChildren } from "../ui/dom.js";
import { icon } from "../ui/icons.js";
import { langSwitch } from "../ui/lang_switch.js";

function errorText(err) {
  if (err.status === 401) return t("login.bad_credentials");
  if (err.status === 423) {
    const minutes = Math.max(1, Math.ceil((err.body?.retry_after_s || 60) / 60));
    return t("login.locked", { minutes });
  }
  if (err.status === 429 && err.code === "slow_down") {
    return t("login.slow_down", { seconds: Math.max(1, Math.ceil(err.body?.retry_after_s || 1)) });
  }
  if (err.status === 429) return t("login.rate_limited");
  if (err.status === 0) return t("login.unreachable");
  return t("login.failed", { message: err.message });
}

export function mountLogin(root, { api, message, onLoggedIn }) {
  const error = h("p", { class: "login-error", role: "alert", hidden: !message }, message || "");
  const username = h("input", {
    name: "username",
    autocomplete: "username",
    required: true,
    autofocus: true,
    autocapitalize: "none",
    spellcheck: "false",
  });
  const password = h("input", {
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button", { type: "submit", class: "primary" }, t("login.submit"));
  const form = h(
    "form",
    { class: "login-card", novalidate: true },
    h("div", { class: "login-brand" }, icon("anchor"), h("h1", null, t("app.title"))),
    h("p", { class: "login-sub" }, t("login.subtitle")),
    h("label", null, h("span", null, t("login.username")), username),
    h("label", null, h("span", null, t("login.password")), password),
    error,
    submit,
    h("div", { class: "login-foot" }, langSwitch(t("lang.label"))),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    unlockAudio(); // the click that logs in is the gesture that allows alarm sounds later
    if (!username.value.trim() || !password.value) {
      error.textContent = t("login.missing");
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    submit.textContent = t("login.busy");
    try {
      const session = await api.login(username.value.trim(), password.value);
      onLoggedIn(session);
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
      submit.textContent = t("login.submit");
    }
  });
  setChildren(root, h("div", { class: "login-screen" }, form));
  username.focus();
  return () => root.replaceChildren();
}
