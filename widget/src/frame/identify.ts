// Identified users (docs/chat-tokens.md): the embedding page hands the frame
// a chat JWT through the loader (data-token-url or helpr('identify', token));
// the frame sends it once, in the body of POST /visitor/sessions, and the
// hub answers with the customer user's visitor session (the HttpOnly
// cookie), so the user's conversations follow them across devices. The
// token is never kept: not in a variable past the call, storage or a URL.
// When the hub says it expired (401, or the socket closes with the
// token-expired code) the frame asks the page for a fresh one.
import { APIError, openConversation, startSession } from "./api";
import { applyConversation, resetConversation, showChat, startConversation } from "./chat";
import { Host } from "./host";
import { focusView, renderStatus } from "./panel";
import { transientStatus } from "./retry";
import { key, st, visible } from "./state";

/** How many refused tokens in a row make the chat unavailable (no loop with a broken page). */
const MAX_ASKS = 3;

let host: Host | null = null;
let connect: () => void = () => {};
let booted: Promise<unknown> = Promise.resolve();
let chain: Promise<void> = Promise.resolve();
let asks = 0;

/** initIdentity wires the loader channel, the frame's connect and its boot (awaited first). */
export function initIdentity(h: Host, c: () => void, boot: Promise<unknown>): void {
  host = h;
  connect = c;
  booted = boot;
}

/** useToken starts, or renews, the identified user's session with a token from the page. */
export function useToken(token: string): void {
  chain = chain.then(() => start(token)).catch(() => {});
}

async function start(token: string): Promise<void> {
  await booted.catch(() => {});
  let vid: string;
  try {
    vid = await startSession(key, {}, token);
  } catch (e) {
    if (e instanceof APIError && !transientStatus(e.status)) askToken();
    else setTimeout(() => useToken(token), 5000); // the hub is unreachable: try the same token again
    return;
  }
  if (asks > MAX_ASKS) st.unavailable = false; // the page found a good token after all
  asks = 0;
  st.identified = true;
  if (vid === st.visitorID && st.socket) {
    st.socket.open(); // the same user's renewed session: reconnect
    return;
  }
  st.socket?.stop();
  st.socket = null;
  st.visitorID = vid;
  resetConversation();
  const conv = await openConversation(vid).catch(() => null);
  if (conv) st.convID = conv.id;
  showChat();
  if (conv) void applyConversation(conv);
  connect();
  if (visible()) focusView();
}

/**
 * askToken asks the page for a fresh token (the last one expired or was
 * refused); after MAX_ASKS refusals in a row the chat says it is unavailable.
 */
export function askToken(): void {
  if (++asks > MAX_ASKS) {
    st.unavailable = true;
    renderStatus();
    return;
  }
  host?.post("token-expired");
}

/** startIfIdentified starts an identified user's conversation with their first message. */
export function startIfIdentified(): void {
  if (!st.identified || st.convID || st.wantStart || st.closed) return;
  st.wantStart = true;
  if (st.socket?.up()) startConversation();
}
