// The inbox: unassigned / mine / all queues over the organisation's
// conversations, kept live by `conversation` frames (see main.ts).

import { Conversation } from "./api";
import { byId, el, formatTime, replace, show } from "./dom";
import { agentName, loadVisitor, onConversations, state, visitorName } from "./state";

/** A queue of the inbox. */
export type Queue = "unassigned" | "mine" | "all";

let queue: Queue = "unassigned";
let selected = "";
let onSelect: (id: string) => void = () => {};

/** Whether a conversation belongs to a queue. */
export function inQueue(c: Conversation, q: Queue): boolean {
  if (q === "all") return true;
  if (c.status !== "open") return false;
  if (q === "unassigned") return !c.assignee_id;
  return !!state.me && c.assignee_id === state.me.id;
}

/** Wires the queue tabs; select is called when an agent opens a conversation. */
export function initInbox(select: (id: string) => void): void {
  onSelect = select;
  for (const q of ["unassigned", "mine", "all"] as Queue[]) {
    byId("queue-" + q).addEventListener("click", () => setQueue(q));
  }
  onConversations(render);
}

/** Switches the visible queue. */
export function setQueue(q: Queue): void {
  queue = q;
  render();
}

/** Marks the open conversation in the list. */
export function setSelected(id: string): void {
  selected = id;
  render();
}

function sorted(): Conversation[] {
  return [...state.conversations.values()].sort((a, b) => {
    if (a.status !== b.status) return a.status === "open" ? -1 : 1;
    return Date.parse(b.updated_at) - Date.parse(a.updated_at);
  });
}

function render(): void {
  const all = sorted();
  for (const q of ["unassigned", "mine", "all"] as Queue[]) {
    const tab = byId("queue-" + q);
    tab.classList.toggle("active", q === queue);
    tab.setAttribute("aria-selected", String(q === queue));
    const count = tab.querySelector(".count");
    if (count) count.textContent = String(all.filter((c) => inQueue(c, q) && (q !== "all" || c.status === "open")).length);
  }
  const list = byId("inbox-list");
  const items = all.filter((c) => inQueue(c, queue)).map(item);
  replace(list, ...items);
  show(byId("inbox-empty"), items.length === 0);
}

function item(c: Conversation): HTMLLIElement {
  if (!state.visitors.has(c.visitor_id)) void loadVisitor(c.visitor_id);
  const unread = c.last_seq > c.agent_read_seq;
  const li = el(
    "li",
    {
      class: "conv-item" + (c.id === selected ? " selected" : "") + (unread ? " unread" : ""),
      "data-conversation-id": c.id,
      "data-testid": "inbox-item",
      "data-status": c.status,
      "data-assignee": c.assignee_id || "",
      tabindex: "0",
      role: "button",
    },
    el("span", { class: "who" }, visitorName(c.visitor_id)),
    el("span", { class: "when" }, formatTime(c.updated_at)),
    el(
      "span",
      { class: "what" },
      c.status === "closed" ? "closed" : c.assignee_id ? "with " + agentName(c.assignee_id) : "waiting",
      unread ? " · new" : "",
    ),
  );
  li.addEventListener("click", () => onSelect(c.id));
  li.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      onSelect(c.id);
    }
  });
  return li;
}
