// The console's live connection as the agent sees it: the socket, a badge
// with words for every state (connecting, online, offline, cannot connect,
// session expired) and a banner (role=alert) saying what is wrong and what
// happens next. When the socket closes before `ready`, POST /ws/check asks
// the server why (its origin check), so a refused origin shows the server's
// own explanation instead of a silent retry loop.

import { me, refresh, wsCheck } from "./api";
import { byId, show } from "./dom";
import { Frame, Socket } from "./socket";
import { backoff } from "../frame/retry";

/** What the agent is told about the connection. */
export type NetState = "connecting" | "online" | "offline" | "refused" | "expired";

/** What the connection reports to the console. */
export interface ConnectionHooks {
  frame(f: Frame): void;
  /** A `ready` (see SocketEvents.ready). */
  ready(data: Record<string, unknown>, fresh: boolean, reconnected: boolean): void;
  /** The session is gone: sign out. */
  ended(): void;
  /** The displayed state changed. */
  changed(s: NetState): void;
}

const GENERIC_REFUSAL =
  "the server refused the live connection from this address. Open the console at the hub's own address (its --public-url), or ask the administrator to allow this one.";

const badgeWords: Record<NetState, string> = {
  connecting: "Connecting…",
  online: "Online",
  offline: "Offline",
  refused: "Cannot connect",
  expired: "Session expired",
};

let socketState: "connecting" | "online" | "offline" = "connecting";
let everOnline = false;
let refused = ""; // the server's explanation, until the next ready
let expired = false;
let failures = 0; // closes before ready since the last ready
let hooks: ConnectionHooks;
let shown: NetState | "" = "";

/** Opens the live connection (and keeps it open until its stop()). */
export function connect(h: ConnectionHooks): Socket {
  hooks = h;
  everOnline = false;
  refused = "";
  expired = false;
  failures = 0;
  shown = "";
  const socket = new Socket({
    frame: h.frame,
    ready: (data, fresh, reconnected) => {
      refused = "";
      expired = false;
      failures = 0;
      everOnline = true;
      render();
      h.ready(data, fresh, reconnected);
    },
    state: (s) => {
      socketState = s;
      render();
    },
    closed: (code) => void closed(socket, code),
    check,
  });
  socket.start();
  return socket;
}

function current(): NetState {
  if (socketState === "online") return "online";
  if (expired) return "expired";
  if (refused) return "refused";
  if (socketState === "connecting" && !everOnline) return "connecting";
  return "offline";
}

function render(): void {
  const s = current();
  const badge = byId("conn-state");
  badge.setAttribute("data-state", s);
  badge.textContent = badgeWords[s];
  const banner = byId("conn-banner");
  const text = bannerText(s);
  banner.setAttribute("data-state", s);
  if (banner.textContent !== text) banner.textContent = text;
  show(banner, text !== "");
  if (s !== shown) {
    shown = s;
    hooks.changed(s);
  }
}

function bannerText(s: NetState): string {
  if (s === "refused") return "Cannot connect: " + refused;
  if (s === "offline") return "Offline: reconnecting… Replies you write are kept and sent when the connection is back.";
  if (s === "expired") return "Your session expired: renewing it…";
  return "";
}

// check runs when the socket closed before `ready`: it asks the server why
// and resolves false when the session is gone (no more retries).
async function check(): Promise<boolean> {
  failures++;
  const r = await wsCheck();
  if (r.kind === "refused") {
    refused = r.message || GENERIC_REFUSAL;
    render();
    return true;
  }
  if (r.kind === "unreachable") return true;
  try {
    if (!(await me())) {
      hooks.ended();
      return false;
    }
  } catch {
    return true; // the server is unreachable: keep trying
  }
  // A server without the check: reachable, signed in, and still refused twice.
  if (r.kind === "unknown" && failures >= 2) {
    refused = GENERIC_REFUSAL;
    render();
  }
  return true;
}

let refreshFailures = 0; // transient refresh failures in a row

async function closed(socket: Socket, code: number): Promise<void> {
  if (code === 4004) {
    refused = "this account may not connect through this address.";
    render();
    return;
  }
  if (code === 4003 || code === 4001) {
    expired = true;
    render();
    let ok: boolean;
    try {
      ok = !!(await refresh());
    } catch {
      // Transient (the store is down, 503): keep the session and try again.
      window.setTimeout(() => void closed(socket, code), backoff(refreshFailures++));
      return;
    }
    refreshFailures = 0;
    if (ok) {
      expired = false;
      socket.reconnectNow();
      return;
    }
  }
  hooks.ended();
}
