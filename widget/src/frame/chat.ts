// The conversation: its state (assignee, closed), the message log in
// sequence order, receipts, typing, and sending with resend by client id.
import { Conversation, getConversation, openConversation } from "./api";
import { charCount, timeLabel, tooLong } from "./format";
import { updateCounter } from "./forms";
import { agentName } from "./names";
import { renderNotice, renderStatus, setView, showForm } from "./panel";
import { Frame } from "./socket";
import { st, visible } from "./state";
import { $, Bubble, bubble, greet, note, place, show, stamp, text } from "./ui";

const GREETING = "Hi! How can we help?";
const log = $("log");
const input = $<HTMLTextAreaElement>("input");
const typingEl = $("typing");
let typingOn = false;
let typingTimer = 0;
let typingHide = 0;

// ---- conversation state ----

/**
 * applyConversation applies a conversation's state; once its state is
 * known, a close, a reopening and every new assignee leave a note.
 */
export async function applyConversation(c: Conversation): Promise<void> {
  if (c.id !== st.convID) return;
  if (c.agent_read_seq) receipt(c.agent_read_seq);
  const wasClosed = st.closed;
  st.closed = c.status === "closed";
  const first = !st.known;
  st.known = true;
  if (!first && st.closed !== wasClosed) {
    note(log, st.closed ? "This conversation was closed" : "This conversation was reopened", st.lastSeq);
  }
  show($("composer"), !st.closed);
  show($("newchat"), st.closed);
  const a = c.assignee_id || "";
  const before = st.assignee;
  st.assignee = a;
  renderNotice();
  if (!a) {
    st.agentName = "";
    text($("title"), "Chat with us");
    text($("avatar"), "");
    return;
  }
  if (a === before) return;
  const at = st.lastSeq;
  const name = await agentName(c.id, a);
  if (st.assignee !== a || st.convID !== c.id) return;
  st.agentName = name;
  text($("title"), name);
  text($("avatar"), name.slice(0, 1).toUpperCase());
  if (!first) note(log, "You are now chatting with " + name, at);
}

function receipt(seq: number): void {
  if (seq <= st.agentReadSeq) return;
  st.agentReadSeq = seq;
  for (const [s, b] of st.mine) if (s <= seq) text(b.meta, "Read");
}

/** markRead tells the hub the visitor has seen every message so far. */
export function markRead(): void {
  if (!st.joined || !visible() || st.lastSeq <= st.sentRead) return;
  if (st.socket?.send({ type: "read", data: { conversation_id: st.convID, seq: st.lastSeq } })) st.sentRead = st.lastSeq;
}

// ---- messages ----

interface MessageData {
  conversation_id: string;
  seq: number;
  client_id?: string;
  sender_kind: string;
  sender_id?: string;
  text: string;
  created_at?: string;
}

function onMessage(m: MessageData): void {
  if (m.conversation_id !== st.convID) return;
  if (m.seq > st.lastSeq) st.lastSeq = m.seq;
  if (st.seen.has(m.seq)) return;
  st.seen.add(m.seq);
  const p = m.client_id && m.sender_kind === "visitor" ? st.pending.get(m.client_id) : undefined;
  if (p && m.client_id) {
    st.pending.delete(m.client_id);
    stored(p.b, m.seq, m.created_at);
    delivered(m.client_id);
  } else {
    const b = bubble(log, m.sender_kind, m.text, m.seq);
    if (m.sender_kind === "visitor") stored(b, m.seq, m.created_at);
    else when(b, m.created_at);
    if (m.sender_kind === "agent") void byline(b, m.sender_id || "");
  }
  if (m.sender_kind === "agent") {
    show(typingEl, false);
    if (st.joined && !visible()) st.notify(); // live, not the replay of a join
  }
  markRead();
}

function when(b: Bubble, createdAt?: string): void {
  if (createdAt) stamp(b, createdAt, timeLabel(new Date(createdAt), new Date()));
}

// byline names the agent who wrote a message.
async function byline(b: Bubble, agentID: string): Promise<void> {
  const name = agentID && st.convID ? await agentName(st.convID, agentID) : "Support";
  text(b.who, name);
}

function stored(b: Bubble, seq: number, createdAt?: string): void {
  place(log, b, seq);
  st.mine.set(seq, b);
  when(b, createdAt);
  text(b.meta, seq <= st.agentReadSeq ? "Read" : "Sent");
}

function onAck(a: { conversation_id: string; client_id: string; seq: number; created_at?: string }): void {
  const p = st.pending.get(a.client_id);
  if (!p || a.conversation_id !== st.convID) return;
  st.pending.delete(a.client_id);
  st.seen.add(a.seq);
  stored(p.b, a.seq, a.created_at);
  delivered(a.client_id);
}

// delivered thanks the visitor once the offline form's message is stored.
function delivered(cid: string): void {
  if (!st.offlineCid || cid !== st.offlineCid) return;
  st.offlineCid = "";
  show($("thanks"), true);
  renderNotice();
}

function onTyping(t: { conversation_id: string; active: boolean; sender_kind: string }): void {
  if (t.conversation_id !== st.convID || t.sender_kind !== "agent") return;
  text(typingEl, (st.agentName || "The agent") + " is typing…");
  show(typingEl, t.active);
  clearTimeout(typingHide);
  if (t.active) typingHide = setTimeout(() => show(typingEl, false), 8000) as unknown as number;
}

function onError(ref: string, e: { code: string }): void {
  if (ref.startsWith("m:")) {
    const p = st.pending.get(ref.slice(2));
    if (p && e.code !== "rate_limited") {
      st.pending.delete(ref.slice(2));
      text(p.b.meta, "Not sent");
    }
    if (e.code === "conversation_closed") void getConversation(st.convID).then(applyConversation, () => {});
  } else if (ref === "j" && e.code === "not_found") {
    resetConversation();
    showForm();
  }
}

// ---- the socket's frames ----

/** startConversation asks for a new conversation, once per socket. */
export function startConversation(): void {
  if (st.socket?.send({ type: "conversation.start", ref: "s" })) st.startSent = true;
}

// resume runs on every ready: it rejoins the conversation after the last
// seq it holds, or starts the one the visitor asked for. A start whose
// reply was lost with the socket may have created it: look before starting.
async function resume(): Promise<void> {
  if (!st.convID && st.wantStart && st.startSent) {
    const c = await openConversation(st.visitorID).catch(() => null);
    if (c && !st.convID) {
      st.wantStart = false;
      st.convID = c.id;
    }
  }
  if (st.convID) st.socket?.send({ type: "conversation.join", ref: "j", data: { conversation_id: st.convID, after_seq: st.lastSeq } });
  else if (st.wantStart) startConversation();
}

/** onFrame handles every frame the hub sends. */
export function onFrame(f: Frame): void {
  const d = f.data || {};
  switch (f.type) {
    case "ready":
      st.joined = false;
      st.connected = true;
      renderStatus();
      void resume();
      break;
    case "conversation":
      if (f.ref === "s" && st.wantStart) {
        st.wantStart = st.startSent = false;
        st.convID = d.id;
        st.known = true; // a new conversation: its first assignee gets a note
      }
      void applyConversation(d);
      break;
    case "joined":
      if (d.conversation_id !== st.convID) break;
      st.joined = true;
      for (const [cid, p] of st.pending) sendFrame(cid, p.text);
      markRead();
      void getConversation(st.convID).then(applyConversation, () => {});
      break;
    case "message":
      onMessage(d);
      break;
    case "ack":
      onAck(d);
      break;
    case "typing":
      onTyping(d);
      break;
    case "receipt":
      if (d.conversation_id === st.convID && d.side === "agent") receipt(d.seq);
      break;
    case "error":
      onError(f.ref || "", d);
      break;
  }
}

// ---- sending ----

function clientID(): string {
  const r = new Uint8Array(12);
  crypto.getRandomValues(r);
  return "w-" + Array.from(r, (x) => x.toString(16).padStart(2, "0")).join("");
}

function sendFrame(cid: string, body: string): void {
  st.socket?.send({ type: "message.send", ref: "m:" + cid, data: { conversation_id: st.convID, client_id: cid, text: body } });
}

function sendError(msg: string): void {
  text($("sendError"), msg);
  show($("sendError"), !!msg);
}

/**
 * send sends the composer's text; one over the hub's limit is refused here,
 * with the reason, and stays in the composer to be shortened.
 */
export function send(): void {
  const body = input.value.trim();
  if (!body || st.closed) return;
  const why = tooLong(charCount(body));
  sendError(why);
  if (why) return;
  input.value = "";
  composed();
  stopTyping();
  queue(body);
}

/** composed updates the counter (and clears a length error) after the composer changed. */
export function composed(): void {
  const n = updateCounter(input, $("counter"));
  if (!tooLong(n)) sendError("");
}

/** queue shows a message as sending and sends it once the conversation is joined. */
export function queue(body: string): string {
  const cid = clientID();
  const b = bubble(log, "visitor", body, 0);
  b.li.classList.add("pending");
  text(b.meta, "Sending…");
  st.pending.set(cid, { text: body, b });
  if (st.joined) sendFrame(cid, body);
  return cid;
}

function stopTyping(): void {
  clearTimeout(typingTimer);
  if (!typingOn) return;
  typingOn = false;
  if (st.joined) st.socket?.send({ type: "typing", data: { conversation_id: st.convID, active: false } });
}

/** typed reports typing to the agent, at most once per pause. */
export function typed(): void {
  composed();
  if (!st.joined) return;
  if (!typingOn) {
    typingOn = true;
    st.socket?.send({ type: "typing", data: { conversation_id: st.convID, active: true } });
  }
  clearTimeout(typingTimer);
  typingTimer = setTimeout(stopTyping, 3000) as unknown as number;
}

// ---- lifecycle ----

/** resetConversation forgets the conversation: the log starts over with the greeting. */
export function resetConversation(): void {
  st.convID = "";
  st.lastSeq = st.sentRead = st.agentReadSeq = 0;
  st.assignee = st.agentName = "";
  st.closed = st.joined = st.startSent = st.known = false;
  st.seen.clear();
  st.mine.clear();
  st.pending.clear();
  log.replaceChildren();
  greet(log, GREETING);
  st.offlineCid = "";
  show($("thanks"), false);
  text($("title"), "Chat with us");
  text($("avatar"), "");
  renderNotice();
}

/** showChat shows the chat, open for writing. */
export function showChat(): void {
  setView("chat");
  greet(log, GREETING);
  show($("composer"), true);
  show($("newchat"), false);
}
