// The open conversation's message list: stored messages in seq order, the
// agent's own messages pending until acked (with words saying whether they
// are on their way or not sent yet), client-side notes (transfers, closes,
// reopens) and the read state of the agent's messages. Everything is text.

import { Message } from "./api";
import { byId, el, formatTime, replace } from "./dom";
import { agentName, state, visitorName } from "./state";

/**
 * How a pending message is doing: on its way ("sending"), sent but not acked
 * after a while ("waiting"), or held until the connection is back.
 */
export type PendingState = "sending" | "waiting" | "offline" | "refused";

const pendingWords: Record<PendingState, string> = {
  sending: "sending",
  waiting: "not sent yet: waiting for the server",
  offline: "not sent yet: offline",
  refused: "not sent yet: cannot connect",
};

const bySeq = new Map<number, HTMLLIElement>();
let highest = 0; // highest seq held
let noteSeq = 0;
let conversation = ""; // whose messages the list holds

const list = () => byId<HTMLOListElement>("message-list");

/** The highest seq the list holds. */
export function highestSeq(): number {
  return highest;
}

/** Whether the list holds a message of this seq. */
export function hasSeq(seq: number): boolean {
  return bySeq.has(seq);
}

/** Empties the list for a conversation ("" after sign-out). */
export function clearMessages(id: string): void {
  conversation = id;
  bySeq.clear();
  highest = 0;
  replace(list());
}

/** The item of a message the agent is sending (pending until acked). */
export function pendingItem(clientId: string, text: string): HTMLLIElement {
  const li = messageItem({ sender_kind: "agent", sender_id: state.me?.id, text, created_at: new Date().toISOString() });
  li.classList.add("pending");
  li.setAttribute("data-pending", "true");
  li.setAttribute("data-client-id", clientId);
  list().appendChild(li);
  scrollDown();
  return li;
}

/** Shows whether a pending message is on its way or not sent yet. */
export function pendingState(li: HTMLLIElement, s: PendingState): void {
  li.setAttribute("data-pending-state", s);
  li.classList.toggle("held", s !== "sending");
  receipt(li, pendingWords[s]);
}

/** Adds a stored message (or settles the pending item it answers); false for a duplicate. */
export function addMessage(m: Message, pending?: HTMLLIElement): boolean {
  if (bySeq.has(m.seq)) {
    pending?.remove();
    return false;
  }
  const li = pending ?? messageItem(m);
  li.setAttribute("data-message-id", m.id);
  settle(li, m.seq);
  scrollDown();
  return true;
}

/** Settles a pending item as the stored message seq (its ack came first). */
export function settle(li: HTMLLIElement, seq: number): void {
  if (bySeq.has(seq) && bySeq.get(seq) !== li) {
    li.remove(); // the message frame came first
    return;
  }
  li.classList.remove("pending", "held");
  li.removeAttribute("data-pending");
  li.removeAttribute("data-pending-state");
  li.setAttribute("data-seq", String(seq));
  receipt(li, "sent");
  bySeq.set(seq, li);
  highest = Math.max(highest, seq);
  place(li, seq);
}

/** Marks a pending message refused by the server. */
export function failed(li: HTMLLIElement, code: string): void {
  li.classList.remove("held");
  li.classList.add("failed");
  li.setAttribute("data-failed", code);
  receipt(li, "not sent");
}

/** Adds a client-side note ("Transferred to Bob") after the newest message. */
export function addNote(text: string): void {
  const li = el(
    "li",
    { class: "msg system note", "data-testid": "note", "data-after-seq": String(highest), "data-note": String(++noteSeq) },
    el("span", { class: "text" }, text),
    el("span", { class: "time" }, formatTime(new Date().toISOString())),
  );
  place(li, highest + 0.5);
  scrollDown();
}

// order is where an item sorts: a message by its seq, a note just after the
// message it followed, pending items last.
function order(li: Element): number {
  const seq = li.getAttribute("data-seq");
  if (seq !== null) return Number(seq);
  const after = li.getAttribute("data-after-seq");
  if (after !== null) return Number(after) + 0.5;
  return Infinity;
}

function place(li: HTMLLIElement, key: number): void {
  const ol = list();
  let before: Element | null = null;
  for (const child of Array.from(ol.children)) {
    if (child === li) continue;
    if (order(child) > key) {
      before = child;
      break;
    }
  }
  if (li.parentNode !== ol || li.nextSibling !== before) ol.insertBefore(li, before);
}

function messageItem(m: Partial<Message>): HTMLLIElement {
  const kind = m.sender_kind ?? "system";
  const mine = kind === "agent" && !!state.me && m.sender_id === state.me.id;
  const visitor = state.conversations.get(conversation)?.visitor_id ?? "";
  const who = kind === "visitor" ? visitorName(visitor) : kind === "agent" ? (mine ? "You" : agentName(m.sender_id)) : "System";
  return el(
    "li",
    { class: `msg ${kind}${mine ? " mine" : ""}`, "data-testid": "message", "data-sender-kind": kind },
    el("span", { class: kind === "visitor" ? "author visitor-name" : "author" }, who),
    el("div", { class: "text", "data-testid": "message-text" }, m.text ?? ""),
    el("span", { class: "time" }, formatTime(m.created_at)),
    kind === "agent" ? el("span", { class: "receipt", "data-testid": "receipt" }, m.seq ? "sent" : "sending") : null,
  );
}

// receipt sets an agent message's delivery mark (text, so it is visible to
// assistive technology and tests alike).
function receipt(li: HTMLLIElement, text: string): void {
  const r = li.querySelector(".receipt");
  if (r) r.textContent = text;
}

function scrollDown(): void {
  const ol = list();
  ol.scrollTop = ol.scrollHeight;
}

/** Marks the agent's messages the visitor has read, and the footer line. */
export function renderReadState(visitorRead: number): void {
  let lastAgent = 0;
  for (const [seq, li] of bySeq) {
    if (li.getAttribute("data-sender-kind") !== "agent") continue;
    lastAgent = Math.max(lastAgent, seq);
    const read = seq <= visitorRead;
    li.classList.toggle("read", read);
    li.setAttribute("data-read", String(read));
    receipt(li, read ? "seen" : "sent");
  }
  const rs = byId("read-state");
  rs.setAttribute("data-visitor-read-seq", String(visitorRead));
  rs.setAttribute("data-state", lastAgent === 0 ? "none" : lastAgent <= visitorRead ? "seen" : "delivered");
  rs.textContent = lastAgent === 0 ? "" : lastAgent <= visitorRead ? "Seen by the visitor" : "Delivered";
}
