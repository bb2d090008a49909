// The open conversation: history (join after_seq 0, then live), sending with
// a client_id per message (pending until acked, resent with the same id after
// a reconnect), read marks (only while the conversation is visible and
// focused), claim, transfer, close and reopen with a note for each change,
// typing and the visitor's details. Everything is rendered as text.

import { Message } from "./api";
import { byId, show } from "./dom";
import { act, renderDetails, renderHead, setError } from "./header";
import { Change } from "./inbox_state";
import { messagesShown } from "./layout";
import { PendingState, addMessage, addNote, clearMessages, failed, hasSeq, highestSeq, pendingItem, pendingState, renderReadState, settle } from "./messages";
import { Frame } from "./socket";
import { agentName, loadVisitor, onChange, onConversations, state, update } from "./state";
import { hideTyping, stopTyping, typingChanged, typingIn } from "./typing";

interface Pending {
  clientId: string;
  text: string;
  li: HTMLLIElement;
  timer: number;
}

let current = "";
let readSent = 0; // highest seq reported read to the server
let visitorRead = 0;
let net: PendingState = "offline"; // "sending" while the socket is online
const pending = new Map<string, Pending>(); // by client_id
const refs = new Map<string, string>(); // message.send ref → client_id
const acting = new Map<string, string>(); // conversation id → action under way (for notes)
let readTimer = 0;

const input = () => byId<HTMLTextAreaElement>("composer-input");

/** The open conversation's id ("" when none). */
export function currentConversation(): string {
  return current;
}

/**
 * The open conversation if the agent can see it now: the page visible and
 * focused, the inbox shown and, on a phone, its messages pane; else "".
 */
export function viewing(): string {
  if (!current || state.view !== "inbox" || !messagesShown()) return "";
  return document.visibilityState === "visible" && document.hasFocus() ? current : "";
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
  input().addEventListener("input", () => typingChanged(current, input().value));
  byId("claim-button").addEventListener("click", () => action("conversation.claim", {}));
  byId("close-button").addEventListener("click", () => action("conversation.close", {}));
  byId("reopen-button").addEventListener("click", () => action("conversation.reopen", {}));
  byId("transfer-button").addEventListener("click", () => {
    const to = byId<HTMLSelectElement>("transfer-select").value;
    if (to) action("conversation.transfer", { agent_id: to });
    else setError("Pick an agent to transfer to.");
  });
  document.addEventListener("visibilitychange", () => scheduleRead());
  window.addEventListener("focus", () => scheduleRead());
  window.addEventListener("pagehide", flushRead);
  onConversations(() => renderHead(current));
  onChange(noteChange);
}

function action(type: string, extra: Record<string, unknown>): void {
  const id = current;
  acting.set(id, type);
  void act(id, type, extra).finally(() => acting.delete(id));
}

/** Opens a conversation: leaves the previous one, joins this one from the start. */
export function openConversation(id: string): void {
  const s = state.socket;
  if (current && current !== id) {
    flushRead(); // what was read there, before leaving it
    stopTyping();
    s?.send("conversation.leave", { conversation_id: current });
  }
  if (current !== id) {
    current = id;
    readSent = 0;
    unsent = null;
    for (const p of pending.values()) window.clearTimeout(p.timer);
    pending.clear();
    clearMessages(id);
    input().value = "";
    visitorRead = state.conversations.get(id)?.visitor_read_seq ?? 0;
    hideTyping();
    setError("");
  }
  show(byId("conversation-empty"), false);
  show(byId("conversation-view"), true);
  join();
  renderHead(current);
  renderReadState(visitorRead);
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
  for (const p of pending.values()) window.clearTimeout(p.timer);
  pending.clear();
  refs.clear();
  clearMessages("");
  show(byId("conversation-view"), false);
  show(byId("conversation-empty"), true);
}

/** After a reconnect: join again from the highest seq held and resend unacked messages. */
export function resumeConversation(): void {
  if (!current) return;
  join();
  for (const p of pending.values()) transmit(p);
}

/** The connection changed: pending messages say whether they are on their way. */
export function connectionChanged(s: "sending" | "offline" | "refused"): void {
  net = s;
  for (const p of pending.values()) pendingState(p.li, s);
}

/** Handles the frames that concern the open conversation. */
export function conversationFrame(f: Frame): void {
  const d = f.data ?? {};
  if (d.conversation_id !== current && f.type !== "error") return;
  switch (f.type) {
    case "message":
      received(d as unknown as Message);
      break;
    case "ack":
      acked(String(d.client_id), Number(d.seq), String(d.created_at ?? ""));
      break;
    case "joined":
      byId("message-list").removeAttribute("aria-busy");
      if (unsent) flushRead();
      scheduleRead();
      break;
    case "typing":
      typingIn(d, state.conversations.get(current)?.visitor_id ?? "");
      break;
    case "receipt":
      if (d.side === "visitor") {
        visitorRead = Math.max(visitorRead, Number(d.seq));
        renderReadState(visitorRead);
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
  if (highestSeq() === 0) byId("message-list").setAttribute("aria-busy", "true"); // the replay is not announced
  s.send("conversation.join", { conversation_id: current, after_seq: highestSeq() }, s.nextRef("j"));
}

function sendComposer(): void {
  const text = input().value.trim();
  if (!text || !current) return;
  if (state.conversations.get(current)?.status === "closed") {
    setError("This conversation is closed.");
    return;
  }
  input().value = "";
  stopTyping();
  const clientId = "con-" + (crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2));
  const p: Pending = { clientId, text, li: pendingItem(clientId, text), timer: 0 };
  pending.set(clientId, p);
  transmit(p);
}

// transmit sends a pending message; when it cannot go now, or no ack comes
// within 5 s, its mark says it is not sent yet.
function transmit(p: Pending): void {
  const s = state.socket;
  const ref = s?.nextRef("m") ?? "";
  const sent = !!s && s.send("message.send", { conversation_id: current, client_id: p.clientId, text: p.text }, ref);
  if (sent) refs.set(ref, p.clientId);
  pendingState(p.li, sent ? "sending" : net === "sending" ? "offline" : net);
  window.clearTimeout(p.timer);
  p.timer = window.setTimeout(() => {
    if (pending.has(p.clientId)) pendingState(p.li, net === "sending" ? "waiting" : net);
  }, 5000);
}

function acked(clientId: string, seq: number, createdAt: string): void {
  const p = pending.get(clientId);
  if (!p) return;
  pending.delete(clientId);
  window.clearTimeout(p.timer);
  settle(p.li, seq);
  renderReadState(visitorRead);
  const me = state.me?.id;
  update(state.inbox.applyMessage({ conversation_id: current, seq, sender_kind: "agent", sender_id: me, text: p.text, created_at: createdAt }), "message");
  scheduleRead(true);
}

function sendFailed(ref: string, code: string, message: string): void {
  const clientId = refs.get(ref) ?? "";
  refs.delete(ref);
  const p = pending.get(clientId);
  if (!p) return;
  if (code === "rate_limited" || code === "internal") return; // resent on the next reconnect
  pending.delete(clientId);
  window.clearTimeout(p.timer);
  failed(p.li, code);
  setError("Not sent: " + (message || code));
}

function received(m: Message): void {
  if (hasSeq(m.seq)) return; // a replayed or echoed duplicate
  const p = m.client_id ? pending.get(m.client_id) : undefined;
  if (p) {
    pending.delete(p.clientId);
    window.clearTimeout(p.timer);
  }
  addMessage(m, p?.li);
  renderReadState(visitorRead);
  if (m.sender_kind === "visitor") hideTyping();
  update(state.inbox.applyMessage(m), "message");
  scheduleRead();
}

// --- read marks: only what the agent can see now is read ---

let unsent: { id: string; seq: number } | null = null; // a read mark not sent yet

// scheduleRead marks what the agent sees now read: at once in the inbox,
// and for the server after a short pause that coalesces a join's replay
// (now: without the pause, after the agent's own message).
function scheduleRead(now = false): void {
  const id = viewing();
  if (!id) return;
  const seq = highestSeq();
  update(state.inbox.markRead(id, seq), "read");
  if (seq <= readSent) return;
  unsent = { id, seq };
  window.clearTimeout(readTimer);
  if (now) flushRead();
  else readTimer = window.setTimeout(flushRead, 150);
}

/** Re-checks whether the open conversation is being read (a view or pane changed). */
export function visibilityChanged(): void {
  scheduleRead();
}

// flushRead sends the pending read mark (before another conversation opens,
// when the page goes away, or after the pause).
function flushRead(): void {
  window.clearTimeout(readTimer);
  const u = unsent;
  unsent = null;
  if (!u || u.id !== current || u.seq <= readSent) return;
  if (state.socket?.send("read", { conversation_id: u.id, seq: u.seq })) readSent = u.seq;
  else unsent = u; // sent after the reconnect's join
}

// --- notes: what changed in the open conversation while it is open ---

function noteChange(ch: Change): void {
  const { prev, next } = ch;
  if (!prev || next.id !== current || !ch.stateChanged) return;
  const mine = acting.get(next.id);
  if (prev.status !== next.status) {
    if (next.status === "closed") addNote(mine === "conversation.close" ? "Closed by you" : "Closed");
    else addNote(mine === "conversation.reopen" ? "Reopened by you" : "Reopened by " + agentName(next.assignee_id));
    return;
  }
  const to = next.assignee_id;
  if (!to) addNote("Unassigned");
  else if (mine === "conversation.claim") addNote("Claimed by you");
  else if (mine === "conversation.transfer") addNote("Transferred to " + agentName(to));
  else if (!prev.assignee_id) addNote(to === state.me?.id ? "Assigned to you" : "Claimed by " + agentName(to));
  else addNote("Transferred to " + agentName(to));
}
