// The conversation view: history (join after_seq 0, then live), sending with
// a client_id per message (pending until acked, resent with the same id after
// a reconnect), typing both ways, read receipts both ways, claim, transfer,
// close and the visitor's details. Everything is rendered as text.

import { Message } from "./api";
import { byId, el, formatTime, replace, show } from "./dom";
import { Frame } from "./socket";
import { act, renderDetails, renderHead, setError } from "./header";
import { agentName, loadVisitor, onConversations, state, visitorName } from "./state";

interface Pending {
  clientId: string;
  text: string;
  li: HTMLLIElement;
}

let current = "";
let highest = 0; // highest seq held for the current conversation
let readSent = 0; // highest seq we reported read
let visitorRead = 0;
const bySeq = new Map<number, HTMLLIElement>();
const pending = new Map<string, Pending>(); // by client_id
const refs = new Map<string, string>(); // message.send ref → client_id
let typingOut = false;
let typingSentAt = 0;
let typingStop = 0;
let typingHide = 0;
let readTimer = 0;

const list = () => byId<HTMLOListElement>("message-list");
const input = () => byId<HTMLTextAreaElement>("composer-input");

/** The open conversation's id ("" when none). */
export function currentConversation(): string {
  return current;
}

/** Wires the composer and the action buttons. */
export function initConversation(): void {
  byId("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    sendComposer();
  });
  input().addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendComposer();
    }
  });
  input().addEventListener("input", typingChanged);
  byId("claim-button").addEventListener("click", () => act(current, "conversation.claim", {}));
  byId("close-button").addEventListener("click", () => act(current, "conversation.close", {}));
  byId("transfer-button").addEventListener("click", () => {
    const to = byId<HTMLSelectElement>("transfer-select").value;
    if (to) act(current, "conversation.transfer", { agent_id: to });
    else setError("Pick an agent to transfer to.");
  });
  document.addEventListener("visibilitychange", scheduleRead);
  window.addEventListener("focus", scheduleRead);
  onConversations(() => renderHead(current));
}

/** Opens a conversation: leaves the previous one, joins this one from the start. */
export function openConversation(id: string): void {
  const s = state.socket;
  if (current && current !== id) {
    stopTyping();
    s?.send("conversation.leave", { conversation_id: current });
  }
  if (current !== id) {
    current = id;
    highest = 0;
    readSent = 0;
    bySeq.clear();
    pending.clear();
    replace(list());
    input().value = "";
    const c = state.conversations.get(id);
    visitorRead = c?.visitor_read_seq ?? 0;
    hideTyping();
    setError("");
  }
  show(byId("conversation-empty"), false);
  show(byId("conversation-view"), true);
  join();
  renderHead(current);
  renderReadState();
  const c = state.conversations.get(id);
  if (c) {
    state.visitors.delete(c.visitor_id);
    void loadVisitor(c.visitor_id).then(() => renderDetails(current));
  }
  renderDetails(current);
}

/** Closes the view (sign-out). */
export function resetConversation(): void {
  current = "";
  bySeq.clear();
  pending.clear();
  refs.clear();
  replace(list());
  show(byId("conversation-view"), false);
  show(byId("conversation-empty"), true);
}

/** After a reconnect: join again from the highest seq held and resend unacked messages. */
export function resumeConversation(): void {
  if (!current) return;
  join();
  for (const p of pending.values()) transmit(p);
}

/** Handles the frames that concern the open conversation. */
export function conversationFrame(f: Frame): void {
  const d = f.data ?? {};
  switch (f.type) {
    case "message":
      if (d.conversation_id === current) addMessage(d as unknown as Message);
      break;
    case "ack":
      if (d.conversation_id === current) acked(String(d.client_id), Number(d.seq));
      break;
    case "joined":
      if (d.conversation_id === current) scheduleRead();
      break;
    case "typing":
      if (d.conversation_id === current) typingIn(d);
      break;
    case "receipt":
      if (d.conversation_id === current && d.side === "visitor") {
        visitorRead = Math.max(visitorRead, Number(d.seq));
        renderReadState();
      }
      break;
    case "error":
      if (f.ref && refs.has(f.ref)) sendFailed(f.ref, String(d.code), String(d.message ?? ""));
      break;
  }
}

function join(): void {
  const s = state.socket;
  if (!s || !current) return;
  s.send("conversation.join", { conversation_id: current, after_seq: highest }, s.nextRef("j"));
}

function sendComposer(): void {
  const text = input().value.trim();
  if (!text || !current) return;
  const c = state.conversations.get(current);
  if (c?.status === "closed") {
    setError("This conversation is closed.");
    return;
  }
  input().value = "";
  stopTyping();
  const clientId = "con-" + (crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2));
  const li = messageItem({ sender_kind: "agent", sender_id: state.me?.id, text, created_at: new Date().toISOString() });
  li.classList.add("pending");
  li.setAttribute("data-pending", "true");
  li.setAttribute("data-client-id", clientId);
  list().appendChild(li);
  scrollDown();
  const p = { clientId, text, li };
  pending.set(clientId, p);
  transmit(p);
}

function transmit(p: Pending): void {
  const s = state.socket;
  if (!s) return;
  const ref = s.nextRef("m");
  if (s.send("message.send", { conversation_id: current, client_id: p.clientId, text: p.text }, ref)) refs.set(ref, p.clientId);
}

function acked(clientId: string, seq: number): void {
  const p = pending.get(clientId);
  if (!p) return;
  pending.delete(clientId);
  if (bySeq.has(seq)) {
    p.li.remove(); // the message frame came first
    return;
  }
  settle(p.li, seq);
}

function settle(li: HTMLLIElement, seq: number): void {
  li.classList.remove("pending");
  li.removeAttribute("data-pending");
  li.setAttribute("data-seq", String(seq));
  bySeq.set(seq, li);
  highest = Math.max(highest, seq);
  place(li, seq);
  renderReadState();
}

function sendFailed(ref: string, code: string, message: string): void {
  const clientId = refs.get(ref) ?? "";
  refs.delete(ref);
  const p = pending.get(clientId);
  if (!p) return;
  if (code === "rate_limited" || code === "internal") return; // resent on the next reconnect
  pending.delete(clientId);
  p.li.classList.add("failed");
  p.li.setAttribute("data-failed", code);
  receipt(p.li, "not sent");
  setError("Not sent: " + (message || code));
}

function addMessage(m: Message): void {
  if (bySeq.has(m.seq)) return; // a replayed or echoed duplicate
  const p = m.client_id ? pending.get(m.client_id) : undefined;
  let li: HTMLLIElement;
  if (p) {
    pending.delete(p.clientId);
    li = p.li;
  } else {
    li = messageItem(m);
  }
  li.setAttribute("data-message-id", m.id);
  settle(li, m.seq);
  if (m.sender_kind === "visitor") hideTyping();
  scrollDown();
  scheduleRead();
}

// place keeps the list in seq order: settled items sorted, pending ones last.
function place(li: HTMLLIElement, seq: number): void {
  const ol = list();
  let before: Element | null = null;
  for (const child of Array.from(ol.children)) {
    const s = child.getAttribute("data-seq");
    if (child === li) continue;
    if (s === null || Number(s) > seq) {
      before = child;
      break;
    }
  }
  if (li.parentNode !== ol || li.nextSibling !== before) ol.insertBefore(li, before);
}

function messageItem(m: Partial<Message>): HTMLLIElement {
  const kind = m.sender_kind ?? "system";
  const mine = kind === "agent" && !!state.me && m.sender_id === state.me.id;
  const who =
    kind === "visitor" ? visitorName(state.conversations.get(current)?.visitor_id ?? "") : kind === "agent" ? (mine ? "You" : agentName(m.sender_id)) : "System";
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

// --- read receipts ---

function scheduleRead(): void {
  window.clearTimeout(readTimer);
  readTimer = window.setTimeout(sendRead, 150);
}

function sendRead(): void {
  if (!current || document.visibilityState !== "visible" || highest <= readSent) return;
  if (state.socket?.send("read", { conversation_id: current, seq: highest })) {
    readSent = highest;
    const c = state.conversations.get(current);
    if (c && c.agent_read_seq < highest) {
      c.agent_read_seq = highest;
      c.last_seq = Math.max(c.last_seq, highest);
    }
  }
}

function renderReadState(): void {
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

// --- typing ---

function typingChanged(): void {
  if (!current) return;
  const now = Date.now();
  if (input().value.trim() === "") {
    stopTyping();
    return;
  }
  if (!typingOut || now - typingSentAt > 3000) {
    if (state.socket?.send("typing", { conversation_id: current, active: true })) {
      typingOut = true;
      typingSentAt = now;
    }
  }
  window.clearTimeout(typingStop);
  typingStop = window.setTimeout(stopTyping, 4000);
}

function stopTyping(): void {
  window.clearTimeout(typingStop);
  if (!typingOut) return;
  typingOut = false;
  if (current) state.socket?.send("typing", { conversation_id: current, active: false });
}

function typingIn(d: Record<string, unknown>): void {
  if (state.me && d.sender_id === state.me.id) return;
  const ind = byId("typing-indicator");
  window.clearTimeout(typingHide);
  if (!d.active) {
    hideTyping();
    return;
  }
  const who = d.sender_kind === "visitor" ? visitorName(state.conversations.get(current)?.visitor_id ?? "") : agentName(String(d.sender_id ?? ""));
  ind.textContent = who + " is typing…";
  ind.setAttribute("data-sender-kind", String(d.sender_kind ?? ""));
  show(ind, true);
  typingHide = window.setTimeout(hideTyping, 8000);
}

function hideTyping(): void {
  window.clearTimeout(typingHide);
  const ind = byId("typing-indicator");
  ind.textContent = "";
  show(ind, false);
}
