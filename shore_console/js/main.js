/** Entry point: the login screen or the console, and the way between them. */
import { mountApp } from "./app.js";
import { createApi } from "./core/api.js";
import { onLangChange, t } from "./core/i18n.js";
import { clearSession, loadSession, saveSession } from "./core/session.js";
import { installOffline } from "./core/offline.js";
import { mountLogin } from "./pages/login.js";
import { cardTables } from "./ui/phone.js";

const root = document.getElementById("app");
let teardown = null;
let session = loadSession();
let loginMessageKey = ""; // a key, so the message follows a language switch

function showLogin(messageKey = "") {
  teardown?.();
  loginMessageKey = messageKey;
  document.title = t("app.title");
  const api = createApi({ getToken: () => "", onUnauthorized: () => {} });
  teardown = mountLogin(root, {
    api,
    message: messageKey ? t(messageKey) : "",
    onLoggedIn(s) {
      session = { token: s.token, username: s.username, role: s.role, grids: s.grids, expires_at: s.expires_at };
      saveSession(session);
      showApp();
    },
  });
}

function showApp() {
  teardown?.();
  document.title = t("app.title");
  teardown = mountApp(root, {
    session,
    onUnauthorized: () => logout("login.expired"),
    onLogout: () => logout(""),
  });
}

function logout(messageKey) {
  if (!session) return; // several requests may fail with 401 at once: leave once
  session = null;
  clearSession();
  showLogin(messageKey);
}

onLangChange(() => {
  document.title = t("app.title");
  if (!session) showLogin(loginMessageKey);
});

cardTables(root);
installOffline();
if (session) showApp();
else showLogin();
