// The visitor iframe app, served from the hub's origin at /widget/frame.
// It keeps only the conversation id, the last sequence number and unsent
// messages in memory; the visitor session is an HttpOnly cookie.
import { APIError, Conversation, WidgetConfig, assigneeName, defaultConfig, getConversation, me, openConversation, startSession, widgetConfig } from "./api";
import { applyPrechat, missingField, offlineValues, prechatValues } from "./forms";
import { Host } from "./host";
import { Frame, Socket } from "./socket";
import { $, Bubble, bubble, place, show, text } from "./ui";

interface Pending {
  text: string;
  b: Bubble;
}

const key = new URLSearchParams(location.search).get("key") || "";
const log = $("log");
const input = $<HTMLTextAreaElement>("input");
const typingEl = $("typing");

let visitorID = "";
let convID = "";
let lastSeq = 0; // highest seq received as a message frame
let wantStart = false;
let joined = false;
let closed = false;
let assignee = "";
let agentName = "";
let agentReadSeq = 0;
let sentRead = 0;
let unread = 0;
let panelOpen = false;
let typingOn = false;
let typingTimer = 0;
let typingHide = 0;
let socket: Socket | null = null;
let config: WidgetConfig = defaultConfig;
let offlineCid = ""; // the client id of the offline form's message
const seen = new Set<number>();
const pending = new Map<string, Pending>();
const mine = new Map<number, Bubble>();

const host = new Host((type) => {
  if (type === "open" || type === "close") setOpen(type === "open");
});
panelOpen = !host.origin;

function visible(): boolean {
  return panelOpen && document.visibilityState === "visible";
}

function setOpen(v: boolean): void {
  panelOpen = v;
  if (v) {
    clearUnread();
    markRead();
    if (!$("chat").hidden) input.focus();
  }
}

function notice(msg: string): void {
  text($("notice"), msg);
  show($("notice"), !!msg);
}

function status(msg: string): void {
  text($("status"), msg);
}

// ---- notifications ----

function clearUnread(): void {
  if (unread === 0) return;
  unread = 0;
  host.post("unread", { count: 0 });
}

function notify(): void {
  if (visible()) return;
  unread++;
  host.post("unread", { count: unread });
  beep();
}

// The audio context is created on the visitor's first gesture in the frame
// (browsers refuse it before); until then notifications are silent.
let audio: AudioContext | null = null;
function unlockAudio(): void {
  try {
    audio ||= new AudioContext();
  } catch {
    /* no sound */
  }
}

function beep(): void {
  if (!audio || audio.state !== "running") return;
  try {
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.frequency.value = 880;
    g.gain.value = 0.05;
    o.connect(g).connect(audio.destination);
    o.start();
    o.stop(audio.currentTime + 0.12);
  } catch {
    /* sound is best effort */
  }
}

// ---- conversation state ----

async function applyConversation(c: Conversation): Promise<void> {
  if (c.id !== convID) return;
  closed = c.status === "closed";
  if (c.agent_read_seq) receipt(c.agent_read_seq);
  show($("composer"), !closed);
  show($("newchat"), closed);
  if (closed) {
    notice("This conversation has been closed.");
    return;
  }
  const a = c.assignee_id || "";
  if (!a) {
    assignee = "";
    text($("title"), "Chat with us");
    text($("avatar"), "");
    if ($("thanks").hidden) notice("No agent is available right now. Leave a message and we will reply here as soon as we can.");
    return;
  }
  notice("");
  if (a === assignee) return;
  assignee = a;
  const name = await assigneeName(c.id);
  if (assignee !== a) return;
  agentName = name;
  text($("title"), name || "Support");
  text($("avatar"), (name || "S").slice(0, 1).toUpperCase());
}

function receipt(seq: number): void {
  if (seq <= agentReadSeq) return;
  agentReadSeq = seq;
  for (const [s, b] of mine) if (s <= seq) text(b.meta, "Read");
}

function markRead(): void {
  if (!joined || !visible() || lastSeq <= sentRead) return;
  if (socket?.send({ type: "read", data: { conversation_id: convID, seq: lastSeq } })) sentRead = lastSeq;
}

function onMessage(m: { conversation_id: string; seq: number; client_id?: string; sender_kind: string; text: string }): void {
  if (m.conversation_id !== convID) return;
  if (m.seq > lastSeq) lastSeq = m.seq;
  if (seen.has(m.seq)) return;
  seen.add(m.seq);
  const p = m.client_id && m.sender_kind === "visitor" ? pending.get(m.client_id) : undefined;
  if (p && m.client_id) {
    pending.delete(m.client_id);
    stored(p.b, m.seq);
    delivered(m.client_id);
  } else {
    const b = bubble(log, m.sender_kind, m.text, m.seq);
    if (m.sender_kind === "visitor") stored(b, m.seq);
  }
  if (m.sender_kind === "agent") {
    show(typingEl, false);
    if (joined) notify(); // live, not the replay of a join
  }
  markRead();
}

function stored(b: Bubble, seq: number): void {
  place(log, b, seq);
  mine.set(seq, b);
  text(b.meta, seq <= agentReadSeq ? "Read" : "Sent");
}

function onAck(a: { conversation_id: string; client_id: string; seq: number }): void {
  const p = pending.get(a.client_id);
  if (!p || a.conversation_id !== convID) return;
  pending.delete(a.client_id);
  seen.add(a.seq);
  stored(p.b, a.seq);
  delivered(a.client_id);
}

// delivered thanks the visitor once the offline form's message is stored.
function delivered(cid: string): void {
  if (!offlineCid || cid !== offlineCid) return;
  offlineCid = "";
  notice("");
  show($("thanks"), true);
}

function onTyping(t: { conversation_id: string; active: boolean; sender_kind: string }): void {
  if (t.conversation_id !== convID || t.sender_kind !== "agent") return;
  text(typingEl, (agentName || "The agent") + " is typing…");
  show(typingEl, t.active);
  clearTimeout(typingHide);
  if (t.active) typingHide = setTimeout(() => show(typingEl, false), 8000) as unknown as number;
}

function onError(ref: string, e: { code: string }): void {
  if (ref.startsWith("m:")) {
    const p = pending.get(ref.slice(2));
    if (p && e.code !== "rate_limited") {
      pending.delete(ref.slice(2));
      text(p.b.meta, "Not sent");
    }
    if (e.code === "conversation_closed") void getConversation(convID).then(applyConversation, () => {});
  } else if (ref === "j" && e.code === "not_found") {
    resetConversation();
    showForm();
  }
}

// startConversation asks for a new conversation, once per socket.
let startSent = false;
function startConversation(): void {
  if (socket?.send({ type: "conversation.start", ref: "s" })) startSent = true;
}

// resume runs on every ready: it rejoins the conversation after the last
// seq it holds, or starts the one the visitor asked for. A start whose
// reply was lost with the socket may have created it: look before starting.
async function resume(): Promise<void> {
  if (!convID && wantStart && startSent) {
    const c = await openConversation(visitorID).catch(() => null);
    if (c && !convID) {
      wantStart = false;
      convID = c.id;
    }
  }
  if (convID) socket?.send({ type: "conversation.join", ref: "j", data: { conversation_id: convID, after_seq: lastSeq } });
  else if (wantStart) startConversation();
}

function onFrame(f: Frame): void {
  const d = f.data || {};
  switch (f.type) {
    case "ready":
      joined = false;
      status(config.agents_online || assignee ? "Online" : "Away: we will reply by email");
      void resume();
      break;
    case "conversation":
      if (f.ref === "s" && wantStart) {
        wantStart = startSent = false;
        convID = d.id;
      }
      void applyConversation(d);
      break;
    case "joined":
      if (d.conversation_id !== convID) break;
      joined = true;
      for (const [cid, p] of pending) sendFrame(cid, p.text);
      markRead();
      void getConversation(convID).then(applyConversation, () => {});
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
      if (d.conversation_id === convID && d.side === "agent") receipt(d.seq);
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
  socket?.send({ type: "message.send", ref: "m:" + cid, data: { conversation_id: convID, client_id: cid, text: body } });
}

function send(): void {
  const body = input.value.trim();
  if (!body || closed) return;
  input.value = "";
  stopTyping();
  queue(body);
}

// queue shows a message as sending and sends it once the conversation is joined.
function queue(body: string): string {
  const cid = clientID();
  const b = bubble(log, "visitor", body, 0);
  b.li.classList.add("pending");
  text(b.meta, "Sending…");
  pending.set(cid, { text: body, b });
  if (joined) sendFrame(cid, body);
  return cid;
}

function stopTyping(): void {
  clearTimeout(typingTimer);
  if (!typingOn) return;
  typingOn = false;
  if (joined) socket?.send({ type: "typing", data: { conversation_id: convID, active: false } });
}

function typed(): void {
  if (!joined) return;
  if (!typingOn) {
    typingOn = true;
    socket?.send({ type: "typing", data: { conversation_id: convID, active: true } });
  }
  clearTimeout(typingTimer);
  typingTimer = setTimeout(stopTyping, 3000) as unknown as number;
}

// ---- lifecycle ----

function resetConversation(): void {
  convID = "";
  lastSeq = sentRead = agentReadSeq = 0;
  assignee = agentName = "";
  closed = joined = startSent = false;
  seen.clear();
  mine.clear();
  pending.clear();
  log.replaceChildren();
  notice("");
  offlineCid = "";
  show($("thanks"), false);
}

// showForm shows the pre-chat form, or the offline form when no agent is online.
function showForm(): void {
  const off = !config.agents_online;
  show($("chat"), false);
  show($("prechat"), !off);
  show($("offline"), off);
  status(off ? "We are away right now" : "We usually reply in a few minutes");
}

function showChat(): void {
  show($("prechat"), false);
  show($("offline"), false);
  show($("chat"), true);
  show($("composer"), true);
  show($("newchat"), false);
}

function connect(): void {
  if (socket) {
    socket.open();
    return;
  }
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new Socket(proto + "//" + location.host + "/rest/v1/ws?key=" + encodeURIComponent(key), {
    frame: onFrame,
    state(up) {
      if (!up) {
        joined = false;
        status("Reconnecting…");
      }
    },
    async closed(code) {
      if (code === 4004) {
        status("Chat is unavailable");
        return false;
      }
      if (code >= 4001 && code <= 4003) {
        // The cookie's session ended: resume the same visitor for a new one.
        try {
          await startSession(key, {});
        } catch {
          /* retried on the next attempt */
        }
      }
      return true;
    },
  });
  socket.open();
}

async function submitForm(ev: Event): Promise<void> {
  ev.preventDefault();
  const err = $("formerror");
  const missing = missingField(config);
  text(err, missing);
  show(err, !!missing);
  if (missing) return;
  const btn = $<HTMLButtonElement>("start");
  btn.disabled = true;
  try {
    visitorID = await startSession(key, prechatValues());
    resetConversation();
    wantStart = true;
    showChat();
    connect();
    if (socket?.up()) startConversation();
    input.focus();
  } catch (e) {
    text(err, e instanceof APIError && e.code === "validation_failed" ? e.message : "Could not start the chat. Please try again.");
    show(err, true);
  } finally {
    btn.disabled = false;
  }
}

// submitOffline starts a session and a conversation with the offline form's
// message; it waits in the unassigned queue and the visitor is thanked once
// it is stored.
async function submitOffline(ev: Event): Promise<void> {
  ev.preventDefault();
  const err = $("offerror");
  const o = offlineValues();
  const fail = (msg: string) => {
    text(err, msg);
    show(err, !!msg);
  };
  fail(o.error);
  if (o.error) return;
  const btn = $<HTMLButtonElement>("off-send");
  btn.disabled = true;
  try {
    visitorID = await startSession(key, { name: o.name, email: o.email });
    resetConversation();
    wantStart = true;
    showChat();
    offlineCid = queue(o.body);
    connect();
    if (socket?.up()) startConversation();
  } catch (e) {
    fail(e instanceof APIError && e.code === "validation_failed" ? e.message : "Could not send your message. Please try again.");
  } finally {
    btn.disabled = false;
  }
}

async function boot(): Promise<void> {
  $("prechat").addEventListener("submit", (ev) => void submitForm(ev));
  $("offline").addEventListener("submit", (ev) => void submitOffline(ev));
  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    send();
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      send();
    }
  });
  input.addEventListener("input", typed);
  addEventListener("pointerdown", unlockAudio, { once: true });
  addEventListener("keydown", unlockAudio, { once: true });
  $("close").addEventListener("click", () => host.post("close"));
  $("newchat").addEventListener("click", () => {
    resetConversation();
    wantStart = true;
    showChat();
    if (socket?.up()) startConversation();
  });
  document.addEventListener("visibilitychange", () => visible() && (clearUnread(), markRead()));
  show($("close"), !!host.origin);
  host.post("ready");
  if (!key) {
    status("This chat is not configured");
    return;
  }
  const [cfg, vid] = await Promise.all([widgetConfig(key), me()]);
  config = cfg;
  applyPrechat(cfg);
  visitorID = vid;
  const conv = visitorID ? await openConversation(visitorID).catch(() => null) : null;
  if (!conv) {
    showForm();
    return;
  }
  convID = conv.id;
  showChat();
  void applyConversation(conv);
  status("Connecting…");
  connect();
}

void boot().catch(() => status("Chat is unavailable"));
