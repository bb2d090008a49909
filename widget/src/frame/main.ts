// The visitor iframe app, served from the hub's origin at /widget/frame:
// boot, the forms' submissions, the socket and the loader channel. The
// panel (forms, header) is panel.ts, the conversation chat.ts, the shared
// state state.ts.
import { APIError, me, openConversation, startSession } from "./api";
import {
  applyConversation, composed, markRead, onFrame, queue, resetConversation, send, showChat, startConversation, typed,
} from "./chat";
import { missingField, offlineValues, prechatValues, updateCounter } from "./forms";
import { Host } from "./host";
import { askToken, initIdentity, startIfIdentified, useToken } from "./identify";
import { Notifier } from "./notify";
import { focusView, loadConfig, renderStatus, shapeDefaults, showForm, switchForm } from "./panel";
import { Poller } from "./poll";
import { Socket } from "./socket";
import { key, st, tokenMode, visible } from "./state";
import { $, show, text } from "./ui";
import { closeAction } from "./retry";

/** How often the open panel re-reads the widget's settings (agents online). */
const CONFIG_EVERY = 5000;

const input = $<HTMLTextAreaElement>("input");
const host = new Host((type, d) => {
  if (type === "open" || type === "close") setOpen(type === "open");
  if (type === "token" && typeof d.token === "string" && d.token) useToken(d.token);
});
st.panelOpen = !host.origin;
const notifier = new Notifier(host);
st.notify = () => notifier.bump();
// The settings are re-read only while the visitor can see the panel.
const poller = new Poller(loadConfig, CONFIG_EVERY);

function setOpen(v: boolean): void {
  const was = st.panelOpen;
  st.panelOpen = v;
  poller.set(visible());
  if (!v) return;
  notifier.clear();
  markRead();
  if (!was) focusView();
}

function connect(): void {
  if (st.socket) {
    st.socket.open();
    return;
  }
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  st.socket = new Socket(proto + "//" + location.host + "/rest/v1/ws?key=" + encodeURIComponent(key), {
    frame: onFrame,
    state(up) {
      if (up) return;
      st.joined = st.connected = false;
      renderStatus();
    },
    async closed(code) {
      const action = closeAction(code); // 1013 (store unavailable) is "retry": keep the session
      if (action === "forbidden") {
        st.unavailable = true;
        renderStatus();
        return false;
      }
      if (st.identified && action !== "retry") {
        // The chat token's session expired or was revoked: the page gives a
        // fresh token, which reopens this socket (identify.ts).
        askToken();
        return false;
      }
      if (action !== "retry") {
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
  st.socket.open();
}

// begin opens the chat for a new conversation of the visitor just started.
function begin(): void {
  resetConversation();
  st.wantStart = true;
  showChat();
  connect();
  if (st.socket?.up()) startConversation();
}

async function submitForm(ev: Event): Promise<void> {
  ev.preventDefault();
  const err = $("formerror");
  const missing = missingField(st.config);
  text(err, missing);
  show(err, !!missing);
  if (missing) return;
  const btn = $<HTMLButtonElement>("start");
  btn.disabled = st.busy = true;
  try {
    st.visitorID = await startSession(key, prechatValues());
    begin();
    if (st.draft) input.value = st.draft;
    st.draft = "";
    composed();
    input.focus();
  } catch (e) {
    text(err, e instanceof APIError && e.code === "validation_failed" ? e.message : "Could not start the chat. Please try again.");
    show(err, true);
  } finally {
    btn.disabled = st.busy = false;
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
  btn.disabled = st.busy = true;
  try {
    st.visitorID = await startSession(key, { name: o.name, email: o.email });
    resetConversation();
    st.wantStart = true;
    showChat();
    st.offlineCid = queue(o.body);
    connect();
    if (st.socket?.up()) startConversation();
  } catch (e) {
    fail(e instanceof APIError && e.code === "validation_failed" ? e.message : "Could not send your message. Please try again.");
  } finally {
    btn.disabled = st.busy = false;
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
    sendNow();
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      sendNow();
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
    st.wantStart = true;
    showChat();
    if (st.socket?.up()) startConversation();
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

// sendNow sends the composer's text; an identified user's first message
// starts their conversation (they fill in no form).
function sendNow(): void {
  if (input.value.trim()) startIfIdentified();
  send();
}

async function boot(): Promise<void> {
  wire();
  show($("close"), !!host.origin);
  host.post("ready");
  if (!key) {
    renderStatus();
    return;
  }
  if (tokenMode) {
    // The page identifies its user: wait for the token (identify.ts).
    await loadConfig();
    shapeDefaults();
    if (!host.origin) poller.set(visible());
    return;
  }
  const [, vid] = await Promise.all([loadConfig(), me()]);
  shapeDefaults();
  st.visitorID = vid;
  const conv = vid ? await openConversation(vid).catch(() => null) : null;
  if (conv) {
    st.convID = conv.id;
    showChat();
    void applyConversation(conv);
    connect();
  } else {
    showForm();
  }
  if (visible()) focusView();
  if (!host.origin) poller.set(visible()); // standalone: no loader says open
}

const booted = boot();
initIdentity(host, connect, booted);
void booted.catch(() => {
  st.unavailable = true;
  renderStatus();
});
