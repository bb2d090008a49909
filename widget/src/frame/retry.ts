// How the widget and the console read a WebSocket close code or an HTTP
// status: which mean "the session is over" and which only "try again"
// (docs/protocol.md, Close codes). A store outage (close 1013, HTTP 503
// "unavailable") is transient: keep the session, show "reconnecting…" and
// retry with backoff — never sign the user out for it.

/** RFC 6455 "Try Again Later": the server could not check the session. */
export const CLOSE_TRY_AGAIN = 1013;

/** What to do after a close: reconnect, refresh the token first, or stop. */
export type CloseAction = "retry" | "refresh" | "signin" | "forbidden";

/** closeAction classifies a WebSocket close code. */
export function closeAction(code: number): CloseAction {
  switch (code) {
    case 4001: // unknown token
    case 4003: // expired: refresh, then reconnect
      return "refresh";
    case 4002: // revoked
      return "signin";
    case 4004:
      return "forbidden";
    default: // 1000/1001/1006/1013/4008/4009/4010…: reconnect with backoff
      return "retry";
  }
}

/** transientStatus reports whether an HTTP status means "try again later". */
export function transientStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

/** backoff is the delay before reconnect attempt n (0-based), with jitter. */
export function backoff(n: number, rand: number = Math.random()): number {
  return Math.min(15000, 500 * 2 ** n) * (0.5 + rand / 2);
}
