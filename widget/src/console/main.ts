// helpr agent console: the entry point (built to dist/console.js, served at
// /console). Plain TypeScript over the DOM; every value from the server or a
// visitor is rendered with textContent / text nodes, never as HTML. No token
// is ever kept in JS-readable storage: the session is the httpOnly cookies.
//
// Stable hooks for browser tests (ids; the same names as data-testid):
//   login:        #login-form, #login-email, #login-password, #login-remember,
//                 #login-submit, #login-error
//   shell:        #app-view, #me-name, #logout-button, #conn-state (data-state:
//                 connecting|online|offline), #presence-select (online|away),
//                 #notify-button, #nav-inbox, #nav-search, #nav-team, #nav-widgets
//   inbox:        #queue-unassigned, #queue-mine, #queue-all (each with .count),
//                 #inbox-list > li[data-testid=inbox-item][data-conversation-id]
//                 (data-status, data-assignee)
//   conversation: #conversation-view (data-conversation-id, data-status,
//                 data-assignee), #conv-title, #conv-meta, #conv-error,
//                 #message-list > li[data-testid=message] with data-seq once
//                 stored (data-pending="true" + data-client-id until acked;
//                 data-sender-kind; data-read on agent messages), text in
//                 [data-testid=message-text], an agent message's mark in
//                 [data-testid=receipt] (sending|sent|seen|not sent);
//                 #composer-input, #composer-send, #typing-indicator (hidden
//                 unless someone types; data-sender-kind), #read-state
//                 (data-state none|delivered|seen, data-visitor-read-seq),
//                 #claim-button, #transfer-select, #transfer-button,
//                 #close-button, #visitor-details dd[data-field=name|email|phone]
//   search:       #search-input, #search-submit, #search-results > li[data-conversation-id][data-seq]
//   team:         #team-list > tr[data-agent-id] (select[data-testid=team-role-select]),
//                 #team-form: #team-name, #team-email, #team-password, #team-role, #team-submit
//   widgets:      #widget-list > section[data-widget-id] with pre[data-testid=widget-snippet],
//                 #widget-form: #widget-name, #widget-origins, #widget-submit

import { Agent, ApiError, Conversation, Tokens, call, login, logout, me, onSession, query, refresh } from "./api";
import { initAdmin, showTeam, showWidgets } from "./admin";
import { conversationFrame, currentConversation, initConversation, openConversation, resetConversation, resumeConversation } from "./conversation";
import { byId, show } from "./dom";
import { initInbox, inQueue, setSelected } from "./inbox";
import { Frame, Socket } from "./socket";
import { applyConversation, forgetVisitors, loadAgents, loadVisitor, onConversations, state, visitorName } from "./state";

type View = "inbox" | "search" | "team" | "widgets";

let refreshTimer = 0;
let signedIn = false;

function main(): void {
  onSession(() => signedOut("Your session ended; sign in again."), tokenRenewed);
  byId("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void submitLogin();
  });
  byId("logout-button").addEventListener("click", () => void signOut());
  byId("presence-select").addEventListener("change", setPresence);
  byId("notify-button").addEventListener("click", askNotifications);
  for (const v of ["inbox", "search", "team", "widgets"] as View[]) {
    byId("nav-" + v).addEventListener("click", () => showView(v));
  }
  initInbox(select);
  initConversation();
  initAdmin(select);
  onConversations(updateTitle);
  renderNotifyButton();
  void boot();
}

async function boot(): Promise<void> {
  let agent: Agent | null = null;
  try {
    agent = await me();
  } catch {
    agent = null;
  }
  show(byId("boot"), false);
  if (agent) await startApp(agent);
  else showLogin("");
}

// --- sign in and out ---

function showLogin(message: string): void {
  show(byId("app-view"), false);
  show(byId("login-view"), true);
  const err = byId("login-error");
  err.textContent = message;
  show(err, message !== "");
  byId<HTMLInputElement>("login-password").value = "";
  byId<HTMLInputElement>("login-email").focus();
}

async function submitLogin(): Promise<void> {
  const email = byId<HTMLInputElement>("login-email").value.trim();
  const password = byId<HTMLInputElement>("login-password").value;
  const remember = byId<HTMLInputElement>("login-remember").checked;
  const button = byId<HTMLButtonElement>("login-submit");
  const err = byId("login-error");
  if (!email || !password) {
    err.textContent = "Enter your email and password.";
    show(err, true);
    return;
  }
  button.disabled = true;
  err.textContent = "";
  try {
    await login(email, password, remember);
    const agent = await me();
    if (!agent) throw new ApiError(401, "unauthorized", "This account cannot use the console.");
    byId<HTMLInputElement>("login-password").value = "";
    await startApp(agent);
  } catch (e) {
    err.textContent = loginError(e);
    show(err, true);
  } finally {
    button.disabled = false;
  }
}

function loginError(e: unknown): string {
  if (!(e instanceof ApiError)) return "The server cannot be reached; try again.";
  if (e.code === "invalid_credentials") return "Wrong email or password.";
  if (e.code === "rate_limited") return "Too many attempts; wait a few seconds and try again.";
  return e.message;
}

async function signOut(): Promise<void> {
  try {
    await logout();
  } catch {
    // the cookies may already be gone; signing out locally is what matters
  }
  signedOut("");
}

function signedOut(message: string): void {
  if (!signedIn && message) return;
  signedIn = false;
  window.clearTimeout(refreshTimer);
  state.socket?.stop();
  state.socket = null;
  state.me = null;
  state.agents.clear();
  state.conversations.clear();
  forgetVisitors();
  resetConversation();
  setSelected("");
  showLogin(message);
}

// --- the signed-in app ---

async function startApp(agent: Agent): Promise<void> {
  signedIn = true;
  state.me = agent;
  byId("me-name").textContent = agent.name;
  show(byId("login-view"), false);
  show(byId("app-view"), true);
  showView("inbox");
  try {
    await loadAgents();
  } catch {
    // the team list is a nicety in the inbox; the team page reports errors
  }
  state.socket?.stop();
  const socket = new Socket({
    frame,
    ready: (data, fresh, reconnected) => {
      scheduleRefresh(String(data.expires_at ?? ""));
      if (!fresh) return; // a token swap on the same connection
      // The server keeps an agent's away choice across connections but does not
      // report it on connect: the select is the source of truth, so every new
      // connection states it (a fresh page starts online).
      if (data.kind === "agent") setPresence();
      if (reconnected) {
        void loadConversations();
        resumeConversation();
      }
    },
    state: (s) => {
      const b = byId("conn-state");
      b.setAttribute("data-state", s);
      b.textContent = s;
    },
    closed: (code) => void socketClosed(code),
    check: async () => {
      try {
        if (await me()) return true;
      } catch {
        return true; // the server is unreachable: keep trying
      }
      signedOut("Your session ended; sign in again.");
      return false;
    },
  });
  state.socket = socket;
  socket.start();
  await loadConversations();
}

async function loadConversations(): Promise<void> {
  try {
    const r = await call<{ conversations: Conversation[] }>("GET", "/conversations" + query({ limit: 200 }));
    for (const c of r.conversations) applyConversation(c);
  } catch {
    // shown as an empty inbox; live events still arrive
  }
}

function frame(f: Frame): void {
  const d = f.data ?? {};
  if (f.type === "conversation") {
    const c = d as unknown as Conversation;
    const known = state.conversations.has(c.id);
    applyConversation(c);
    if (!known && c.status === "open" && (inQueue(c, "unassigned") || inQueue(c, "mine"))) void notifyNew(c);
  } else if (f.type === "presence") {
    if (d.subject_kind === "agent" && state.me && d.subject_id === state.me.id && (d.status === "online" || d.status === "away")) {
      byId<HTMLSelectElement>("presence-select").value = String(d.status);
    }
  }
  conversationFrame(f);
}

async function socketClosed(code: number): Promise<void> {
  if (code === 4003 || code === 4001) {
    if (await refresh()) {
      state.socket?.reconnectNow();
      return;
    }
  }
  signedOut("Your session ended; sign in again.");
}

// scheduleRefresh renews the access token with the refresh cookie a little
// before it expires; the new token is swapped into the socket (auth frame).
function scheduleRefresh(expiresAt: string): void {
  window.clearTimeout(refreshTimer);
  const left = Date.parse(expiresAt) - Date.now();
  if (!Number.isFinite(left)) return;
  const delay = left > 240000 ? left - 120000 : Math.max(1000, left / 2);
  refreshTimer = window.setTimeout(async () => {
    if (!(await refresh())) signedOut("Your session ended; sign in again.");
  }, delay);
}

function tokenRenewed(t: Tokens): void {
  state.socket?.send("auth", { token: t.access_token }, state.socket.nextRef("a"));
}

function select(id: string): void {
  showView("inbox");
  setSelected(id);
  openConversation(id);
}

function showView(v: View): void {
  for (const name of ["inbox", "search", "team", "widgets"] as View[]) {
    show(byId(name + "-view"), name === v);
    const tab = byId("nav-" + name);
    tab.classList.toggle("active", name === v);
    tab.setAttribute("aria-current", String(name === v));
  }
  if (v === "team") void showTeam();
  if (v === "widgets") void showWidgets();
  if (v === "search") byId("search-input").focus();
}

// --- presence and notifications ---

function setPresence(): void {
  const status = byId<HTMLSelectElement>("presence-select").value;
  state.socket?.send("presence.set", { status });
}

function askNotifications(): void {
  if (!("Notification" in window)) return;
  void Notification.requestPermission().then(renderNotifyButton);
}

function renderNotifyButton(): void {
  const b = byId<HTMLButtonElement>("notify-button");
  const supported = "Notification" in window;
  const p = supported ? Notification.permission : "denied";
  show(b, supported && p !== "granted");
  b.disabled = p === "denied";
  b.textContent = p === "denied" ? "Notifications blocked" : "Enable notifications";
}

async function notifyNew(c: Conversation): Promise<void> {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (document.visibilityState === "visible" && currentConversation() === c.id) return;
  await loadVisitor(c.visitor_id);
  try {
    const n = new Notification("New chat", { body: visitorName(c.visitor_id), tag: c.id });
    n.onclick = () => {
      window.focus();
      select(c.id);
      n.close();
    };
  } catch {
    // some browsers only allow notifications from a service worker
  }
}

function updateTitle(): void {
  let waiting = 0;
  for (const c of state.conversations.values()) if (inQueue(c, "unassigned")) waiting++;
  document.title = waiting > 0 ? `(${waiting}) helpr console` : "helpr console";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
