// The team page: the organisation's agents, role changes and the form adding
// an agent. Errors stay next to what caused them until the user edits it:
// the add form's under the form, a role change's above the list.

import { Agent, call } from "./api";
import { byId, el, replace, show } from "./dom";
import { FormError, errorText, setText } from "./forms";
import { isManager, loadAgents, state } from "./state";

let addError: FormError;

/** Wires the add-agent form. */
export function initTeam(): void {
  const form = byId("team-form");
  // Checked in this order: an email message may mention "name@example.com".
  addError = new FormError(form, byId("team-form-error"), {
    email: byId("team-email"),
    password: byId("team-password"),
    role: byId("team-role"),
    name: byId("team-name"),
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void addAgent();
  });
}

/** Reloads and renders the team page (never touching the forms' errors). */
export async function showTeam(): Promise<void> {
  show(byId("team-form"), isManager());
  const owner = state.me?.role === "owner";
  byId<HTMLOptionElement>("team-role").querySelector('option[value="owner"]')?.toggleAttribute("disabled", !owner);
  try {
    await loadAgents();
    setText("team-list-error", "");
  } catch (e) {
    setText("team-list-error", errorText(e));
  }
  replace(byId("team-list"), ...[...state.agents.values()].map(agentRow));
}

function agentRow(a: Agent): HTMLTableRowElement {
  const role = isManager() && a.id !== state.me?.id ? roleSelect(a) : el("span", {}, a.role);
  return el(
    "tr",
    { "data-agent-id": a.id, "data-testid": "team-row" },
    el("td", {}, a.name, a.id === state.me?.id ? " (you)" : ""),
    el("td", { class: "email" }, a.email),
    el("td", {}, role),
  );
}

function roleSelect(a: Agent): HTMLSelectElement {
  const owner = state.me?.role === "owner";
  const sel = el(
    "select",
    { "data-testid": "team-role-select", "aria-label": "Role of " + a.name },
    ...(["agent", "admin", "owner"] as const).map((r) => el("option", { value: r, disabled: !owner && (r === "owner" || a.role === "owner") }, r)),
  );
  sel.value = a.role;
  sel.disabled = !owner && a.role === "owner";
  sel.addEventListener("change", async () => {
    setText("team-error", "");
    try {
      await call<Agent>("PATCH", "/agents/" + encodeURIComponent(a.id), { role: sel.value });
    } catch (e) {
      setText("team-error", `Role of ${a.name} not changed: ${errorText(e)}`);
    }
    void showTeam();
  });
  return sel;
}

async function addAgent(): Promise<void> {
  const name = byId<HTMLInputElement>("team-name");
  const email = byId<HTMLInputElement>("team-email");
  const password = byId<HTMLInputElement>("team-password");
  const role = byId<HTMLSelectElement>("team-role");
  const button = byId<HTMLButtonElement>("team-submit");
  setText("team-form-status", "");
  button.disabled = true;
  try {
    const a = await call<Agent>("POST", "/agents", { name: name.value, email: email.value, password: password.value, role: role.value });
    name.value = email.value = password.value = "";
    addError.clear();
    setText("team-form-status", `Added ${a.name}.`);
  } catch (e) {
    addError.set(e);
  } finally {
    button.disabled = false;
  }
  await showTeam();
}
