// Session lists (the Security page's own sessions and, for owners and
// admins, an agent's on the Team page): one table row per live session with
// the device, browser, OS, IP, approximate location and ISP the server
// recorded, when it started and was last used, a "this device" mark on the
// current one and a Revoke button on the others.

import { call } from "./api";
import { el, formatTime, replace } from "./dom";

/** A live session as GET /me/sessions and /agents/{id}/sessions describe it. */
export interface SessionInfo {
  id: string;
  current?: boolean;
  device: string;
  browser: string;
  os: string;
  ip: string;
  location: string;
  isp: string;
  created_at: string;
  last_active_at: string;
}

/** Loads the live sessions at path (/me/sessions or /agents/{id}/sessions). */
export async function loadSessions(path: string): Promise<SessionInfo[]> {
  const r = await call<{ sessions: SessionInfo[] }>("GET", path);
  return r.sessions ?? [];
}

/** Renders sessions into tbody; revoke(s) runs when a session's Revoke is clicked. */
export function renderSessions(tbody: HTMLElement, sessions: SessionInfo[], revoke: (s: SessionInfo, button: HTMLButtonElement) => void): void {
  replace(tbody, ...sessions.map((s) => sessionRow(s, revoke)));
}

function sessionRow(s: SessionInfo, revoke: (s: SessionInfo, button: HTMLButtonElement) => void): HTMLTableRowElement {
  const device = el("td", {}, s.device || "unknown");
  if (s.current) device.append(" ", el("span", { class: "tag", "data-testid": "session-current" }, "this device"));
  let action: HTMLElement = el("span", { class: "muted" }, "");
  if (!s.current) {
    const b = el("button", { type: "button", class: "danger small", "data-testid": "session-revoke" }, "Revoke");
    b.addEventListener("click", () => revoke(s, b));
    action = b;
  }
  return el(
    "tr",
    { "data-session-id": s.id, "data-testid": "session-row", "data-current": s.current ? "true" : "false" },
    device,
    el("td", {}, s.browser || "unknown"),
    el("td", {}, s.os || "unknown"),
    el("td", { class: "mono" }, s.ip || "unknown"),
    el("td", {}, s.location || "unknown"),
    el("td", {}, s.isp || "unknown"),
    el("td", {}, formatTime(s.created_at)),
    el("td", {}, formatTime(s.last_active_at)),
    el("td", {}, action),
  );
}
