// The widgets page: each widget's key, embed snippet and settings, an
// editor (name, allowed origins, pre-chat field modes, offline message)
// saved with PATCH /widgets/{id}, and the form creating a widget.

import { FieldMode, Prechat, Widget, call } from "./api";
import { byId, el, replace, show } from "./dom";
import { FormError, errorText, setText } from "./forms";
import { isManager } from "./state";

const fields = ["name", "email", "phone"] as const;
const modes: FieldMode[] = ["required", "optional", "hidden"];
const defaultPrechat: Prechat = { name: "required", email: "optional", phone: "optional" };

let createError: FormError;

/** Wires the new-widget form. */
export function initWidgets(): void {
  const form = byId("widget-form");
  createError = new FormError(form, byId("widget-form-error"), { origin: byId("widget-origins"), name: byId("widget-name") });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void addWidget();
  });
}

/** Reloads and renders the widgets page (never touching the forms' errors). */
export async function showWidgets(): Promise<void> {
  show(byId("widget-form"), isManager());
  try {
    const r = await call<{ widgets: Widget[] }>("GET", "/widgets");
    replace(byId("widget-list"), ...r.widgets.map(widgetCard));
    if (r.widgets.length === 0) byId("widget-list").appendChild(el("p", { class: "muted" }, "No widget yet."));
    setText("widget-error", "");
  } catch (e) {
    setText("widget-error", errorText(e));
  }
}

/** The embed snippet a customer pastes into their site. */
export function snippet(w: Widget): string {
  return `<script src="${location.origin}/widget.js" data-key="${w.publishable_key}" async></script>`;
}

/** splitOrigins reads an origins text box: one per line (commas and spaces also separate). */
export function splitOrigins(s: string): string[] {
  return s
    .split(/[\s,]+/)
    .map((o) => o.trim())
    .filter(Boolean);
}

function widgetCard(w: Widget): HTMLElement {
  const code = el("pre", { class: "snippet", "data-testid": "widget-snippet" }, snippet(w));
  const copy = el("button", { type: "button", class: "ghost" }, "Copy snippet");
  copy.addEventListener("click", () => {
    void navigator.clipboard?.writeText(snippet(w)).then(() => (copy.textContent = "Copied"));
  });
  const origins = w.allowed_origins.length
    ? el("ul", { class: "origins" }, ...w.allowed_origins.map((o) => el("li", {}, o)))
    : el("p", { class: "muted" }, "No allowed origin: only server-side clients can start sessions.");
  const pre = w.prechat || defaultPrechat;
  const actions = el("div", { class: "row" }, copy);
  const card = el(
    "section",
    { class: "card widget", "data-widget-id": w.id, "data-widget-name": w.name, "data-testid": "widget-card" },
    el("h3", {}, w.name),
    el("p", {}, "Publishable key: ", el("code", {}, w.publishable_key)),
    el("h4", {}, "Allowed origins"),
    origins,
    el("h4", {}, "Pre-chat form"),
    el("p", { class: "muted" }, fields.map((f) => `${f}: ${pre[f]}`).join(" · ")),
    el("h4", {}, "Offline message"),
    el("p", { class: w.offline_message ? "" : "muted", "data-testid": "widget-offline-message" }, w.offline_message || "(the default)"),
    el("h4", {}, "Embed snippet"),
    code,
    actions,
  );
  if (isManager()) {
    const edit = el("button", { type: "button", class: "ghost", "data-testid": "widget-edit" }, "Edit settings");
    edit.addEventListener("click", () => {
      edit.remove();
      card.appendChild(editor(w));
    });
    actions.appendChild(edit);
  }
  return card;
}

// editor is the settings form of one widget; saving PATCHes every field and
// shows the API's error in the form, or reloads the page on success.
function editor(w: Widget): HTMLFormElement {
  const pre = w.prechat || defaultPrechat;
  const name = el("input", { "data-testid": "widget-edit-name", maxlength: "100", required: true, "aria-label": "Name" });
  name.value = w.name;
  const origins = el("textarea", { "data-testid": "widget-edit-origins", rows: "3", "aria-label": "Allowed origins, one per line" });
  origins.value = w.allowed_origins.join("\n");
  const selects = fields.map((f) => {
    const s = el("select", { "data-testid": "widget-edit-" + f, "aria-label": f + " field" }, ...modes.map((m) => el("option", { value: m }, m)));
    s.value = pre[f];
    return s;
  });
  const offline = el("textarea", { "data-testid": "widget-edit-offline", rows: "3", maxlength: "500", "aria-label": "Offline message" });
  offline.value = w.offline_message || "";
  const err = el("p", { class: "error", role: "alert", id: "widget-edit-error-" + w.id, "data-testid": "widget-edit-error" });
  const save = el("button", { type: "submit", "data-testid": "widget-edit-save" }, "Save");
  const cancel = el("button", { type: "button", class: "ghost" }, "Cancel");
  cancel.addEventListener("click", () => void showWidgets());
  const form = el(
    "form",
    { class: "stack", "data-testid": "widget-edit-form", novalidate: true },
    el("label", {}, "Name"),
    name,
    el("label", {}, "Allowed origins, one per line"),
    origins,
    ...fields.flatMap((f, i) => [el("label", {}, "Pre-chat " + f), selects[i]]),
    el("label", {}, "Offline message (shown when no agent is online)"),
    offline,
    err,
    el("div", { class: "row" }, save, cancel),
  );
  const error = new FormError(form, err, { origin: origins, offline, name });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    save.disabled = true;
    const prechat = Object.fromEntries(fields.map((f, i) => [f, selects[i].value])) as unknown as Prechat;
    try {
      await call<Widget>("PATCH", "/widgets/" + encodeURIComponent(w.id), {
        name: name.value.trim(),
        allowed_origins: splitOrigins(origins.value),
        prechat,
        offline_message: offline.value.trim(),
      });
      await showWidgets();
    } catch (e) {
      error.set(e);
      save.disabled = false;
    }
  });
  return form;
}

async function addWidget(): Promise<void> {
  const name = byId<HTMLInputElement>("widget-name");
  const origins = byId<HTMLTextAreaElement>("widget-origins");
  const button = byId<HTMLButtonElement>("widget-submit");
  button.disabled = true;
  try {
    await call<Widget>("POST", "/widgets", { name: name.value, allowed_origins: splitOrigins(origins.value) });
    name.value = origins.value = "";
    createError.clear();
  } catch (e) {
    createError.set(e);
  } finally {
    button.disabled = false;
  }
  await showWidgets();
}
