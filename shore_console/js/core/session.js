/**
 * The login session. Kept in sessionStorage (not localStorage) so that closing the browser tab on a
 * shared duty-room computer logs the coordinator out.
 */
const KEY = "sealink.session";

export function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || "null");
    return s && typeof s.token === "string" ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}
