// The conversation header (state, assignee, claim / transfer / close /
// reopen) and the visitor's details panel. Rendered as text; the buttons send
// frames and show a refusal in #conv-error.

import { byId, el, formatTime, replace, show } from "./dom";
import { agentName, state, visitorName } from "./state";

/** Renders the open conversation's header and actions. */
export function renderHead(current: string): void {
  if (!current) return;
  const c = state.conversations.get(current);
  byId("conv-title").textContent = c ? visitorName(c.visitor_id) : "Conversation";
  const meta = c
    ? [c.status === "open" ? "Open" : "Closed", c.assignee_id ? "assigned to " + agentName(c.assignee_id) : "unassigned", "started " + formatTime(c.created_at)]
    : [];
  byId("conv-meta").textContent = meta.join(" · ");
  const open = c?.status === "open";
  const view = byId("conversation-view");
  view.setAttribute("data-conversation-id", current);
  view.setAttribute("data-status", c?.status ?? "");
  view.setAttribute("data-assignee", c?.assignee_id ?? "");
  show(byId("claim-button"), open && !c?.assignee_id);
  show(byId("close-button"), open);
  show(byId("reopen-button"), c?.status === "closed");
  const sel = byId<HTMLSelectElement>("transfer-select");
  const others = [...state.agents.values()].filter((a) => a.id !== c?.assignee_id);
  const keep = sel.value;
  replace(sel, el("option", { value: "" }, "Transfer to…"), ...others.map((a) => el("option", { value: a.id }, a.id === state.me?.id ? a.name + " (you)" : a.name)));
  sel.value = others.some((a) => a.id === keep) ? keep : "";
  show(sel, open && others.length > 0);
  show(byId("transfer-button"), open && others.length > 0);
  const composer = byId<HTMLTextAreaElement>("composer-input");
  composer.disabled = !open;
  composer.placeholder = open ? "Write a reply — Enter sends, Shift+Enter for a new line" : "This conversation is closed: reopen it to reply";
  byId<HTMLButtonElement>("composer-send").disabled = !open;
}

/** Renders the visitor's details of the open conversation. */
export function renderDetails(current: string): void {
  const c = state.conversations.get(current);
  const dl = byId("visitor-fields");
  if (!c) {
    replace(dl);
    return;
  }
  const v = state.visitors.get(c.visitor_id);
  const rows: [string, string][] = [
    ["Name", v?.name || "—"],
    ["Email", v?.email || "—"],
    ["Phone", v?.phone || "—"],
    ["First seen", formatTime(v?.created_at)],
    ["Last seen", formatTime(v?.last_seen_at)],
    ["Visitor id", c.visitor_id],
  ];
  if (v?.deleted) rows.unshift(["Status", "erased"]);
  const name = visitorName(c.visitor_id);
  for (const a of Array.from(byId("message-list").querySelectorAll(".visitor-name"))) a.textContent = name;
  replace(dl, ...rows.flatMap(([k, val]) => [el("dt", {}, k), el("dd", { "data-field": k.toLowerCase().replace(" ", "-") }, val)]));
  renderHead(current);
}

/** Sends an action frame for the conversation; shows a refusal in #conv-error. */
export async function act(current: string, type: string, extra: Record<string, unknown>): Promise<void> {
  const s = state.socket;
  if (!s || !current) return;
  setError("");
  try {
    await s.request(type, { conversation_id: current, ...extra });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    setError(err.code === "conflict" ? "Someone else changed this conversation; it has been reloaded." : err.message || "Refused");
  }
}

/** Shows (or, with "", hides) the open conversation's error line. */
export function setError(text: string): void {
  const p = byId("conv-error");
  p.textContent = text;
  show(p, text !== "");
}
