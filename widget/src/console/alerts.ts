// Telling the agent about new messages: the tab title counts the
// conversations mine to answer (assigned to me or unassigned) that have
// unread messages; a new message there that is not mine plays a short sound
// (WebAudio, unlocked by the first click or key press, as browsers require)
// and shows a desktop notification when permitted — unless that conversation
// is open, visible and focused. A polite live region announces it too.

import { byId, show } from "./dom";
import { Change } from "./inbox_state";
import { Source, agentName, loadVisitor, onChange, onConversations, state, visitorName } from "./state";

const TITLE = "helpr console";
let audio: AudioContext | null = null;
let lastChime = 0;
let focused: () => string = () => "";
let open: (id: string) => void = () => {};

/** Wires the title, the sound and notifications; viewing names the conversation being read. */
export function initAlerts(viewing: () => string, select: (id: string) => void): void {
  focused = viewing;
  open = select;
  onConversations(updateTitle);
  onChange(changed);
  byId("notify-button").addEventListener("click", askNotifications);
  for (const ev of ["pointerdown", "keydown"]) document.addEventListener(ev, unlockAudio, { capture: true });
  renderNotifyButton();
}

function updateTitle(): void {
  const n = state.inbox.unreadConversations();
  const title = n > 0 ? `(${n}) ${TITLE}` : TITLE;
  if (document.title !== title) document.title = title;
}

function changed(ch: Change, source: Source): void {
  if (source !== "frame" && source !== "message") return;
  if (!state.inbox.shouldAlert(ch, focused())) return;
  chime();
  const c = ch.next;
  const line = state.inbox.previewLine(c, (id) => agentName(id));
  byId("inbox-announce").textContent = `New message from ${visitorName(c.visitor_id)}: ${line}`;
  void notify(c.id, c.visitor_id, line);
}

// --- sound ---

function unlockAudio(): void {
  const AC = window.AudioContext;
  if (!AC) return;
  if (!audio) audio = new AC();
  if (audio.state === "suspended") void audio.resume();
}

function chime(): void {
  const now = Date.now();
  if (!audio || audio.state !== "running" || now - lastChime < 1500) return;
  lastChime = now;
  const t = audio.currentTime;
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.type = "sine";
  osc.frequency.setValueAtTime(880, t);
  osc.frequency.setValueAtTime(1320, t + 0.09);
  gain.gain.setValueAtTime(0.0001, t);
  gain.gain.exponentialRampToValueAtTime(0.12, t + 0.01);
  gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
  osc.connect(gain).connect(audio.destination);
  osc.start(t);
  osc.stop(t + 0.32);
}

// --- desktop notifications ---

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

async function notify(id: string, visitorId: string, body: string): Promise<void> {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  await loadVisitor(visitorId);
  try {
    const n = new Notification(visitorName(visitorId), { body, tag: id });
    n.onclick = () => {
      window.focus();
      open(id);
      n.close();
    };
  } catch {
    // some browsers only allow notifications from a service worker
  }
}
