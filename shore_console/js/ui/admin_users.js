/**
 * Accounts (admin): the list with role, grids and whether the account is disabled or locked, a
 * form for a new account, and per account: disable / enable, a new password, and a change of role
 * and grids (the hub checks it and ends that account's sessions, so the new scope applies at
 * once). Not for one's own account: the console never offers an admin to lock themselves out.
 */
import { t } from "../core/i18n.js";
import { formatTime } from "../core/time.js";
import { busy, field, input, select, statusLine } from "./admin_form.js";
import { h, raw, setChildren } from "./dom.js";

const ROLES = ["coordinator", "viewer", "admin"];
const USER_COLUMNS = [
  "admin.user.username",
  "admin.user.display_name",
  "admin.user.role",
  "admin.user.grids",
  "admin.user.state",
  "admin.col.actions",
];

/** Grid checkboxes, `checked` ticked; `.chosen()` gives the ticked ids. */
function gridBoxes(grids, checked = []) {
  const boxes = grids.map((g) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "grid", value: g.id, checked: checked.includes(g.id) || null }), raw(g.name), ` (${g.id})`),
  );
  return { boxes, chosen: () => boxes.map((l) => l.querySelector("input")).filter((c) => c.checked).map((c) => c.value) };
}

/** What the hub says when it refuses a change, in the coordinator's words where it has a code. */
function refusalText(err) {
  const key = { last_admin: "admin.user.error.last_admin" }[err?.code];
  return key ? { ...err, message: t(key) } : err;
}

/** The row under an account to change its role and grids. */
function editRow(u, { api, grids, status, reload, columns }) {
  const role = select("edit_role", ROLES.map((r) => [r, t(`role.${r}`)]));
  role.value = u.role;
  const picked = gridBoxes(grids, u.grids);
  const save = h("button", { type: "button", class: "primary user-save" }, t("admin.user.save"));
  const cancel = h("button", { type: "button", class: "user-cancel" }, t("admin.user.cancel"));
  const row = h(
    "tr",
    { class: "user-edit-row", "data-username": u.username },
    h(
      "td",
      { colspan: String(columns) },
      h(
        "div",
        { class: "form-grid user-edit" },
        field("admin.user.role", role),
        h("fieldset", { class: "wide user-grids" }, h("legend", null, t("admin.user.grids")), picked.boxes),
        h("p", { class: "wide muted" }, t("admin.user.edit_note")),
        h("div", { class: "wide form-actions" }, save, cancel),
      ),
    ),
  );
  cancel.addEventListener("click", () => row.remove());
  save.addEventListener("click", () => {
    const body = { role: role.value, grids: picked.chosen() };
    if (body.role === "coordinator" && !body.grids.length) {
      status.fail({ message: t("admin.user.needs_grid") });
      return;
    }
    busy(save, async () => {
      try {
        const changed = await api.changeUser(u.username, body);
        status.ok(t("admin.user.changed", { name: u.username, role: t(`role.${changed.role}`), grids: changed.grids.join(", ") || t("user.all_grids") }));
        reload();
      } catch (err) {
        status.fail(refusalText(err));
      }
    });
  });
  return row;
}

function userRow(u, { api, grids, status, reload, self }) {
  // No disabling oneself: the last admin could lock everyone out of the console.
  const toggle = self ? null : h(
    "button",
    { type: "button", class: "user-toggle" },
    u.disabled ? t("admin.user.enable") : t("admin.user.disable"),
  );
  toggle?.addEventListener("click", () =>
    busy(toggle, async () => {
      try {
        await api.changeUser(u.username, { disabled: !u.disabled });
        status.ok(t(u.disabled ? "admin.user.enabled" : "admin.user.disabled", { name: u.username }));
        reload();
      } catch (err) {
        status.fail(refusalText(err));
      }
    }),
  );
  const pw = input("new_password", { type: "password", minlength: 8, autocomplete: "new-password", placeholder: t("admin.user.new_password") });
  const setPw = h("button", { type: "button", class: "user-password" }, t("admin.user.set_password"));
  setPw.addEventListener("click", () =>
    busy(setPw, async () => {
      try {
        await api.changeUser(u.username, { password: pw.value });
        pw.value = "";
        status.ok(t("admin.user.password_set", { name: u.username }));
      } catch (err) {
        status.fail(err);
      }
    }),
  );
  const edit = self ? null : h("button", { type: "button", class: "user-edit" }, t("admin.user.edit"));
  let editing = null;
  edit?.addEventListener("click", () => {
    if (editing?.isConnected) {
      editing.remove();
      return;
    }
    editing = editRow(u, { api, grids, status, reload, columns: USER_COLUMNS.length });
    tr.after(editing);
  });
  const tr = h(
    "tr",
    { class: `user-row${u.disabled ? " disabled" : ""}`, "data-username": u.username, "data-role": u.role },
    h("td", null, raw(u.username)),
    h("td", null, raw(u.display_name || "—")),
    h("td", null, t(`role.${u.role}`)),
    h("td", null, u.grids.length ? raw(u.grids.join(", ")) : t("user.all_grids")),
    h(
      "td",
      null,
      u.disabled ? t("admin.user.is_disabled") : t("admin.user.is_active"),
      u.locked_until ? h("div", { class: "muted" }, t("admin.user.locked", { until: formatTime(u.locked_until) })) : null,
    ),
    h("td", { class: "row-actions" }, edit, toggle, pw, setPw),
  );
  return tr;
}

function createForm({ api, grids, status, reload }) {
  const username = input("username", { maxlength: 64, pattern: "[A-Za-z0-9_.\\-]+", required: true, autocomplete: "off" });
  const display = input("display_name", { maxlength: 64 });
  const password = input("password", { type: "password", minlength: 8, required: true, autocomplete: "new-password" });
  const role = select("role", ROLES.map((r) => [r, t(`role.${r}`)]));
  const { boxes, chosen } = gridBoxes(grids);
  const submit = h("button", { type: "submit", class: "primary user-create" }, t("admin.user.create"));
  const form = h(
    "form",
    { class: "card form-grid user-form", novalidate: true },
    h("h2", { class: "wide" }, t("admin.user.new")),
    field("admin.user.username", username),
    field("admin.user.display_name", display),
    field("admin.user.password", password),
    field("admin.user.role", role),
    h("fieldset", { class: "wide user-grids" }, h("legend", null, t("admin.user.grids")), boxes),
    h("div", { class: "wide form-actions" }, submit),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = {
      username: username.value.trim(),
      password: password.value,
      role: role.value,
      grids: chosen(),
      display_name: display.value.trim(),
    };
    if (body.role === "coordinator" && !body.grids.length) {
      status.fail({ message: t("admin.user.needs_grid") });
      return;
    }
    busy(submit, async () => {
      try {
        await api.createUser(body);
        status.ok(t("admin.user.created", { name: body.username }));
        form.reset();
        reload();
      } catch (err) {
        status.fail(err);
      }
    });
  });
  return form;
}

export function usersPanel(el, { api, session, reportError }) {
  const status = statusLine();
  const list = h("div", { class: "table-wrap" }, h("p", { class: "muted" }, t("common.loading")));
  const formHost = h("div");
  setChildren(el, formHost, status.el, h("div", { class: "card" }, h("h2", null, t("admin.users")), list));
  let gone = false;

  async function reload() {
    try {
      const [{ users }, { grids }] = await Promise.all([api.users(), api.grids()]);
      if (gone) return;
      if (!formHost.firstChild) formHost.append(createForm({ api, grids, status, reload }));
      setChildren(
        list,
        h(
          "table",
          { class: "stats-table users-table" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              USER_COLUMNS.map((k) => h("th", { scope: "col" }, t(k))),
            ),
          ),
          h("tbody", null, users.map((u) => userRow(u, { api, grids, status, reload, self: u.username === session.username }))),
        ),
      );
    } catch (err) {
      if (err?.status === 403) setChildren(list, h("p", { class: "empty" }, t("admin.only")));
      else reportError(err);
    }
  }
  reload();
  return () => {
    gone = true;
  };
}
