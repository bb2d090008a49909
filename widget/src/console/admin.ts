// The management pages: message search, team and roles, and (in widgets.ts)
// widget settings. Rendered as text throughout.

import { Agent, ApiError, Message, call, query } from "./api";
import { byId, el, formatTime, replace, show } from "./dom";
import { isManager, loadAgents, state, visitorName } from "./state";
import { initWidgets } from "./widgets";

export { showWidgets } from "./widgets";

let openConversation: (id: string) => void = () => {};

/** Wires the forms; open is called when a search result is picked. */
export function initAdmin(open: (id: string) => void): void {
  openConversation = open;
  byId("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void search();
  });
  byId("team-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void addAgent();
  });
  initWidgets();
}

/** errorText is the API's message for an ApiError, else a generic one. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : "Something went wrong; try again.";
}

// --- search ---

async function search(): Promise<void> {
  const q = byId<HTMLInputElement>("search-input").value.trim();
  const status = byId("search-status");
  const out = byId("search-results");
  if (!q) return;
  status.textContent = "Searching…";
  try {
    const r = await call<{ messages: Message[] }>("GET", "/messages/search" + query({ q, limit: 50 }));
    status.textContent = r.messages.length === 0 ? "No message matches." : `${r.messages.length} message(s)`;
    replace(out, ...r.messages.map(result));
  } catch (e) {
    status.textContent = errorText(e);
    replace(out);
  }
}

function result(m: Message): HTMLLIElement {
  const c = state.conversations.get(m.conversation_id);
  const who = m.sender_kind === "visitor" && c ? visitorName(c.visitor_id) : m.sender_kind;
  const li = el(
    "li",
    { class: "result", "data-conversation-id": m.conversation_id, "data-seq": String(m.seq), "data-testid": "search-result", tabindex: "0", role: "button" },
    el("span", { class: "author" }, who),
    el("span", { class: "time" }, formatTime(m.created_at)),
    el("div", { class: "text" }, m.text),
  );
  li.addEventListener("click", () => openConversation(m.conversation_id));
  return li;
}

// --- team ---

/** Reloads and renders the team page. */
export async function showTeam(): Promise<void> {
  show(byId("team-form"), isManager());
  const owner = state.me?.role === "owner";
  byId<HTMLOptionElement>("team-role").querySelector('option[value="owner"]')?.toggleAttribute("disabled", !owner);
  try {
    await loadAgents();
    setText("team-error", "");
  } catch (e) {
    setText("team-error", errorText(e));
  }
  replace(byId("team-list"), ...[...state.agents.values()].map(agentRow));
}

function agentRow(a: Agent): HTMLTableRowElement {
  const role = isManager() && a.id !== state.me?.id ? roleSelect(a) : el("span", {}, a.role);
  return el(
    "tr",
    { "data-agent-id": a.id, "data-testid": "team-row" },
    el("td", {}, a.name, a.id === state.me?.id ? " (you)" : ""),
    el("td", {}, a.email),
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
    try {
      await call<Agent>("PATCH", "/agents/" + encodeURIComponent(a.id), { role: sel.value });
      setText("team-error", "");
    } catch (e) {
      setText("team-error", errorText(e));
    }
    void showTeam();
  });
  return sel;
}

async function addAgent(): Promise<void> {
  const name = byId<HTMLInputElement>("team-name");
  const email = byId<HTMLInputElement>("team-email");
  const password = byId<HTMLInputElement>("team-password");
  const role = byId<HTMLSelectElement>("team-role").value;
  try {
    await call<Agent>("POST", "/agents", { name: name.value, email: email.value, password: password.value, role });
    name.value = email.value = password.value = "";
    setText("team-error", "");
  } catch (e) {
    setText("team-error", errorText(e));
  }
  await showTeam();
}

/** setText sets an error line's text and hides it when empty. */
export function setText(id: string, text: string): void {
  const p = byId(id);
  p.textContent = text;
  show(p, text !== "");
}
