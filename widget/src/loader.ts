// The widget loader: the only code that runs in the host page.
//
//   <script src="https://HUB/widget.js" data-key="pk_…" async></script>
//
// It inserts a launcher button and a hidden iframe served from the hub's own
// origin (HUB/widget/frame?key=pk_…); all chat UI and state live in that
// iframe.
//
// Identified users (docs/chat-tokens.md): with data-token-url="/my/endpoint"
// (same origin as the page) the loader POSTs there with the page's own
// cookies and hands the answer's `token` (a chat JWT) to the iframe; the page
// may instead call helpr('identify', token) (a stub queuing calls in
// helpr.q before this file loads is honoured). When the hub says the token
// expired, the loader fetches a new one from the token URL, or, without one,
// dispatches a "helpr:token-expired" event on window and waits for the next
// identify. The token is kept in memory only: never in storage, a cookie or
// a URL. Privacy rules: it never reads or writes the host page's cookies,
// localStorage or sessionStorage, never reads the page's inputs, writes
// nothing to the console, and talks to the iframe only with postMessage using
// the hub origin as the explicit target and checking event.origin. Every
// entry point is wrapped so that no error escapes to the host page.

const Z = "2147483000";

// guard runs fn and swallows anything it throws: a widget failure must never
// break the host page.
function guard<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
  return (...a: A) => {
    try {
      fn(...a);
    } catch {
      /* fail safe: the host page keeps working */
    }
  };
}

// ownScript finds the <script> that loaded this file: document.currentScript
// while executing synchronously, else the last script whose src ends with
// /widget.js and carries a data-key.
function ownScript(): HTMLScriptElement | null {
  const cur = document.currentScript;
  if (cur instanceof HTMLScriptElement && cur.dataset.key) return cur;
  const all = document.querySelectorAll<HTMLScriptElement>("script[data-key][src]");
  for (let i = all.length - 1; i >= 0; i--) {
    if (/\/widget\.js(\?|#|$)/.test(all[i].src)) return all[i];
  }
  return null;
}

function style(el: HTMLElement, css: Record<string, string>): void {
  for (const k in css) el.style.setProperty(k, css[k], "important");
}

function mount(script: HTMLScriptElement): void {
  const key = script.dataset.key || "";
  if (!/^pk_[A-Za-z0-9_-]{1,61}$/.test(key)) return;
  const hub = new URL(script.src, location.href);
  if (hub.protocol !== "https:" && hub.protocol !== "http:") return;
  const origin = hub.origin;
  const w = window as unknown as { __helprWidget?: boolean };
  if (w.__helprWidget) return;
  w.__helprWidget = true;

  let tokenURL = "";
  if (script.dataset.tokenUrl) {
    const u = new URL(script.dataset.tokenUrl, location.href);
    if (u.origin === location.origin) tokenURL = u.href;
  }
  const api = window as unknown as { helpr?: { q?: ArrayLike<unknown[]> } };
  const queued = Array.from((api.helpr && api.helpr.q) || []);
  let token = "";
  for (const a of queued) if (a[0] === "identify" && typeof a[1] === "string") token = a[1];

  const frameURL = new URL("/widget/frame", origin);
  frameURL.searchParams.set("key", key);
  // Only a mode flag: the frame waits for a token instead of the pre-chat form.
  if (tokenURL || token) frameURL.searchParams.set("auth", "token");

  const button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", "Open chat");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("data-helpr", "launcher");
  const NS = "http://www.w3.org/2000/svg";
  const icon = document.createElementNS(NS, "svg");
  const path = document.createElementNS(NS, "path");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("width", "28");
  icon.setAttribute("height", "28");
  icon.setAttribute("aria-hidden", "true");
  path.setAttribute("fill", "#fff");
  icon.appendChild(path);
  button.appendChild(icon);
  const CHAT = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z";
  const CLOSE = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z";
  path.setAttribute("d", CHAT);
  style(button, {
    position: "fixed", right: "20px", bottom: "20px", width: "56px", height: "56px",
    "border-radius": "50%", border: "0", margin: "0", padding: "0", cursor: "pointer",
    background: "#2459d6", color: "#fff", display: "flex", "align-items": "center", "justify-content": "center",
    "box-shadow": "0 4px 14px rgba(0,0,0,.25)", "z-index": Z,
  });
  // Hidden until the iframe reports ready: an unreachable hub shows nothing.
  style(button, { visibility: "hidden" });

  const badge = document.createElement("span");
  badge.setAttribute("data-helpr", "badge");
  style(badge, {
    position: "absolute", top: "-2px", right: "-2px", "min-width": "18px", height: "18px",
    "border-radius": "9px", background: "#d62424", color: "#fff", "font-size": "11px",
    "line-height": "18px", "text-align": "center", display: "none", "font-family": "sans-serif",
  });
  button.appendChild(badge);

  const frame = document.createElement("iframe");
  frame.src = frameURL.href;
  frame.title = "Chat";
  frame.setAttribute("data-helpr", "frame");
  frame.setAttribute("allow", "");
  // No top navigation or downloads from the chat frame. Links in messages
  // open in a new tab (rel=noopener), unsandboxed, so the linked site works.
  frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox");
  frame.setAttribute("referrerpolicy", "origin");
  style(frame, {
    position: "fixed", border: "0", "box-shadow": "0 8px 30px rgba(0,0,0,.3)", background: "#fff",
    display: "none", "z-index": Z,
  });
  // Under 480 px wide the open panel covers the whole viewport and the
  // launcher hides (the panel's own close button and Escape close it).
  const small = window.matchMedia("(max-width: 479.98px)");
  const layout = (): void => {
    const full = small.matches;
    style(frame, full
      ? { top: "0", left: "0", right: "0", bottom: "0", width: "100%", height: "100%", "max-width": "none", "max-height": "none", "border-radius": "0" }
      : { top: "auto", left: "auto", right: "20px", bottom: "88px", width: "370px", height: "560px",
        "max-width": "calc(100vw - 40px)", "max-height": "calc(100vh - 108px)", "border-radius": "12px" });
    style(button, { display: full && open ? "none" : "flex" });
  };

  let open = false;
  let ready = false;
  let title: string | null = null; // the host's own title while ours shows unread
  const unread = (n: number): void => {
    badge.textContent = n ? String(n) : "";
    style(badge, { display: n ? "block" : "none" });
    if (n) {
      if (title === null) title = document.title;
      document.title = "(" + n + ") " + title;
    } else if (title !== null) {
      document.title = title;
      title = null;
    }
  };
  const post = (msg: object): void => {
    if (ready && frame.contentWindow) frame.contentWindow.postMessage(msg, origin);
  };
  // setOpen shows or hides the panel; opening moves the focus into it,
  // closing from inside it (Escape, its close button) back to the launcher.
  const setOpen = (v: boolean, refocus?: boolean): void => {
    open = v;
    style(frame, { display: v ? "block" : "none" });
    layout();
    button.setAttribute("aria-expanded", String(v));
    button.setAttribute("aria-label", v ? "Close chat" : "Open chat");
    path.setAttribute("d", v ? CLOSE : CHAT);
    if (v) unread(0);
    post({ helpr: 1, type: open ? "open" : "close" });
    if (v) frame.focus({ preventScroll: true });
    else if (refocus) button.focus();
  };
  // giveToken hands the frame the page's token: a fresh one from the token
  // URL, else the last identify's (stale: the page is asked for another).
  const giveToken = guard((stale: boolean) => {
    if (tokenURL) {
      fetch(tokenURL, { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null))
        .then(guard((j: { token?: unknown } | null) => {
          if (j && typeof j.token === "string") post({ helpr: 1, type: "token", token: j.token });
        }), () => {});
    } else if (stale) {
      token = "";
      window.dispatchEvent(new Event("helpr:token-expired"));
    } else if (token) post({ helpr: 1, type: "token", token });
  });
  (window as unknown as { helpr: unknown }).helpr = guard((cmd: unknown, t: unknown) => {
    if (cmd === "identify" && typeof t === "string" && t) {
      token = t;
      post({ helpr: 1, type: "token", token });
    }
  });
  layout();
  if (small.addEventListener) small.addEventListener("change", guard(layout));
  else small.addListener(guard(layout));

  button.addEventListener("click", guard(() => setOpen(!open)));
  button.addEventListener("keydown", guard((ev: KeyboardEvent) => {
    if (ev.key === "Escape" && open) setOpen(false, true);
  }));
  window.addEventListener("message", guard((ev: MessageEvent) => {
    if (ev.origin !== origin || ev.source !== frame.contentWindow) return;
    const d = ev.data as { helpr?: number; type?: string; count?: number } | null;
    if (!d || typeof d !== "object" || d.helpr !== 1) return;
    switch (d.type) {
      case "ready":
        ready = true;
        style(button, { visibility: "visible" });
        post({ helpr: 1, type: open ? "open" : "close" });
        giveToken(false);
        break;
      case "token-expired":
        giveToken(true);
        break;
      case "close":
        setOpen(false, true);
        break;
      case "unread":
        unread(typeof d.count === "number" && d.count > 0 && !open ? Math.min(d.count, 99) : 0);
        break;
    }
  }));

  document.body.appendChild(frame);
  document.body.appendChild(button);
}

guard(() => {
  const script = ownScript();
  if (!script) return;
  const start = guard(() => mount(script));
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
})();
