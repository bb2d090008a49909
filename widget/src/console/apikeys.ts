// The API keys page (owners and admins): the organisation's secret keys
// (name, prefix, scopes, status, last use with its IP, expiry, rate limit),
// the form making a new one (name, scopes, optional expiry, requests per
// minute), rotation with an overlap during which the old key keeps working,
// and revocation (two clicks). A new key is shown once, in the once dialog
// (oncedialog.ts); the list never has a secret, only its first characters.

import { call } from "./api";
import { byId, el, formatTime, label, replace, show } from "./dom";
import { FormError, confirmClick, errorText, setText } from "./forms";
import { showOnce } from "./oncedialog";
import { agentName, isManager } from "./state";

/** A secret key as GET /api-keys describes it (never the secret). */
export interface APIKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  rpm: number;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  revoked_at: string | null;
  replaced_by: string | null;
  owner_id: string;
  status: "active" | "expired" | "revoked";
}

/** The answer of create and rotate: the key view and, this once, the key. */
interface NewKey {
  id: string;
  name: string;
  key: string;
  prefix: string;
}

/** The six scopes and what each allows (contract section 0). */
export const scopes: [string, string][] = [
  ["chats:read", "read conversations and messages"],
  ["chats:write", "send messages, close and transfer conversations"],
  ["visitors:read", "read visitors and identified users, export a visitor"],
  ["visitors:write", "update and erase visitors"],
  ["team:read", "list agents and invitations"],
  ["webhooks:write", "manage webhook endpoints and deliveries"],
];

/** The rotation choices: how long the old key keeps working. */
const overlaps: [number, string][] = [
  [0, "Stop the old key at once"],
  [3600, "1 hour"],
  [86400, "24 hours"],
  [604800, "7 days"],
];

const TWO_YEARS_MS = 2 * 365 * 86400 * 1000;

let createError: FormError;
let rotateError: FormError;
let rotating: APIKey | null = null;

/** Wires the new-key form and the rotation panel. */
export function initAPIKeys(): void {
  const form = byId("apikey-form");
  replace(byId("apikey-scope-list"), ...scopes.map(([s, what]) => scopeBox(s, what)));
  replace(byId<HTMLSelectElement>("apikey-overlap"), ...overlaps.map(([v, t]) => el("option", { value: String(v) }, t)));
  byId<HTMLSelectElement>("apikey-overlap").value = "86400";
  createError = new FormError(form, byId("apikey-form-error"), {
    name: byId("apikey-name"),
    scope: byId("apikey-scope-list"),
    expir: byId("apikey-expires"),
    rpm: byId("apikey-rpm"),
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void create();
  });
  const panel = byId("apikey-rotate");
  rotateError = new FormError(panel, byId("apikey-rotate-error"), { overlap: byId("apikey-overlap") });
  panel.addEventListener("submit", (e) => {
    e.preventDefault();
    void rotate();
  });
  byId("apikey-rotate-cancel").addEventListener("click", () => closeRotate());
}

function scopeBox(scope: string, what: string): HTMLElement {
  const id = "apikey-scope-" + scope.replace(":", "-");
  return el(
    "li",
    {},
    el("input", { type: "checkbox", id, value: scope, "data-testid": "apikey-scope", "aria-describedby": id + "-what" }),
    el("label", { for: id }, el("code", {}, scope)),
    el("span", { id: id + "-what", class: "muted" }, what),
  );
}

/** Reloads and renders the page (never touching the forms' errors). */
export async function showAPIKeys(): Promise<void> {
  const manager = isManager();
  show(byId("apikey-denied"), !manager);
  show(byId("apikey-manage"), manager);
  if (!manager) return;
  const expires = byId<HTMLInputElement>("apikey-expires");
  expires.min = day(new Date(Date.now() + 86400000));
  expires.max = day(new Date(Date.now() + TWO_YEARS_MS - 86400000));
  let keys: APIKey[];
  try {
    keys = (await call<{ api_keys: APIKey[] }>("GET", "/api-keys")).api_keys ?? [];
    setText("apikey-error", "");
  } catch (e) {
    setText("apikey-error", errorText(e));
    return;
  }
  replace(byId("apikey-list"), ...keys.map(keyRow));
  show(byId("apikey-table"), keys.length > 0);
  show(byId("apikey-empty"), keys.length === 0);
  if (rotating && !keys.some((k) => k.id === rotating?.id && k.status === "active" && !k.replaced_by)) closeRotate();
  else markRotating();
}

function day(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function keyRow(k: APIKey): HTMLTableRowElement {
  const active = k.status === "active";
  const replaced = active && !!k.replaced_by;
  const status = el("td", {}, el("span", { class: active ? "tag" : "tag bad", "data-testid": "apikey-status" }, k.status));
  if (replaced) status.append(el("span", { class: "tag warn" }, "rotated"));
  const used = k.last_used_at
    ? el("td", {}, formatTime(k.last_used_at), el("br"), el("span", { class: "mono muted" }, k.last_used_ip || ""))
    : el("td", { class: "muted" }, "never");
  const expires = k.expires_at ? formatTime(k.expires_at) : "never";
  return el(
    "tr",
    { "data-testid": "apikey-row", "data-key-id": k.id, "data-status": k.status, "data-prefix": k.prefix },
    label(el("td", {}, el("strong", {}, k.name), el("br"), el("span", { class: "muted small-text" }, "by " + agentName(k.owner_id) + ", " + formatTime(k.created_at))), "Name"),
    label(el("td", { class: "mono nowrap", "data-testid": "apikey-prefix" }, k.prefix + "…"), "Key"),
    label(el("td", { class: "scopes" }, ...k.scopes.map((s) => el("span", { class: "tag mono" }, s))), "Scopes"),
    label(status, "Status"),
    label(used, "Last used"),
    label(el("td", { class: replaced ? "nowrap warn-text" : "nowrap" }, replaced ? "until " + expires : expires), "Expires"),
    label(el("td", { class: "nowrap" }, `${k.rpm}/min`), "Limit"),
    el("td", {}, el("div", { class: "row-actions" }, ...(active ? keyActions(k) : []))),
  );
}

function keyActions(k: APIKey): HTMLElement[] {
  const revoke = el("button", { type: "button", class: "danger small", "data-testid": "apikey-revoke", "aria-label": "Revoke " + k.name }, "Revoke");
  confirmClick(revoke, "Really revoke?", () => void revokeKey(k, revoke));
  if (k.replaced_by) return [revoke];
  const rot = el("button", { type: "button", class: "ghost small", "data-testid": "apikey-rotate", "aria-label": "Rotate " + k.name }, "Rotate");
  rot.addEventListener("click", () => openRotate(k));
  return [rot, revoke];
}

// --- create ---

function chosenScopes(): string[] {
  return [...byId("apikey-scope-list").querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
}

async function create(): Promise<void> {
  const name = byId<HTMLInputElement>("apikey-name");
  const expires = byId<HTMLInputElement>("apikey-expires");
  const rpm = byId<HTMLInputElement>("apikey-rpm");
  const chosen = chosenScopes();
  if (!name.value.trim()) return createError.set("Give the key a name (1 to 100 characters).");
  if (chosen.length === 0) return createError.set("Choose at least one scope.");
  const body: Record<string, unknown> = { name: name.value.trim(), scopes: chosen };
  if (expires.value) {
    // The end of the chosen day, in this browser's time zone.
    const t = new Date(expires.value + "T23:59:59");
    if (Number.isNaN(t.getTime())) return createError.set("The expiry date is not a date.");
    body.expires_at = t.toISOString();
  }
  if (rpm.value.trim()) {
    const n = Number(rpm.value);
    if (!Number.isInteger(n) || n < 1 || n > 100000) return createError.set("The rpm limit must be a whole number from 1 to 100000.");
    body.rpm = n;
  }
  const button = byId<HTMLButtonElement>("apikey-submit");
  button.disabled = true;
  setText("apikey-status", "");
  try {
    const k = await call<NewKey>("POST", "/api-keys", body);
    createError.clear();
    name.value = expires.value = "";
    rpm.value = "600";
    for (const box of byId("apikey-scope-list").querySelectorAll<HTMLInputElement>("input")) box.checked = false;
    reveal(k, `Created “${k.name}”.`);
  } catch (e) {
    createError.set(e);
  } finally {
    button.disabled = false;
  }
  await showAPIKeys();
}

function reveal(k: NewKey, title: string): void {
  showOnce(
    {
      title,
      label: "Secret key",
      hint: "Put it in your server's secret store and send it as Authorization: Bearer <key>. Anyone holding it can act as you within its scopes.",
      secret: k.key,
    },
    () => byId<HTMLElement>("apikey-list").querySelector<HTMLElement>(`tr[data-key-id="${CSS.escape(k.id)}"] button`)?.focus(),
  );
}

// --- rotate ---

function openRotate(k: APIKey): void {
  rotating = k;
  markRotating();
  rotateError.clear();
  byId("apikey-rotate-title").textContent = `Rotate “${k.name}” (${k.prefix}…)`;
  show(byId("apikey-rotate"), true);
  byId("apikey-overlap").focus();
}

// markRotating highlights the row the rotation panel is about.
function markRotating(): void {
  for (const tr of byId("apikey-list").querySelectorAll<HTMLElement>("tr")) tr.classList.toggle("selected", tr.dataset.keyId === rotating?.id);
}

function closeRotate(): void {
  rotating = null;
  markRotating();
  show(byId("apikey-rotate"), false);
}

async function rotate(): Promise<void> {
  const k = rotating;
  if (!k) return;
  const overlap = Number(byId<HTMLSelectElement>("apikey-overlap").value);
  const button = byId<HTMLButtonElement>("apikey-rotate-submit");
  button.disabled = true;
  setText("apikey-status", "");
  try {
    const next = await call<NewKey>("POST", "/api-keys/" + encodeURIComponent(k.id) + "/rotate", { overlap_seconds: overlap });
    closeRotate();
    const until = overlap === 0 ? "The old key stopped working." : `The old key works until ${formatTime(new Date(Date.now() + overlap * 1000).toISOString())}.`;
    setText("apikey-status", `Rotated “${k.name}”. ${until}`);
    reveal(next, `New key for “${k.name}”.`);
  } catch (e) {
    rotateError.set(e);
  } finally {
    button.disabled = false;
  }
  await showAPIKeys();
}

// --- revoke ---

async function revokeKey(k: APIKey, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  setText("apikey-error", "");
  setText("apikey-status", "");
  try {
    await call("DELETE", "/api-keys/" + encodeURIComponent(k.id));
    setText("apikey-status", `Revoked “${k.name}” (${k.prefix}…): it stopped working everywhere.`);
  } catch (e) {
    setText("apikey-error", `“${k.name}” not revoked: ${errorText(e)}`);
  }
  await showAPIKeys();
}
