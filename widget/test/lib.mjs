// lib.mjs is the harness shared by helpr's browser scenarios: the
// environment the Go test sets, the DOM contract (selectors), one headless
// Debian Chromium, pages that collect errors, and small helpers. The Go test
// cmd/helpr/browser_test.go starts the hub and a host page on another site
// and runs browser.mjs, which runs every scenario module.
//
// Environment:
//   HELPR_HUB_URL        the hub, e.g. http://localhost:PORT
//   HELPR_HOST_URL       a host page embedding the widget, e.g. http://127.0.0.1:PORT2/
//   HELPR_AGENT_EMAIL    an agent of the widget's organisation…
//   HELPR_AGENT_PASSWORD …and its password
//   HELPR_ARTIFACTS      directory for screenshots (created if missing)
//   HELPR_DEMO_KEY       a widget key allowed on the hub's own origin (for /demo)
//   HELPR_CHROMIUM       browser binary (default /usr/bin/chromium)
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const env = (k, d) => {
  const v = process.env[k] || d;
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
export const hub = env("HELPR_HUB_URL").replace(/\/$/, "");
export const host = env("HELPR_HOST_URL");
export const agentEmail = env("HELPR_AGENT_EMAIL");
export const agentPassword = env("HELPR_AGENT_PASSWORD");
export const artifacts = env("HELPR_ARTIFACTS");
export const demoKey = env("HELPR_DEMO_KEY");
mkdirSync(artifacts, { recursive: true });

// The DOM contract with the widget (loader and iframe) and the console.
export const sel = {
  launcher: '[data-helpr="launcher"]',
  frame: 'iframe[data-helpr="frame"]',
  prechatName: '[data-testid="prechat-name"]',
  prechatEmail: '[data-testid="prechat-email"]',
  prechatSubmit: '[data-testid="prechat-submit"]',
  composer: '[data-testid="composer-input"]',
  send: '[data-testid="composer-send"]',
  messages: '[data-testid="message-list"]',
  loginEmail: '[data-testid="login-email"]',
  loginPassword: '[data-testid="login-password"]',
  loginSubmit: '[data-testid="login-submit"]',
  inbox: '[data-testid="inbox-view"]',
  queueAll: '[data-testid="queue-all"]',
  inboxItem: '[data-testid="inbox-item"]',
  typing: '[data-testid="typing-indicator"]',
  frameTyping: '[data-testid="typing"]',
  readSeen: '[data-testid="read-state"][data-state="seen"]',
  queueUnassigned: '[data-testid="queue-unassigned"]',
  offlineForm: '[data-testid="offline-form"]',
  offlineMessage: '[data-testid="offline-message"]',
  offlineName: '[data-testid="offline-name"]',
  offlineEmail: '[data-testid="offline-email"]',
  offlineText: '[data-testid="offline-text"]',
  offlineSubmit: '[data-testid="offline-submit"]',
  offlineThanks: '[data-testid="offline-thanks"]',
  headerStatus: '[data-testid="header-status"]',
  onlineHint: '[data-testid="online-hint"]',
  onlineHintButton: '[data-testid="online-hint-button"]',
  greeting: '[data-testid="greeting"]',
  chatNote: '[data-testid="chat-note"]',
  counter: '[data-testid="composer-counter"]',
  composerError: '[data-testid="composer-error"]',
};

export const TIMEOUT = 30_000; // a deadlock guard per step, generous for a loaded 2-core machine
export const browser = await chromium.launch({
  executablePath: process.env.HELPR_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// Host page state the widget must never touch, set before any script runs.
export const HOST_STATE = { cookie: "host_session=s3cret", local: "host-local", session: "host-session" };

// Every console call the widget's own scripts make is marked by the init
// script below and fails the run: the production loader and frame print
// nothing. Messages the browser itself prints (a refused connection while
// the network is cut, attributed to the script that opened the socket) are
// not console calls and do not count.
const OWN_CONSOLE = "[helpr-widget-console]";

// trapConsole wraps every console method in every frame of a context; a
// call whose stack runs through the widget's loader or frame script is
// re-printed with the marker.
function trapConsole(marker) {
  const own = /\/widget(?:\/frame)?\.js[?#:]/;
  const show = (v) => {
    if (typeof v === "string") return v;
    try { return JSON.stringify(v); } catch { return String(v); }
  };
  const methods = ["log", "info", "warn", "error", "debug", "trace", "dir", "dirxml", "table", "assert",
    "count", "countReset", "group", "groupCollapsed", "groupEnd", "time", "timeLog", "timeEnd"];
  for (const k of methods) {
    const orig = console[k];
    if (typeof orig !== "function") continue;
    const trap = function (...args) {
      const at = (new Error().stack || "").split("\n").find((l) => own.test(l));
      const silent = k === "assert" && args[0];
      if (at && !silent) orig.call(console, `${marker} console.${k} ${at.trim()}: ${args.map(show).join(" ")}`);
      return orig.apply(console, args);
    };
    trap.helprTrap = true;
    console[k] = trap;
  }
}

// The hub admits 5 sign-ins per 10 s per client IP (and per account), and
// every browser of the test is 127.0.0.1 through the proxy: a run of
// scenarios that each sign in would meet 429 at its 6th sign-in within
// 10 s. Every sign-in request therefore waits for a slot in that window
// (4 per 10.5 s: the Go side's own sign-in and the hub's whole-second
// counting leave slack), counted here across all contexts.
const LOGIN_SLOTS = 4;
const LOGIN_WINDOW_MS = 10_500;
const logins = [];

// The routes charged to the hub's sign-in limit per client IP: the password,
// the second step and the passkey ceremony share it.
const SIGN_IN = /^\/rest\/v1\/auth\/(?:login|mfa\/verify|passkeys\/login\/(?:begin|finish))$/;

async function loginSlot() {
  for (;;) {
    const now = Date.now();
    while (logins.length && now - logins[0] >= LOGIN_WINDOW_MS) logins.shift();
    if (logins.length < LOGIN_SLOTS) {
      logins.push(now);
      return;
    }
    await new Promise((r) => setTimeout(r, logins[0] + LOGIN_WINDOW_MS - now));
  }
}

// Contexts opened by newPage and not yet closed: closeContexts ends them
// after each scenario, so a failed scenario leaves no agent signed in (an
// open console keeps its agent online for the scenarios that follow).
const contexts = new Set();

// newPage opens a fresh browser context (its own cookie jar) and collects the
// page's uncaught errors and dialogs (an XSS would open one).
export async function newPage(name) {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  contexts.add(ctx);
  ctx.on("close", () => contexts.delete(ctx));
  ctx.setDefaultTimeout(TIMEOUT);
  await ctx.addInitScript(trapConsole, OWN_CONSOLE);
  await ctx.route((url) => SIGN_IN.test(url.pathname), async (route) => {
    await loginSlot();
    await route.continue();
  });
  const page = await ctx.newPage();
  page.helpr = { name, errors: [], dialogs: [] };
  page.on("pageerror", (e) => page.helpr.errors.push(String(e)));
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) page.helpr.errors.push("CSP: " + m.text());
    if (m.text().startsWith(OWN_CONSOLE)) page.helpr.errors.push(m.text());
  });
  page.on("dialog", (d) => { page.helpr.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  return { ctx, page };
}

// closeContexts closes every context still open (after each scenario,
// whatever its outcome).
export async function closeContexts() {
  await Promise.all([...contexts].map((c) => c.close().catch(() => {})));
  contexts.clear();
}

export async function hostPage(name) {
  const p = await newPage(name);
  await p.ctx.addInitScript((s) => {
    if (window.top === window && location.origin === s.origin && !document.cookie.includes("host_session")) {
      document.cookie = s.cookie + "; path=/";
      localStorage.setItem("host", s.local);
      sessionStorage.setItem("host", s.session);
    }
    if (window.top !== window || location.origin !== s.origin) return;
    // From here on the host page's own code never touches its cookies,
    // storage or input values: every access counted is the widget's.
    const seen = (window.__hostAccess = []);
    const trap = (obj, prop, what) => {
      for (let o = obj; o; o = Object.getPrototypeOf(o)) {
        const d = Object.getOwnPropertyDescriptor(o, prop);
        if (!d) continue;
        const nd = { configurable: true, enumerable: d.enumerable };
        if (d.get) nd.get = function () { seen.push(what + " read"); return d.get.call(this); };
        if (d.set) nd.set = function (v) { seen.push(what + " write"); d.set.call(this, v); };
        if (d.value) nd.value = function (...a) { seen.push(what); return d.value.apply(this, a); };
        Object.defineProperty(o, prop, nd);
        return;
      }
    };
    trap(document, "cookie", "document.cookie");
    trap(window, "localStorage", "localStorage");
    trap(window, "sessionStorage", "sessionStorage");
    trap(HTMLInputElement.prototype, "value", "input.value");
    trap(HTMLTextAreaElement.prototype, "value", "textarea.value");
  }, { ...HOST_STATE, origin: new URL(host).origin });
  return p;
}

export const shot = (page, file) => page.screenshot({ path: join(artifacts, file), fullPage: false });

// checkInert fails if an injected script ran in any frame of page, or if
// the console trap is missing from the widget's frame (so its silence would
// prove nothing).
export async function checkInert(page) {
  for (const f of page.frames()) {
    const ran = await f.evaluate(() => window.__xss === 1).catch(() => false);
    if (ran) throw new Error(`${page.helpr.name}: XSS payload ran in ${f.url()}`);
    if (!f.url().includes("/widget/frame")) continue;
    const trapped = await f.evaluate(() => console.log.helprTrap === true && console.error.helprTrap === true);
    if (!trapped) throw new Error(`${page.helpr.name}: console trap missing in ${f.url()}`);
  }
  if (page.helpr.dialogs.length) throw new Error(`${page.helpr.name}: dialogs opened: ${page.helpr.dialogs}`);
}

// signInAgent opens the console in a fresh context and signs in (the owner
// by default).
export async function signInAgent(email = agentEmail, password = agentPassword, name = "agent", base = hub) {
  const { ctx, page } = await newPage(name);
  await page.goto(base + "/console");
  await page.locator(sel.loginEmail).fill(email);
  await page.locator(sel.loginPassword).fill(password);
  await page.locator(sel.loginSubmit).click();
  await page.locator(sel.inbox).waitFor({ state: "visible" });
  return { ctx, page };
}

// step logs how long the current scenario has run, so a slow step shows in
// the output; resetClock starts a scenario's clock.
let started = Date.now();
export const resetClock = () => { started = Date.now(); };
export const step = (label) => console.log(`  ${String(Date.now() - started).padStart(6)} ms  ${label}`);

// agentsOnline reads what the widget reads: whether the organisation has an
// agent online (GET /rest/v1/widget/config; the demo widget is of the same
// organisation as the host page's).
export async function agentsOnline() {
  const res = await fetch(`${hub}/rest/v1/widget/config?key=${encodeURIComponent(demoKey)}`);
  if (!res.ok) throw new Error(`widget config: ${res.status} ${await res.text()}`);
  return (await res.json()).agents_online === true;
}

// waitAgentsOnline waits until the hub's presence says want: a scenario that
// needs the offline form (or the pre-chat form) opens the widget only then.
export async function waitAgentsOnline(want) {
  const deadline = Date.now() + TIMEOUT;
  while ((await agentsOnline()) !== want) {
    if (Date.now() > deadline) throw new Error(`agents_online is still ${!want} after ${TIMEOUT} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// control asks the Go test, on the host site, to act on the hub's network.
export async function control(path) {
  const res = await fetch(new URL(path, host), { method: "POST" });
  const body = await res.text();
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${body}`);
  return body;
}

// checkPageErrors fails if any page collected errors (uncaught exceptions,
// CSP violations, console output of the production widget).
export function checkPageErrors(...pages) {
  for (const p of pages) {
    if (p.helpr.errors.length) throw new Error(`${p.helpr.name}: page errors: ${p.helpr.errors.join("; ")}`);
  }
}

// checkHostState proves the widget left the host page's cookies and storage
// exactly as the page set them, and put no cookie on the host's site.
export async function checkHostState(page) {
  const touched = await page.evaluate(() => window.__hostAccess);
  if (!Array.isArray(touched)) throw new Error("host page access traps are not installed");
  if (touched.length) throw new Error(`the widget touched the host page: ${touched.join(", ")}`);
  const got = await page.evaluate(() => ({
    cookie: document.cookie,
    local: JSON.stringify(Object.entries(localStorage)),
    session: JSON.stringify(Object.entries(sessionStorage)),
  }));
  const want = {
    cookie: HOST_STATE.cookie,
    local: JSON.stringify([["host", HOST_STATE.local]]),
    session: JSON.stringify([["host", HOST_STATE.session]]),
  };
  for (const k of Object.keys(want)) {
    if (got[k] !== want[k]) throw new Error(`host ${k} changed: got ${got[k]}, want ${want[k]}`);
  }
  const hostName = new URL(host).hostname;
  const jar = await page.context().cookies(host);
  const foreign = jar.filter((c) => c.name !== "host_session" && c.domain.replace(/^\./, "") === hostName);
  if (foreign.length) throw new Error(`cookies set on the host site: ${foreign.map((c) => c.name)}`);
}
