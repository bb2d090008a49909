// The Security page's passkeys: the list (name, added, last used) with
// rename and delete, and "Add a passkey" (register/begin, the browser's
// navigator.credentials.create, register/finish with the name).

import { call } from "./api";
import { byId, el, formatTime, replace, show } from "./dom";
import { FormError, confirmClick, errorText, setText } from "./forms";
import { createPasskey, passkeyErrorText, passkeysSupported } from "./webauthn";

/** A passkey as GET /auth/passkeys describes it. */
interface Passkey {
  id: string;
  name: string;
  created_at: string;
  last_used_at?: string | null;
}

let addError: FormError;

/** Wires the add form. */
export function initPasskeys(): void {
  addError = new FormError(byId("passkey-form"), byId("passkey-form-error"), { name: byId("passkey-name") });
  byId("passkey-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void addPasskey();
  });
}

/** Reloads and renders the passkeys list. */
export async function showPasskeys(): Promise<void> {
  const supported = passkeysSupported();
  byId<HTMLButtonElement>("passkey-add").disabled = !supported;
  if (!supported) addError.set("This browser cannot use passkeys.");
  let list: Passkey[];
  try {
    list = (await call<{ passkeys: Passkey[] }>("GET", "/auth/passkeys")).passkeys ?? [];
  } catch (e) {
    setText("passkey-error", errorText(e));
    return;
  }
  setText("passkey-error", "");
  replace(byId("passkey-list"), ...list.map(passkeyItem));
  show(byId("passkey-empty"), list.length === 0);
}

function passkeyItem(p: Passkey): HTMLLIElement {
  const name = el("strong", { "data-testid": "passkey-name-text" }, p.name || "Passkey");
  const when = el("span", { class: "muted" }, ` added ${formatTime(p.created_at)}, ` + (p.last_used_at ? `last used ${formatTime(p.last_used_at)}` : "never used"));
  const rename = el("button", { type: "button", class: "ghost small", "data-testid": "passkey-rename" }, "Rename");
  const del = el("button", { type: "button", class: "danger small", "data-testid": "passkey-delete" }, "Delete");
  const li = el("li", { "data-passkey-id": p.id, "data-testid": "passkey-item" }, el("span", { class: "grow" }, name, when), rename, del);
  rename.addEventListener("click", () => li.replaceWith(renameForm(p, li)));
  confirmClick(del, "Really delete?", () => void deletePasskey(p, del));
  return li;
}

function renameForm(p: Passkey, item: HTMLLIElement): HTMLLIElement {
  const input = el("input", { maxlength: "64", "aria-label": "New name of " + p.name, "data-testid": "passkey-rename-input" });
  input.value = p.name;
  const save = el("button", { type: "submit", class: "small", "data-testid": "passkey-rename-save" }, "Save");
  const cancel = el("button", { type: "button", class: "ghost small" }, "Cancel");
  const form = el("form", { class: "row grow", novalidate: true }, input, save, cancel);
  const li = el("li", { "data-passkey-id": p.id, "data-testid": "passkey-item" }, form);
  cancel.addEventListener("click", () => li.replaceWith(item));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    save.disabled = true;
    try {
      await call("PATCH", "/auth/passkeys/" + encodeURIComponent(p.id), { name: input.value.trim() });
      setText("passkey-error", "");
      await showPasskeys();
    } catch (err) {
      save.disabled = false;
      setText("passkey-error", `Not renamed: ${errorText(err)}`);
    }
  });
  queueMicrotask(() => input.focus());
  return li;
}

async function deletePasskey(p: Passkey, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  setText("passkey-status", "");
  try {
    await call("DELETE", "/auth/passkeys/" + encodeURIComponent(p.id));
    setText("passkey-error", "");
    setText("passkey-status", `Deleted the passkey ${p.name}.`);
  } catch (e) {
    button.disabled = false;
    setText("passkey-error", `Not deleted: ${errorText(e)}`);
  }
  await showPasskeys();
}

async function addPasskey(): Promise<void> {
  const name = byId<HTMLInputElement>("passkey-name");
  const button = byId<HTMLButtonElement>("passkey-add");
  setText("passkey-status", "");
  button.disabled = true;
  try {
    const begin = await call<{ publicKey: Record<string, unknown> }>("POST", "/auth/passkeys/register/begin", {});
    const credential = await createPasskey(begin.publicKey);
    if (!credential) throw new Error("No passkey was made.");
    const made = await call<Passkey>("POST", "/auth/passkeys/register/finish", { name: name.value.trim() || defaultName(), credential });
    name.value = "";
    addError.clear();
    setText("passkey-status", `Added the passkey ${made.name}. You can now sign in with it.`);
  } catch (e) {
    addError.set(passkeyErrorText(e) ?? errorText(e));
  } finally {
    button.disabled = false;
  }
  await showPasskeys();
}

// defaultName names a passkey after the browser's platform when the agent
// typed no name.
function defaultName(): string {
  const p = (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData?.platform || navigator.platform || "";
  return p ? `Passkey on ${p}` : "Passkey";
}
