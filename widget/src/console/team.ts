// The team page: the organisation's agents, role changes, and for owners and
// admins the invitation form (managers never set other people's passwords:
// the invitee chooses theirs), pending invitations with revoke, an agent's
// sessions (revoke one or all) and deactivation (offboarding). Errors stay
// next to what caused them until the user edits it: the invite form's under
// the form, a row action's above the list.

import { Agent, call } from "./api";
import { byId, el, formatTime, replace, show } from "./dom";
import { FormError, confirmClick, errorText, setText } from "./forms";
import { SessionInfo, loadSessions, renderSessions } from "./sessions";
import { isManager, loadAgents, state } from "./state";

/** A pending invitation as GET /invitations describes it. */
interface Invitation {
  id: string;
  email: string;
  role: string;
  created_at: string;
  expires_at: string;
}

let inviteError: FormError;
let sessionsOf: Agent | null = null; // whose sessions the panel shows

/** Wires the invitation form and the sessions panel. */
export function initTeam(): void {
  const form = byId("team-form");
  inviteError = new FormError(form, byId("team-form-error"), { email: byId("team-email"), role: byId("team-role") });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void invite();
  });
  byId("agent-sessions-close").addEventListener("click", () => {
    sessionsOf = null;
    show(byId("agent-sessions"), false);
  });
  confirmClick(byId<HTMLButtonElement>("agent-sessions-revoke-all"), "Really sign them out everywhere?", () => void revokeAll());
}

/** Reloads and renders the team page (never touching the forms' errors). */
export async function showTeam(): Promise<void> {
  const manager = isManager();
  show(byId("team-form"), manager);
  show(byId("invitations"), manager);
  if (!manager) show(byId("agent-sessions"), false);
  const owner = state.me?.role === "owner";
  byId<HTMLOptionElement>("team-role").querySelector('option[value="owner"]')?.toggleAttribute("disabled", !owner);
  try {
    await loadAgents();
    setText("team-list-error", "");
  } catch (e) {
    setText("team-list-error", errorText(e));
  }
  replace(byId("team-list"), ...[...state.agents.values()].map(agentRow));
  if (manager) await Promise.all([showInvitations(), sessionsOf ? showAgentSessions(sessionsOf) : Promise.resolve()]);
}

function agentRow(a: Agent): HTMLTableRowElement {
  const gone = !!a.deactivated_at;
  const role = isManager() && a.id !== state.me?.id && !gone ? roleSelect(a) : el("span", {}, a.role);
  return el(
    "tr",
    { "data-agent-id": a.id, "data-testid": "team-row", "data-deactivated": gone ? "true" : undefined },
    el("td", {}, a.name, a.id === state.me?.id ? " (you)" : "", gone ? el("span", { class: "tag" }, "deactivated") : null),
    el("td", { class: "email" }, a.email),
    el("td", {}, role),
    el("td", {}, el("div", { class: "row-actions" }, ...(isManager() && !gone ? agentActions(a) : []))),
  );
}

function agentActions(a: Agent): HTMLElement[] {
  const sessions = el("button", { type: "button", class: "ghost small", "data-testid": "team-sessions" }, "Sessions");
  sessions.addEventListener("click", () => void showAgentSessions(a));
  if (a.id === state.me?.id) return [sessions];
  const deactivate = el("button", { type: "button", class: "danger small", "data-testid": "team-deactivate" }, "Deactivate");
  confirmClick(deactivate, "Really deactivate?", () => void deactivateAgent(a, deactivate));
  return [sessions, deactivate];
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

async function deactivateAgent(a: Agent, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  setText("team-error", "");
  try {
    await call<Agent>("POST", "/agents/" + encodeURIComponent(a.id) + "/deactivate", {});
    if (sessionsOf?.id === a.id) {
      sessionsOf = null;
      show(byId("agent-sessions"), false);
    }
  } catch (e) {
    setText("team-error", `${a.name} not deactivated: ${errorText(e)}`);
  }
  await showTeam();
}

// --- invitations ---

async function invite(): Promise<void> {
  const email = byId<HTMLInputElement>("team-email");
  const role = byId<HTMLSelectElement>("team-role");
  const button = byId<HTMLButtonElement>("team-submit");
  setText("team-form-status", "");
  button.disabled = true;
  try {
    const inv = await call<Invitation>("POST", "/invitations", { email: email.value.trim(), role: role.value });
    email.value = "";
    inviteError.clear();
    setText("team-form-status", `Invited ${inv.email}; the link works until ${formatTime(inv.expires_at)}.`);
  } catch (e) {
    inviteError.set(e);
  } finally {
    button.disabled = false;
  }
  await showTeam();
}

async function showInvitations(): Promise<void> {
  let list: Invitation[];
  try {
    list = (await call<{ invitations: Invitation[] }>("GET", "/invitations")).invitations ?? [];
  } catch (e) {
    setText("invitation-error", errorText(e));
    return;
  }
  replace(byId("invitation-list"), ...list.map(invitationRow));
  show(byId("invitation-empty"), list.length === 0);
  show(byId("invitation-table"), list.length > 0);
}

function invitationRow(inv: Invitation): HTMLTableRowElement {
  const revoke = el("button", { type: "button", class: "danger small", "data-testid": "invitation-revoke" }, "Revoke");
  confirmClick(revoke, "Really revoke?", async () => {
    revoke.disabled = true;
    setText("invitation-error", "");
    try {
      await call("DELETE", "/invitations/" + encodeURIComponent(inv.id));
    } catch (e) {
      setText("invitation-error", `Invitation of ${inv.email} not revoked: ${errorText(e)}`);
    }
    await showInvitations();
  });
  return el(
    "tr",
    { "data-invitation-id": inv.id, "data-testid": "invitation-row" },
    el("td", { class: "email" }, inv.email),
    el("td", {}, inv.role),
    el("td", {}, formatTime(inv.created_at)),
    el("td", {}, formatTime(inv.expires_at)),
    el("td", {}, revoke),
  );
}

// --- an agent's sessions ---

function agentPath(a: Agent): string {
  return "/agents/" + encodeURIComponent(a.id) + "/sessions";
}

async function showAgentSessions(a: Agent): Promise<void> {
  sessionsOf = a;
  show(byId("agent-sessions"), true);
  byId("agent-sessions").setAttribute("data-agent-id", a.id);
  byId("agent-sessions-title").textContent = `Sessions of ${a.name}`;
  let list: SessionInfo[];
  try {
    list = await loadSessions(agentPath(a));
  } catch (e) {
    setText("agent-sessions-error", errorText(e));
    return;
  }
  // My own current session is marked (and kept) like on the Security page.
  renderSessions(byId("agent-session-list"), list, (s, b) => void revokeAgentSession(a, s, b));
  show(byId("agent-sessions-empty"), list.length === 0);
  byId<HTMLButtonElement>("agent-sessions-revoke-all").disabled = list.length === 0;
}

async function revokeAgentSession(a: Agent, s: SessionInfo, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  setText("agent-sessions-error", "");
  setText("agent-sessions-status", "");
  try {
    await call("DELETE", agentPath(a) + "/" + encodeURIComponent(s.id));
    setText("agent-sessions-status", `Signed out one session of ${a.name}.`);
  } catch (e) {
    setText("agent-sessions-error", errorText(e));
  }
  await showAgentSessions(a);
}

async function revokeAll(): Promise<void> {
  const a = sessionsOf;
  if (!a) return;
  setText("agent-sessions-error", "");
  setText("agent-sessions-status", "");
  try {
    const r = await call<{ revoked?: number }>("POST", agentPath(a) + "/revoke-all", {});
    const n = r?.revoked;
    setText("agent-sessions-status", n === undefined ? `Signed ${a.name} out everywhere.` : `Signed out ${n} session${n === 1 ? "" : "s"} of ${a.name}.`);
  } catch (e) {
    setText("agent-sessions-error", errorText(e));
  }
  await showAgentSessions(a);
}
