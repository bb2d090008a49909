// A self-healing WebSocket to the hub: it splits coalesced server messages
// into frames, reconnects with exponential backoff and jitter, and detects
// dead links (laptop sleep, network loss) with an application ping.

/** A protocol frame. */
export interface Frame {
  type: string;
  ref?: string;
  data?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Callbacks of a Socket. */
export interface SocketHandlers {
  frame(f: Frame): void;
  /** up is true once a socket is open, false when it is lost. */
  state(up: boolean): void;
  /** closed reports a close code before any reconnect; return false to stop. */
  closed(code: number): boolean | Promise<boolean>;
}

const PING_EVERY = 15000;
const PONG_WITHIN = 10000;
const MAX_BACKOFF = 30000;

/** Socket keeps one WebSocket open to url until stop(). */
export class Socket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retry = 0;
  private pinger = 0;
  private pongDue = 0;
  private stopped = false;

  constructor(private readonly url: string, private readonly h: SocketHandlers) {
    addEventListener("online", () => this.kick());
    addEventListener("offline", () => this.drop());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.ping();
    });
  }

  /** open connects now (no-op while a socket is open or connecting). */
  open(): void {
    if (this.stopped || this.ws) return;
    clearTimeout(this.retry);
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.h.state(true);
      this.pinger = setInterval(() => this.ping(), PING_EVERY) as unknown as number;
    };
    ws.onmessage = (ev) => {
      this.pongDue && clearTimeout(this.pongDue);
      this.pongDue = 0;
      if (typeof ev.data !== "string") return;
      for (const line of ev.data.split("\n")) {
        if (!line) continue;
        try {
          this.h.frame(JSON.parse(line) as Frame);
        } catch {
          /* a bad frame never breaks the app */
        }
      }
    };
    ws.onclose = (ev) => this.lost(ws, ev.code);
  }

  /** send writes a frame; false when no socket is open (the caller keeps it). */
  send(f: Frame): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(f));
    return true;
  }

  /** up reports whether a socket is open. */
  up(): boolean {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** stop closes the socket for good. */
  stop(): void {
    this.stopped = true;
    this.drop();
  }

  private ping(): void {
    if (!this.up() || this.pongDue) return;
    this.send({ type: "ping", ref: "k" + Date.now() });
    this.pongDue = setTimeout(() => this.drop(), PONG_WITHIN) as unknown as number;
  }

  // drop abandons the current socket (dead or offline) and schedules a reconnect.
  private drop(): void {
    const ws = this.ws;
    if (!ws) return;
    try {
      ws.close();
    } catch {
      /* already closing */
    }
    this.lost(ws, 1006);
  }

  // kick reconnects at once (the network came back).
  private kick(): void {
    if (this.ws || this.stopped) return;
    this.attempt = 0;
    this.open();
  }

  private async lost(ws: WebSocket, code: number): Promise<void> {
    if (this.ws !== ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    this.ws = null;
    clearInterval(this.pinger);
    clearTimeout(this.pongDue);
    this.pongDue = 0;
    this.h.state(false);
    let again = true;
    try {
      again = await this.h.closed(code);
    } catch {
      /* keep trying */
    }
    if (!again || this.stopped) return;
    const base = Math.min(MAX_BACKOFF, 500 * 2 ** this.attempt++);
    const delay = base / 2 + Math.random() * (base / 2);
    this.retry = setTimeout(() => this.open(), delay) as unknown as number;
  }
}
