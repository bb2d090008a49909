// The console's address: #<view> (#security, #audit, #team…) names a view,
// #magic=<token> a sign-in link's confirm page and #invite=<token> an
// invitation's accept page. Views are written with history.replaceState
// (no history entry per click, no hashchange); tokens are read once and
// removed from the address so they stay in neither the history nor a
// screenshot of the address bar.

import { View } from "./state";

/** What the address asks for. */
export type Route = { kind: "none" } | { kind: "view"; view: View } | { kind: "magic"; token: string } | { kind: "invite"; token: string };

const viewNames: View[] = ["inbox", "search", "team", "widgets", "visitors", "apikeys", "webhooks", "security", "audit"];
const TOKEN = /^[A-Za-z0-9_-]{16,512}$/;

/** Reads the address's fragment. */
export function readRoute(hash = location.hash): Route {
  const h = hash.replace(/^#/, "");
  for (const kind of ["magic", "invite"] as const) {
    if (h.startsWith(kind + "=")) {
      const token = h.slice(kind.length + 1); // base64url needs no decoding
      return TOKEN.test(token) ? { kind, token } : { kind: "none" };
    }
  }
  return (viewNames as string[]).includes(h) ? { kind: "view", view: h as View } : { kind: "none" };
}

/** Writes the shown view into the address (the inbox is the bare address). */
export function setRoute(v: View): void {
  const want = v === "inbox" ? "" : "#" + v;
  if (location.hash !== want) history.replaceState(null, "", location.pathname + location.search + want);
}

/** Removes the fragment (a token) from the address. */
export function clearRoute(): void {
  history.replaceState(null, "", location.pathname + location.search);
}
