// The panel around the chat: which form shows as the agents' presence
// changes, the header's status line and the notice under it.
import { widgetConfig } from "./api";
import { applyOfflineMessage, applyPrechat, carryContact, focusFirst, started } from "./forms";
import { FormName, formFor, headerStatus } from "./presence";
import { View, key, st } from "./state";
import { $, show, text } from "./ui";

let shaped = false; // the pre-chat form follows the widget's real settings
let asked = 0;
let applied = 0;

/**
 * loadConfig re-reads the widget's settings (agents online); a failed read
 * keeps what was known and an answer older than one applied is dropped.
 */
export async function loadConfig(): Promise<void> {
  const n = ++asked;
  const c = await widgetConfig(key);
  if (!c || n < applied) return;
  applied = n;
  st.config = c;
  if (!shaped) applyPrechat(c);
  shaped = true;
  applyOfflineMessage(c);
  if (st.view === "prechat" || st.view === "offline") showForm();
  renderStatus();
  renderNotice();
}

/** shapeDefaults shapes the forms with the defaults when the settings could not be read. */
export function shapeDefaults(): void {
  if (!shaped) applyPrechat(st.config);
  applyOfflineMessage(st.config);
}

/**
 * showForm shows the pre-chat form while an agent is online, else the
 * offline form; a form the visitor has started filling in stays, with a
 * hint offering the other one.
 */
export function showForm(): void {
  if (st.busy) return;
  const cur = st.view === "prechat" || st.view === "offline" ? st.view : "";
  const choice = formFor(cur, st.config.agents_online, cur !== "" && started(cur));
  const hadFocus = cur !== "" && $(cur).contains(document.activeElement);
  setView(choice.form);
  show($("online-hint"), choice.form === "offline" && choice.hint);
  show($("offline-hint"), choice.form === "prechat" && choice.hint);
  if (cur && cur !== choice.form && hadFocus) focusFirst($(choice.form));
}

/**
 * switchForm is the visitor's own choice of the other form (the hint's
 * button): the contact details typed so far come along, and the offline
 * text waits for the composer.
 */
export function switchForm(to: FormName): void {
  const from: FormName = to === "prechat" ? "offline" : "prechat";
  carryContact(from, to);
  if (to === "prechat") st.draft = $<HTMLTextAreaElement>("off-text").value.trim();
  setView(to);
  show($("online-hint"), false);
  show($("offline-hint"), false);
  focusFirst($(to));
}

/** setView shows one of the forms or the chat. */
export function setView(v: View): void {
  st.view = v;
  show($("prechat"), v === "prechat");
  show($("offline"), v === "offline");
  show($("chat"), v === "chat");
  renderStatus();
  renderNotice();
}

/** focusView focuses the composer, or the shown form's first empty field. */
export function focusView(): void {
  if (st.view === "chat") $("input").focus();
  else if (st.view) focusFirst($(st.view));
}

/**
 * renderStatus writes the header's status line from the connection and the
 * agents' presence: it never says "Online" while no agent is.
 */
export function renderStatus(): void {
  let s = headerStatus(st.view === "chat", st.config.agents_online);
  if (st.unavailable) s = "Chat is unavailable";
  else if (!key) s = "This chat is not configured";
  else if (st.view === "chat" && !st.connected) s = st.socket ? "Reconnecting…" : "Connecting…";
  else if (!st.view) s = "Connecting…";
  if ($("status").textContent !== s) text($("status"), s);
}

/** renderNotice explains an open conversation nobody holds yet. */
export function renderNotice(): void {
  let msg = "";
  if (st.view === "chat" && st.convID && st.known && !st.closed && !st.assignee && $("thanks").hidden) {
    msg = st.config.agents_online
      ? "An agent will be with you shortly."
      : "No agent is available right now. Leave a message and we will reply here as soon as we can.";
  }
  const el = $("notice");
  if (el.textContent !== msg) text(el, msg);
  show(el, !!msg);
}
