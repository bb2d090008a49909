// The inbox list: Mine / Unassigned / All / Closed over the organisation's
// conversations (inbox_state.ts holds the rules), kept live by frames. Each
// row shows the visitor, the time of the last activity, a one-line preview
// of the last message, who has it and my unread count. Rows are keyed by
// conversation and updated in place, so the keyboard focus survives updates.

import { byId, el, formatTime, replace, show } from "./dom";
import { Queue, Row, queues } from "./inbox_state";
import { agentName, loadVisitor, onConversations, state, visitorName } from "./state";

let queue: Queue = "mine";
let picked = false; // the agent chose a tab since sign-in: the opening tab no longer applies
let selected = "";
let onSelect: (id: string) => void = () => {};
const rows = new Map<string, HTMLLIElement>();

/** Wires the queue tabs; select is called when an agent opens a conversation. */
export function initInbox(select: (id: string) => void): void {
  onSelect = select;
  for (const q of queues) {
    byId("queue-" + q).addEventListener("click", () => {
      picked = true;
      setQueue(q);
    });
  }
  byId("inbox-list").addEventListener("click", (e) => pick(e.target));
  byId("inbox-list").addEventListener("keydown", (e) => {
    if (e.key !== "Enter" && e.key !== " ") return;
    e.preventDefault();
    pick(e.target);
  });
  onConversations(render);
}

function pick(target: EventTarget | null): void {
  const li = (target as Element | null)?.closest?.("li[data-conversation-id]");
  const id = li?.getAttribute("data-conversation-id");
  if (id) onSelect(id);
}

/** Switches the visible queue. */
export function setQueue(q: Queue): void {
  queue = q;
  render();
}

/** Shows the opening tab once the conversations are loaded, unless the
 * agent already picked a tab meanwhile. */
export function setOpeningQueue(q: Queue): void {
  if (!picked) setQueue(q);
}

/** Marks the open conversation in the list. */
export function setSelected(id: string): void {
  selected = id;
  render();
}

/** Forgets every row (sign-out). */
export function resetInbox(): void {
  rows.clear();
  selected = "";
  picked = false;
  replace(byId("inbox-list"));
}

function render(): void {
  const counts = state.inbox.counts();
  for (const q of queues) {
    const tab = byId("queue-" + q);
    tab.classList.toggle("active", q === queue);
    tab.setAttribute("aria-selected", String(q === queue));
    const count = tab.querySelector(".count");
    if (count) count.textContent = String(counts[q]);
  }
  const list = byId("inbox-list");
  const shown = state.inbox.list(queue);
  const focused = document.activeElement;
  const keep = new Set(shown.map((r) => r.id));
  for (const [id, li] of rows) {
    if (!keep.has(id)) {
      li.remove();
      rows.delete(id);
    }
  }
  let at: Element | null = list.firstElementChild;
  for (const r of shown) {
    const li = row(r);
    if (li !== at) list.insertBefore(li, at);
    at = li.nextElementSibling;
  }
  if (focused instanceof HTMLElement && focused !== document.activeElement && list.contains(focused)) focused.focus();
  show(byId("inbox-empty"), shown.length === 0);
  byId("inbox-empty").textContent = emptyText(queue);
}

function emptyText(q: Queue): string {
  if (q === "mine") return "No open conversation is assigned to you.";
  if (q === "unassigned") return "Nobody is waiting.";
  if (q === "closed") return "No closed conversation.";
  return "No conversations yet.";
}

// row returns the conversation's list item, updated (created on first use).
function row(r: Row): HTMLLIElement {
  if (!state.visitors.has(r.visitor_id)) void loadVisitor(r.visitor_id);
  let li = rows.get(r.id);
  if (!li) {
    li = el("li", { class: "conv-item", "data-conversation-id": r.id, "data-testid": "inbox-item", tabindex: "0", role: "button" });
    rows.set(r.id, li);
  }
  const unread = state.inbox.unread(r);
  li.className = "conv-item" + (r.id === selected ? " selected" : "") + (unread > 0 ? " unread" : "");
  li.setAttribute("data-status", r.status);
  li.setAttribute("data-assignee", r.assignee_id || "");
  li.setAttribute("data-unread", String(unread));
  li.setAttribute("aria-current", String(r.id === selected));
  const who = visitorName(r.visitor_id);
  const status = r.status === "closed" ? "closed" : r.assignee_id ? "with " + agentName(r.assignee_id) : "waiting";
  const line = state.inbox.previewLine(r, (id) => agentName(id));
  li.setAttribute("aria-label", `${who}, ${status}${unread ? `, ${unread} unread` : ""}: ${line}`);
  replace(
    li,
    el("span", { class: "who" }, who),
    el("span", { class: "when", "data-testid": "inbox-time" }, formatTime(r.activityAt ? new Date(r.activityAt).toISOString() : r.updated_at)),
    el("span", { class: "preview" + (r.preview ? "" : " muted"), "data-testid": "inbox-preview" }, line),
    el("span", { class: "what" }, status),
    unread > 0 ? el("span", { class: "unread-count", "data-testid": "unread-count" }, String(unread)) : null,
  );
  return li;
}
