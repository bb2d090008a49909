// Typing indicators, both ways: the agent's own (sent at most every 3 s while
// typing, stopped after 4 s idle or on send) and the other side's (hidden
// after 8 s without news).

import { byId, show } from "./dom";
import { agentName, state, visitorName } from "./state";

let typingOut = false;
let typingSentAt = 0;
let typingStop = 0;
let typingHide = 0;
let conversation = "";

/** Reports that the agent edited the composer of conversation id. */
export function typingChanged(id: string, text: string): void {
  if (!id) return;
  if (conversation !== id) stopTyping();
  conversation = id;
  const now = Date.now();
  if (text.trim() === "") {
    stopTyping();
    return;
  }
  if (!typingOut || now - typingSentAt > 3000) {
    if (state.socket?.send("typing", { conversation_id: id, active: true })) {
      typingOut = true;
      typingSentAt = now;
    }
  }
  window.clearTimeout(typingStop);
  typingStop = window.setTimeout(stopTyping, 4000);
}

/** Tells the other side the agent stopped typing (if it was). */
export function stopTyping(): void {
  window.clearTimeout(typingStop);
  if (!typingOut) return;
  typingOut = false;
  if (conversation) state.socket?.send("typing", { conversation_id: conversation, active: false });
}

/** Shows or hides someone else's typing in the open conversation. */
export function typingIn(d: Record<string, unknown>, visitorId: string): void {
  if (state.me && d.sender_id === state.me.id) return;
  const ind = byId("typing-indicator");
  window.clearTimeout(typingHide);
  if (!d.active) {
    hideTyping();
    return;
  }
  const who = d.sender_kind === "visitor" ? visitorName(visitorId) : agentName(String(d.sender_id ?? ""));
  ind.textContent = who + " is typing…";
  ind.setAttribute("data-sender-kind", String(d.sender_kind ?? ""));
  show(ind, true);
  typingHide = window.setTimeout(hideTyping, 8000);
}

/** Hides the typing indicator. */
export function hideTyping(): void {
  window.clearTimeout(typingHide);
  const ind = byId("typing-indicator");
  ind.textContent = "";
  show(ind, false);
}
