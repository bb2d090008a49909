// The console's WebSocket to the hub (docs/protocol.md). The browser sends
// the access cookie with the upgrade; after a token refresh an `auth` frame
// swaps the new token in so the socket outlives its first access token.
// Reconnects with exponential backoff and jitter; the owner re-joins and
// resends on every `ready` after a reconnect.
import { backoff, closeAction } from "../frame/retry";

/** A server frame. */
export interface Frame {
  type: string;
  ref?: string;
  data?: Record<string, unknown>;
}

/** What the socket reports to its owner. */
export interface SocketEvents {
  frame(f: Frame): void;
  /** Called for each `ready`. fresh: the first on this connection (else it
   * answers a token swap); reconnected: a fresh one after an earlier connection. */
  ready(data: Record<string, unknown>, fresh: boolean, reconnected: boolean): void;
  /** The connection state changed (for the status badge). */
  state(s: "connecting" | "online" | "offline"): void;
  /** The server ended the session (4001/4002/4004) or the token expired (4003). */
  closed(code: number): void;
  /** When a socket closed without ever becoming ready (a refused upgrade
   * looks like 1006), before it is retried: resolves false when the session
   * is gone (no retry). */
  check(): Promise<boolean>;
}

/** An error frame's code and message. */
export interface FrameError {
  code: string;
  message: string;
}

type Waiter = { resolve(f: Frame): void; reject(e: FrameError): void };

/** One WebSocket with reconnect and request/reply matching by ref. */
export class Socket {
  private ws: WebSocket | null = null;
  private attempts = 0;
  private seq = 0;
  private stopped = true;
  private timer = 0;
  private readies = 0;
  private gotReady = false;
  private waiters = new Map<string, Waiter>();
  private lastFrame = 0;
  private heartbeat = 0;

  constructor(private readonly events: SocketEvents) {
    window.addEventListener("online", () => {
      if (!this.stopped && !this.connected) this.reconnectNow();
    });
  }

  /** Opens the socket (and keeps it open until stop()). */
  start(): void {
    this.stopped = false;
    this.readies = 0;
    this.open();
  }

  /** Closes the socket for good. */
  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    window.clearInterval(this.heartbeat);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000);
    this.failWaiters("offline");
  }

  /** Reconnects at once (after a refresh that followed a 4003). */
  reconnectNow(): void {
    if (this.stopped) return;
    window.clearTimeout(this.timer);
    this.attempts = 0;
    this.open();
  }

  /** True when frames can be sent now. */
  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends a frame without waiting for a reply; false when not connected. */
  send(type: string, data?: Record<string, unknown>, ref?: string): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    const f: Frame = { type };
    if (ref) f.ref = ref;
    if (data) f.data = data;
    this.ws.send(JSON.stringify(f));
    return true;
  }

  /** Sends a frame and resolves with the reply echoing its ref (rejects on an error frame). */
  request(type: string, data?: Record<string, unknown>): Promise<Frame> {
    const ref = "c" + ++this.seq;
    return new Promise((resolve, reject) => {
      if (!this.send(type, data, ref)) {
        reject({ code: "offline", message: "not connected; try again in a moment" });
        return;
      }
      this.waiters.set(ref, { resolve, reject });
    });
  }

  /** A fresh ref for frames whose reply the owner matches itself. */
  nextRef(prefix: string): string {
    return prefix + ++this.seq;
  }

  private open(): void {
    const old = this.ws;
    if (old) {
      old.onclose = null;
      old.close(1000);
    }
    this.events.state("connecting");
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/rest/v1/ws`);
    this.ws = ws;
    this.gotReady = false;
    this.lastFrame = Date.now();
    ws.onmessage = (ev) => {
      this.lastFrame = Date.now();
      this.receive(ev.data);
    };
    ws.onclose = (ev) => this.onClose(ws, ev.code);
    window.clearInterval(this.heartbeat);
    this.heartbeat = window.setInterval(() => this.beat(ws), 15000);
  }

  // beat detects a dead link the browser has not noticed (sleep, a lost
  // route): an application ping every 15 s, and a reconnect when nothing at
  // all arrived for 35 s.
  private beat(ws: WebSocket): void {
    if (ws !== this.ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastFrame > 35000) {
      ws.onclose = null;
      ws.close();
      this.onClose(ws, 1006);
      return;
    }
    this.send("ping", undefined, this.nextRef("k"));
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return;
    for (const line of data.split("\n")) {
      if (!line) continue;
      let f: Frame;
      try {
        f = JSON.parse(line) as Frame;
      } catch {
        continue;
      }
      this.dispatch(f);
    }
  }

  private dispatch(f: Frame): void {
    if (f.type === "ready") {
      const fresh = !this.gotReady;
      this.attempts = 0;
      this.gotReady = true;
      this.events.state("online");
      this.events.ready(f.data ?? {}, fresh, fresh && this.readies++ > 0);
    }
    const w = f.ref ? this.waiters.get(f.ref) : undefined;
    if (w && f.ref) {
      this.waiters.delete(f.ref);
      if (f.type === "error") {
        const d = f.data ?? {};
        w.reject({ code: String(d.code ?? "error"), message: String(d.message ?? "refused") });
      } else {
        w.resolve(f);
      }
    }
    this.events.frame(f);
  }

  private onClose(ws: WebSocket, code: number): void {
    if (ws !== this.ws) return;
    this.ws = null;
    window.clearInterval(this.heartbeat);
    this.failWaiters("offline");
    this.events.state("offline");
    if (this.stopped) return;
    if (closeAction(code) !== "retry") {
      this.events.closed(code);
      return;
    }
    const delay = backoff(this.attempts++); // 1013 (store unavailable) too: the session is kept
    const retry = () => {
      this.timer = window.setTimeout(() => {
        if (!this.stopped && !this.ws) this.open();
      }, delay);
    };
    if (this.gotReady) {
      retry();
      return;
    }
    // Asked at once, so that a refusal is explained while the retry waits.
    void this.events.check().then((ok) => {
      if (ok && !this.stopped && !this.ws) retry();
    });
  }

  private failWaiters(code: string): void {
    for (const w of this.waiters.values()) w.reject({ code, message: "connection lost" });
    this.waiters.clear();
  }
}
