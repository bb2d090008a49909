// helpr agent console: the entry point (built to dist/console.js, served at
// /console). Plain TypeScript over the DOM; every value from the server or a
// visitor is rendered with textContent / text nodes, never as HTML. No token
// is ever kept in JS-readable storage: the session is the httpOnly cookies.
//
// Stable hooks for browser tests (ids; the same names as data-testid):
//   login:        #login-form, #login-email, #login-password, #login-remember,
//                 #login-submit, #login-error (stays until the form is edited),
//                 #login-orgs (the organisation chooser, shown instead of
//                 #login-submit after 409 organization_required) with
//                 #login-org-list > li > button[data-testid=login-org][data-org-id]
//   shell:        #app-view, #me-name, #logout-button, #conn-state (data-state:
//                 connecting|online|offline|refused|expired, text in words),
//                 #conn-banner (role=alert, data-state; "Cannot connect: …"),
//                 #presence-select (online|away), #notify-button, #menu-button
//                 (narrow screens), #nav-inbox, #nav-search, #nav-team, #nav-widgets,
//                 #nav-visitors, #nav-apikeys, #nav-webhooks (managers),
//                 #nav-security, #nav-audit (managers)
//   inbox:        #queue-mine, #queue-unassigned, #queue-all, #queue-closed (each
//                 with .count = what it lists), #inbox-list >
//                 li[data-testid=inbox-item][data-conversation-id] (data-status,
//                 data-assignee, data-unread = my unread count; inside:
//                 [data-testid=inbox-preview], [data-testid=inbox-time],
//                 [data-testid=unread-count] while unread), #inbox-view[data-pane
//                 = list|conversation|details] (which pane a phone shows)
//   conversation: #conversation-view (data-conversation-id, data-status,
//                 data-assignee), #conv-title, #conv-meta, #conv-error,
//                 #back-button, #details-button, #details-back (phones),
//                 #message-list > li[data-testid=message] with data-seq once
//                 stored (data-pending="true" + data-client-id +
//                 data-pending-state sending|waiting|offline|refused until
//                 acked; data-sender-kind; data-read on agent messages), text in
//                 [data-testid=message-text], an agent message's mark in
//                 [data-testid=receipt] (sending|sent|seen|not sent|not sent
//                 yet: …); notes li[data-testid=note] ("Transferred to Bob");
//                 #composer-input, #composer-send, #typing-indicator (hidden
//                 unless someone types; data-sender-kind), #read-state
//                 (data-state none|delivered|seen, data-visitor-read-seq),
//                 #claim-button, #transfer-select, #transfer-button,
//                 #close-button, #reopen-button, #visitor-details
//                 dd[data-field=name|email|phone]
//   search:       #search-input, #search-submit, #search-status, #search-error,
//                 #search-results > li[data-conversation-id][data-seq] (matches
//                 in <mark>)
//   team:         #team-list > tr[data-agent-id] (select[data-testid=team-role-select]),
//                 #team-error (role changes), #team-list-error,
//                 #team-form-error, #team-form-status
//   sign-in:      #login-passkey, #login-magic, #login-forgot, #login-status;
//                 #mfa-form: #mfa-code | #mfa-backup (#mfa-switch), #mfa-submit,
//                 #mfa-error; #magic-form (#magic=<token>): #magic-submit,
//                 #magic-error; #forgot-form: #forgot-email, #forgot-request,
//                 #forgot-code, #forgot-password, #forgot-submit, #forgot-status,
//                 #forgot-error; #invite-form (#invite=<token>): #invite-name,
//                 #invite-password, #invite-submit, #invite-error
//   security:     #security-view (#security): #totp-state[data-state=off|setup|on],
//                 #totp-setup, #totp-qr, #totp-secret (grouped by 4), #totp-code,
//                 #totp-enable, #backup-code-list > li[data-testid=backup-code],
//                 #backup-download, #backup-copy, #backup-done, #backup-remaining,
//                 #backup-regen-password, #backup-regen, #totp-disable-password,
//                 #totp-disable-code, #totp-disable; #passkey-list >
//                 li[data-testid=passkey-item][data-passkey-id] (passkey-rename,
//                 passkey-rename-input, passkey-rename-save, passkey-delete: two
//                 clicks), #passkey-name, #passkey-add, #passkey-status,
//                 #passkey-form-error; #password-current, #password-new,
//                 #password-submit, #password-status, #password-error;
//                 #session-list > tr[data-testid=session-row][data-session-id]
//                 [data-current] ([data-testid=session-current] "this device",
//                 button[data-testid=session-revoke]), #sessions-revoke-others,
//                 #sessions-status, #sessions-error
//   team (managers): #team-form invites: #team-email, #team-role, #team-submit;
//                 #invitation-list > tr[data-invitation-id] (invitation-revoke: two
//                 clicks); row buttons team-sessions, team-deactivate (two clicks);
//                 #agent-sessions[data-agent-id] with #agent-session-list (as
//                 #session-list), #agent-sessions-revoke-all (two clicks)
//   audit:        #audit-view (#audit, managers): #audit-action, #audit-actor,
//                 #audit-since, #audit-submit, #audit-list >
//                 tr[data-testid=audit-row][data-action][data-outcome], #audit-more,
//                 #audit-empty, #audit-error
//   visitors:     #visitors-view (#visitors): #customer-list >
//                 tr[data-testid=customer-row][data-customer-id][data-external-id],
//                 #customer-empty, #customer-more, #customer-error; #visitor-list >
//                 tr[data-testid=visitor-row][data-visitor-id], #visitor-more
//   API keys:     #apikeys-view (#apikeys, managers): #apikey-form: #apikey-name,
//                 #apikey-scope-list input[data-testid=apikey-scope][value=<scope>],
//                 #apikey-expires, #apikey-rpm, #apikey-submit, #apikey-form-error;
//                 #apikey-list > tr[data-testid=apikey-row][data-key-id][data-status]
//                 [data-prefix] (apikey-rotate, apikey-revoke: two clicks),
//                 #apikey-rotate-form (#apikey-overlap, #apikey-rotate-submit),
//                 #apikey-status, #apikey-error
//   webhooks:     #webhooks-view (#webhooks, managers): #webhook-form: #webhook-url,
//                 #webhook-description, input[data-testid=webhook-event][value],
//                 #webhook-submit, #webhook-form-error; #webhook-list >
//                 section[data-testid=webhook-card][data-webhook-id][data-enabled]
//                 (webhook-state, webhook-disabled-reason, webhook-failures,
//                 webhook-log, webhook-test, webhook-rotate and webhook-delete: two
//                 clicks, webhook-disable | webhook-enable); #webhook-deliveries with
//                 #webhook-delivery-list > tr[data-testid=delivery-row][data-status]
//                 (delivery-redeliver), #webhook-deliveries-more
//   once dialog:  #once-dialog (a new key or secret, shown once): #once-secret,
//                 #once-copy, #once-done (closing forgets it)
//   widgets:      #widget-list > section[data-widget-id] with pre[data-testid=widget-snippet],
//                 #widget-form: #widget-name, #widget-origins, #widget-submit,
//                 #widget-form-error

import { Agent, Conversation, Tokens, call, logout, me, onSession, query, refresh } from "./api";
import { initAlerts } from "./alerts";
import { initAPIKeys, showAPIKeys } from "./apikeys";
import { initAudit, showAudit } from "./audit";
import { NetState, connect } from "./connection";
import { connectionChanged, conversationFrame, currentConversation, initConversation, openConversation, resetConversation, resumeConversation, viewing, visibilityChanged } from "./conversation";
import { initCustomers, showCustomers } from "./customers";
import { byId, show } from "./dom";
import { initInbox, resetInbox, setOpeningQueue, setSelected } from "./inbox";
import { ReceiptData, SeenMessage } from "./inbox_state";
import { initLayout, setMenu, setPane } from "./layout";
import { Route, clearRoute, readRoute, setRoute } from "./route";
import { initSearch } from "./search";
import { initSecurity, resetSecurity, showSecurity } from "./security";
import { closeOnce, initOnceDialog } from "./oncedialog";
import { initSignin, showInvite, showLogin, showMagic } from "./signin";
import { Frame } from "./socket";
import { View, conversationsChanged, forgetVisitors, isManager, loadAgents, state, update } from "./state";
import { initTeam, showTeam } from "./team";
import { initVisitorList, showVisitorList } from "./visitors";
import { initWebhooks, showWebhooks } from "./webhooks";
import { initWidgets, showWidgets } from "./widgets";

const views: View[] = ["inbox", "search", "team", "widgets", "visitors", "apikeys", "webhooks", "security", "audit"];
/** The views only owners and admins see. */
const managerViews: View[] = ["apikeys", "webhooks", "audit"];
let refreshTimer = 0;
let signedIn = false;
let wanted: View = "inbox"; // the view the address asked for, shown once signed in

function main(): void {
  onSession(() => signedOut("Your session ended; sign in again."), tokenRenewed);
  initSignin(startApp);
  byId("logout-button").addEventListener("click", () => void signOut());
  byId("presence-select").addEventListener("change", setPresence);
  for (const v of views) byId("nav-" + v).addEventListener("click", () => showView(v));
  initLayout(visibilityChanged);
  initInbox(select);
  initConversation();
  initSearch(select);
  initTeam();
  initWidgets();
  initSecurity();
  initAudit();
  initCustomers();
  initVisitorList();
  initAPIKeys();
  initWebhooks();
  initOnceDialog();
  initAlerts(viewing, (id) => select(id));
  window.addEventListener("hashchange", () => void follow(readRoute()));
  void boot();
}

async function boot(): Promise<void> {
  const route = readRoute();
  if (route.kind === "magic" || route.kind === "invite") {
    show(byId("boot"), false);
    await follow(route);
    return;
  }
  if (route.kind === "view") wanted = route.view;
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

// follow acts on an address: a sign-in link or an invitation opens its page
// (the token leaves the address at once: it stays in memory only), a view
// name shows that view (once signed in).
async function follow(route: Route): Promise<void> {
  if (route.kind === "magic" || route.kind === "invite") {
    clearRoute();
    if (signedIn) await endSession();
    if (route.kind === "magic") showMagic(route.token);
    else showInvite(route.token);
    return;
  }
  if (route.kind !== "view" || (managerViews.includes(route.view) && signedIn && !isManager())) return;
  wanted = route.view;
  if (signedIn) showView(route.view);
}

// --- sign out ---

async function signOut(): Promise<void> {
  await endSession();
  signedOut("");
}

// endSession signs out on the server (the cookies may already be gone;
// signing out locally is what matters) and stops the app.
async function endSession(): Promise<void> {
  try {
    await logout();
  } catch {
    // ignored: see above
  }
  if (signedIn) signedOut("", false);
}

function signedOut(message: string, login = true): void {
  if (!signedIn && message) return;
  signedIn = false;
  window.clearTimeout(refreshTimer);
  state.socket?.stop();
  state.socket = null;
  state.me = null;
  state.agents.clear();
  state.inbox.clear();
  forgetVisitors();
  resetConversation();
  resetInbox();
  resetSecurity();
  closeOnce();
  conversationsChanged();
  if (login) showLogin(message);
}

// --- the signed-in app ---

async function startApp(agent: Agent): Promise<void> {
  signedIn = true;
  state.me = agent;
  state.inbox.me = agent.id;
  byId("me-name").textContent = agent.name;
  for (const v of managerViews) show(byId("nav-" + v), isManager());
  show(byId("login-view"), false);
  show(byId("app-view"), true);
  showView(managerViews.includes(wanted) && !isManager() ? "inbox" : wanted);
  setPane("list");
  try {
    await loadAgents();
  } catch {
    // the team list is a nicety in the inbox; the team page reports errors
  }
  state.socket?.stop();
  state.socket = connect({
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
    ended: () => signedOut("Your session ended; sign in again."),
    changed: (s: NetState) => connectionChanged(s === "online" ? "sending" : s === "refused" ? "refused" : "offline"),
  });
  await loadConversations();
  setOpeningQueue(state.inbox.openingQueue());
}

async function loadConversations(): Promise<void> {
  try {
    const r = await call<{ conversations: Conversation[] }>("GET", "/conversations" + query({ limit: 200 }));
    for (const c of r.conversations) update(state.inbox.applyRest(c), "rest");
  } catch {
    // shown as an empty inbox; live events still arrive
  }
}

// loadConversation fetches one conversation the inbox did not hold (a frame
// about an older one, a search result) for my own read mark.
async function loadConversation(id: string): Promise<void> {
  try {
    update(state.inbox.applyRest(await call<Conversation>("GET", "/conversations/" + encodeURIComponent(id))), "rest");
  } catch {
    // the frame's state stays
  }
}

function frame(f: Frame): void {
  const d = f.data ?? {};
  switch (f.type) {
    case "conversation": {
      const ch = state.inbox.applyFrame(d as unknown as Conversation);
      update(ch, "frame");
      if (!ch.prev) void loadConversation(ch.next.id);
      break;
    }
    case "message":
      // The open conversation's messages are applied by its view (which
      // knows whether one is a duplicate).
      if (d.conversation_id !== currentConversation()) update(state.inbox.applyMessage(d as unknown as SeenMessage), "message");
      break;
    case "receipt":
      update(state.inbox.applyReceipt(d as unknown as ReceiptData), "receipt");
      break;
    case "presence":
      if (d.subject_kind === "agent" && state.me && d.subject_id === state.me.id && (d.status === "online" || d.status === "away")) {
        byId<HTMLSelectElement>("presence-select").value = String(d.status);
      }
      break;
  }
  conversationFrame(f);
}

// scheduleRefresh renews the access token with the refresh cookie a little
// before it expires; the new token is swapped into the socket (auth frame).
function scheduleRefresh(expiresAt: string): void {
  window.clearTimeout(refreshTimer);
  const left = Date.parse(expiresAt) - Date.now();
  if (!Number.isFinite(left)) return;
  const delay = left > 240000 ? left - 120000 : Math.max(1000, left / 2);
  refreshTimer = window.setTimeout(async () => {
    let t;
    try {
      t = await refresh();
    } catch {
      // Transient (503 or unreachable): the session is kept; try again soon.
      scheduleRefresh(new Date(Date.now() + Math.max(2000, left / 2)).toISOString());
      return;
    }
    if (!t) signedOut("Your session ended; sign in again.");
  }, delay);
}

function tokenRenewed(t: Tokens): void {
  state.socket?.send("auth", { token: t.access_token }, state.socket.nextRef("a"));
}

function select(id: string): void {
  if (!state.conversations.has(id)) void loadConversation(id);
  showView("inbox");
  setSelected(id);
  openConversation(id);
  setPane("conversation");
}

function showView(v: View): void {
  state.view = v;
  wanted = v;
  setMenu(false);
  for (const name of views) {
    show(byId(name + "-view"), name === v);
    const tab = byId("nav-" + name);
    tab.classList.toggle("active", name === v);
    tab.setAttribute("aria-current", String(name === v));
  }
  setRoute(v);
  if (v === "team") void showTeam();
  if (v === "widgets") void showWidgets();
  if (v === "visitors") void Promise.all([showCustomers(), showVisitorList()]);
  if (v === "apikeys") void showAPIKeys();
  if (v === "webhooks") void showWebhooks();
  if (v === "security") void showSecurity();
  if (v === "audit") void showAudit();
  if (v === "search") byId("search-input").focus();
  visibilityChanged();
}

function setPresence(): void {
  const status = byId<HTMLSelectElement>("presence-select").value;
  state.socket?.send("presence.set", { status });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
