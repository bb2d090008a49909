// The visitor iframe app, served from the hub's origin at /widget/frame.
// It keeps only the conversation id, the last sequence number and unsent
// messages in memory; the visitor session is an HttpOnly cookie.
import { APIError, Conversation, WidgetConfig, defaultConfig, getConversation, me, openConversation, startSession, widgetConfig } from "./api";
import { charCount, timeLabel, tooLong } from "./format";
import {
  applyOfflineMessage, applyPrechat, carryContact, focusFirst, missingField, offlineValues, prechatValues, started,
  updateCounter,
} from "./forms";
import { Host } from "./host";
import { agentName } from "./names";
import { Notifier } from "./notify";
import { Poller } from "./poll";
import { FormName, formFor, headerStatus } from "./presence";
import { Frame, Socket } from "./socket";
import { $, Bubble, bubble, greet, note, place, show, stamp, text } from "./ui";

interface Pending {
  text: string;
  b: Bubble;
}

/** How often the open panel re-reads the widget's settings (agents online). */
const CONFIG_EVERY = 5000;
const GREETING = "Hi! How can we help?";

const key = new URLSearchParams(location.search).get("key") || "";
const log = $("log");
const input = $<HTMLTextAreaElement>("input");
const typingEl = $("typing");

type View = "" | FormName | "chat";
let view: View = "";
let busy = false; // a form is being submitted
let visitorID = "";
let convID = "";
let lastSeq = 0; // highest seq received as a message frame
let wantStart = false;
let joined = false;
let connected = false; // a socket is up and ready
let unavailable = false; // the hub refused this widget for good
let closed = false;
let known = false; // the conversation's state was seen once (later changes leave a note)
let assignee = "";
let agentNameShown = "";
let agentReadSeq = 0;
let sentRead = 0;
let panelOpen = false;
let typingOn = false;
let typingTimer = 0;
let typingHide = 0;
let socket: Socket | null = null;
let config: WidgetConfig = defaultConfig;
let shaped = false; // the pre-chat form follows the widget's real settings
let configAsked = 0;
let configApplied = 0;
let offlineCid = ""; // the client id of the offline form's message
let draft = ""; // the offline form's text, carried into the composer
const seen = new Set<number>();
const pending = new Map<string, Pending>();
const mine = new Map<number, Bubble>();

const host = new Host((type) => {
  if (type === "open" || type === "close") setOpen(type === "open");
});
panelOpen = !host.origin;
const notifier = new Notifier(host);
const poller = new Poller(loadConfig, CONFIG_EVERY);

function visible(): boolean {
  return panelOpen && document.visibilityState === "visible";
}

function setOpen(v: boolean): void {
  const was = panelOpen;
  panelOpen = v;
  poller.set(visible());
  if (!v) return;
  notifier.clear();
  markRead();
  if (!was) focusView();
}

function focusView(): void {
  if (view === "chat") input.focus();
  else if (view) focusFirst($(view));
}

function notice(msg: string): void {
  if ($("notice").textContent !== msg) text($("notice"), msg);
  show($("notice"), !!msg);
}

// renderStatus writes the header's status line from the connection and the
// agents' presence: it never says "Online" while no agent is.
function renderStatus(): void {
  let s = headerStatus(view === "chat", config.agents_online);
  if (unavailable) s = "Chat is unavailable";
  else if (!key) s = "This chat is not configured";
  else if (view === "chat" && !connected) s = socket ? "Reconnecting…" : "Connecting…";
  else if (!view) s = "Connecting…";
  if ($("status").textContent !== s) text($("status"), s);
}

// renderNotice explains an open conversation nobody holds yet.
function renderNotice(): void {
  let msg = "";
  if (view === "chat" && convID && known && !closed && !assignee && $("thanks").hidden) {
    msg = config.agents_online
      ? "An agent will be with you shortly."
      : "No agent is available right now. Leave a message and we will reply here as soon as we can.";
  }
  notice(msg);
}

// ---- the widget's settings and the agents' presence ----

// loadConfig re-reads the settings; a failed read keeps what was known and
// an answer older than one already applied is dropped.
async function loadConfig(): Promise<void> {
  const asked = ++configAsked;
  const c = await widgetConfig(key);
  if (!c || asked < configApplied) return;
  configApplied = asked;
  config = c;
  if (!shaped) applyPrechat(c);
  shaped = true;
  applyOfflineMessage(c);
  if (view === "prechat" || view === "offline") showForm();
  renderStatus();
  renderNotice();
}

// showForm shows the pre-chat form while an agent is online, else the
// offline form; a form the visitor has started filling in stays, with a
// hint offering the other one.
function showForm(): void {
  if (busy) return;
  const cur = view === "prechat" || view === "offline" ? view : "";
  const choice = formFor(cur, config.agents_online, cur !== "" && started(cur));
  const hadFocus = cur !== "" && $(cur).contains(document.activeElement);
  setView(choice.form);
  show($("online-hint"), choice.form === "offline" && choice.hint);
  show($("offline-hint"), choice.form === "prechat" && choice.hint);
  if (cur && cur !== choice.form && hadFocus) focusFirst($(choice.form));
}

// switchForm is the visitor's own choice of the other form (the hint's
// button): the contact details typed so far come along.
function switchForm(to: FormName): void {
  const from: FormName = to === "prechat" ? "offline" : "prechat";
  carryContact(from, to);
  if (to === "prechat") draft = $<HTMLTextAreaElement>("off-text").value.trim();
  setView(to);
  show($("online-hint"), false);
  show($("offline-hint"), false);
  focusFirst($(to));
}

function setView(v: View): void {
  view = v;
  show($("prechat"), v === "prechat");
  show($("offline"), v === "offline");
  show($("chat"), v === "chat");
  renderStatus();
  renderNotice();
}

// ---- conversation state ----

// applyConversation applies a conversation's state; once its state is
// known, a close, a reopening and every new assignee leave a note.
async function applyConversation(c: Conversation): Promise<void> {
  if (c.id !== convID) return;
  if (c.agent_read_seq) receipt(c.agent_read_seq);
  const wasClosed = closed;
  closed = c.status === "closed";
  const first = !known;
  known = true;
  if (!first && closed !== wasClosed) note(log, closed ? "This conversation was closed" : "This conversation was reopened", lastSeq);
  show($("composer"), !closed);
  show($("newchat"), closed);
  const a = c.assignee_id || "";
  const before = assignee;
  assignee = a;
  renderNotice();
  if (!a) {
    agentNameShown = "";
    text($("title"), "Chat with us");
    text($("avatar"), "");
    return;
  }
  if (a === before) return;
  const at = lastSeq;
  const name = await agentName(c.id, a);
  if (assignee !== a || convID !== c.id) return;
  agentNameShown = name;
  text($("title"), name);
  text($("avatar"), name.slice(0, 1).toUpperCase());
  if (!first) note(log, "You are now chatting with " + name, at);
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
  if (m.conversation_id !== convID) return;
  if (m.seq > lastSeq) lastSeq = m.seq;
  if (seen.has(m.seq)) return;
  seen.add(m.seq);
  const p = m.client_id && m.sender_kind === "visitor" ? pending.get(m.client_id) : undefined;
  if (p && m.client_id) {
    pending.delete(m.client_id);
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
    if (joined && !visible()) notifier.bump(); // live, not the replay of a join
  }
  markRead();
}

function when(b: Bubble, createdAt?: string): void {
  if (createdAt) stamp(b, createdAt, timeLabel(new Date(createdAt), new Date()));
}

// byline names the agent who wrote a message.
async function byline(b: Bubble, agentID: string): Promise<void> {
  const cid = convID;
  const name = agentID && cid ? await agentName(cid, agentID) : "Support";
  text(b.who, name);
}

function stored(b: Bubble, seq: number, createdAt?: string): void {
  place(log, b, seq);
  mine.set(seq, b);
  when(b, createdAt);
  text(b.meta, seq <= agentReadSeq ? "Read" : "Sent");
}

function onAck(a: { conversation_id: string; client_id: string; seq: number; created_at?: string }): void {
  const p = pending.get(a.client_id);
  if (!p || a.conversation_id !== convID) return;
  pending.delete(a.client_id);
  seen.add(a.seq);
  stored(p.b, a.seq, a.created_at);
  delivered(a.client_id);
}

// delivered thanks the visitor once the offline form's message is stored.
function delivered(cid: string): void {
  if (!offlineCid || cid !== offlineCid) return;
  offlineCid = "";
  show($("thanks"), true);
  renderNotice();
}

function onTyping(t: { conversation_id: string; active: boolean; sender_kind: string }): void {
  if (t.conversation_id !== convID || t.sender_kind !== "agent") return;
  text(typingEl, (agentNameShown || "The agent") + " is typing…");
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
      connected = true;
      renderStatus();
      void resume();
      break;
    case "conversation":
      if (f.ref === "s" && wantStart) {
        wantStart = startSent = false;
        convID = d.id;
        known = true; // a new conversation: its first assignee gets a note
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

function sendError(msg: string): void {
  text($("sendError"), msg);
  show($("sendError"), !!msg);
}

// send sends the composer's text; one over the hub's limit is refused here,
// with the reason, and stays in the composer to be shortened.
function send(): void {
  const body = input.value.trim();
  if (!body || closed) return;
  const why = tooLong(charCount(body));
  sendError(why);
  if (why) return;
  input.value = "";
  composed();
  stopTyping();
  queue(body);
}

function composed(): void {
  const n = updateCounter(input, $("counter"));
  if (!tooLong(n)) sendError("");
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
  composed();
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
  assignee = agentNameShown = "";
  closed = joined = startSent = known = false;
  seen.clear();
  mine.clear();
  pending.clear();
  log.replaceChildren();
  greet(log, GREETING);
  offlineCid = "";
  show($("thanks"), false);
  text($("title"), "Chat with us");
  text($("avatar"), "");
  renderNotice();
}

function showChat(): void {
  setView("chat");
  greet(log, GREETING);
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
      if (up) return;
      joined = connected = false;
      renderStatus();
    },
    async closed(code) {
      if (code === 4004) {
        unavailable = true;
        renderStatus();
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

// begin opens the chat for a new conversation of the visitor just started.
function begin(): void {
  resetConversation();
  wantStart = true;
  showChat();
  connect();
  if (socket?.up()) startConversation();
}

async function submitForm(ev: Event): Promise<void> {
  ev.preventDefault();
  const err = $("formerror");
  const missing = missingField(config);
  text(err, missing);
  show(err, !!missing);
  if (missing) return;
  const btn = $<HTMLButtonElement>("start");
  btn.disabled = busy = true;
  try {
    visitorID = await startSession(key, prechatValues());
    begin();
    if (draft) input.value = draft;
    draft = "";
    composed();
    input.focus();
  } catch (e) {
    text(err, e instanceof APIError && e.code === "validation_failed" ? e.message : "Could not start the chat. Please try again.");
    show(err, true);
  } finally {
    btn.disabled = busy = false;
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
  btn.disabled = busy = true;
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
    btn.disabled = busy = false;
  }
}

function wire(): void {
  $("prechat").addEventListener("submit", (ev) => void submitForm(ev));
  $("offline").addEventListener("submit", (ev) => void submitOffline(ev));
  $("go-live").addEventListener("click", () => switchForm("prechat"));
  $("go-offline").addEventListener("click", () => switchForm("offline"));
  $("off-text").addEventListener("input", () => updateCounter($<HTMLTextAreaElement>("off-text"), $("off-counter")));
  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    send();
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      send();
    }
  });
  input.addEventListener("input", typed);
  // Escape closes the panel; the loader gives the focus back to its launcher.
  addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape" || ev.isComposing || !host.origin) return;
    ev.preventDefault();
    host.post("close");
  });
  $("close").addEventListener("click", () => host.post("close"));
  $("newchat").addEventListener("click", () => {
    resetConversation();
    wantStart = true;
    showChat();
    if (socket?.up()) startConversation();
    input.focus();
  });
  document.addEventListener("visibilitychange", () => {
    poller.set(visible());
    if (visible()) {
      notifier.clear();
      markRead();
    }
  });
}

async function boot(): Promise<void> {
  wire();
  show($("close"), !!host.origin);
  host.post("ready");
  if (!key) {
    renderStatus();
    return;
  }
  const [, vid] = await Promise.all([loadConfig(), me()]);
  if (!shaped) applyPrechat(config);
  applyOfflineMessage(config);
  visitorID = vid;
  const conv = visitorID ? await openConversation(visitorID).catch(() => null) : null;
  if (conv) {
    convID = conv.id;
    showChat();
    void applyConversation(conv);
    connect();
  } else {
    showForm();
  }
  if (visible()) focusView();
  if (!host.origin) poller.set(visible()); // standalone: no loader says open
}

void boot().catch(() => {
  unavailable = true;
  renderStatus();
});
