// browser.mjs drives helpr's visitor widget and agent console in Debian's
// headless Chromium (playwright-core, never a downloaded browser). The Go test
// cmd/helpr/browser_test.go starts the hub and a host page on another site and
// runs this script; a non-zero exit fails that test with this output.
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

const env = (k, d) => {
  const v = process.env[k] || d;
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const hub = env("HELPR_HUB_URL").replace(/\/$/, "");
const host = env("HELPR_HOST_URL");
const agentEmail = env("HELPR_AGENT_EMAIL");
const agentPassword = env("HELPR_AGENT_PASSWORD");
const artifacts = env("HELPR_ARTIFACTS");
const demoKey = env("HELPR_DEMO_KEY");
mkdirSync(artifacts, { recursive: true });

// The DOM contract with the widget (loader and iframe) and the console.
const sel = {
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
};

const TIMEOUT = 30_000; // a deadlock guard per step, generous for a loaded 2-core machine
const browser = await chromium.launch({
  executablePath: process.env.HELPR_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// Host page state the widget must never touch, set before any script runs.
const HOST_STATE = { cookie: "host_session=s3cret", local: "host-local", session: "host-session" };

// newPage opens a fresh browser context (its own cookie jar) and collects the
// page's uncaught errors and dialogs (an XSS would open one).
async function newPage(name) {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  ctx.setDefaultTimeout(TIMEOUT);
  const page = await ctx.newPage();
  page.helpr = { name, errors: [], dialogs: [] };
  page.on("pageerror", (e) => page.helpr.errors.push(String(e)));
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) page.helpr.errors.push("CSP: " + m.text());
    // The production widget prints nothing: any console call made from the
    // loader or the frame script fails the run (browser network notices
    // carry the resource's URL, not the script's).
    const src = (m.location() && m.location().url) || "";
    if (/\/widget\.js(\?|$)|\/widget\/frame\.js(\?|$)/.test(src)) {
      page.helpr.errors.push(`console output from ${src}: ${m.text()}`);
    }
  });
  page.on("dialog", (d) => { page.helpr.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  return { ctx, page };
}

async function hostPage(name) {
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

const shot = (page, file) => page.screenshot({ path: join(artifacts, file), fullPage: false });

// checkInert fails if an injected script ran in any frame of page.
async function checkInert(page) {
  for (const f of page.frames()) {
    const ran = await f.evaluate(() => window.__xss === 1).catch(() => false);
    if (ran) throw new Error(`${page.helpr.name}: XSS payload ran in ${f.url()}`);
  }
  if (page.helpr.dialogs.length) throw new Error(`${page.helpr.name}: dialogs opened: ${page.helpr.dialogs}`);
}

async function signInAgent() {
  const { ctx, page } = await newPage("agent");
  await page.goto(hub + "/console");
  await page.locator(sel.loginEmail).fill(agentEmail);
  await page.locator(sel.loginPassword).fill(agentPassword);
  await page.locator(sel.loginSubmit).click();
  await page.locator(sel.inbox).waitFor({ state: "visible" });
  return { ctx, page };
}

const VISITOR = 'Vera <img src=x onerror="window.__xss=1">';
const HELLO = "Hello from the demo page";
const XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1;alert(1)">';
const REPLY = "Hi Vera, an agent here";
const WHILE_AWAY = "Sent while your network was down";
const OFFLINE_SEND = "Typed while offline";

// step logs how long the scenario has run, so a slow step shows in the output.
let started = Date.now();
const step = (label) => console.log(`  ${String(Date.now() - started).padStart(6)} ms  ${label}`);

// control asks the Go test, on the host site, to act on the hub's network.
async function control(path) {
  const res = await fetch(new URL(path, host), { method: "POST" });
  const body = await res.text();
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${body}`);
  return body;
}

async function scenarioChat() {
  started = Date.now();
  const agent = await signInAgent();
  step("agent signed in");
  const visitor = await hostPage("visitor");
  const vp = visitor.page;
  await vp.goto(host);
  await vp.locator(sel.launcher).click();
  const frame = vp.frameLocator(sel.frame);
  await frame.locator(sel.prechatName).fill(VISITOR);
  const email = frame.locator(sel.prechatEmail);
  if (await email.count()) await email.fill("vera@example.com");
  await frame.locator(sel.prechatSubmit).click();
  await frame.locator(sel.composer).fill(HELLO);
  await frame.locator(sel.send).click();
  await frame.locator(sel.messages).getByText(HELLO).waitFor();
  await frame.locator(sel.composer).fill(XSS);
  await frame.locator(sel.send).click();
  await frame.locator(sel.messages).getByText(XSS).waitFor();
  await shot(vp, "visitor-sent.png");
  step("visitor sent");

  const ap = agent.page;
  await ap.locator(sel.queueAll).click();
  await ap.locator(sel.inboxItem).first().click();
  await ap.locator(sel.messages).getByText(HELLO).waitFor();
  await ap.locator(sel.messages).getByText(XSS).waitFor();
  await ap.locator(sel.composer).fill(REPLY);
  await ap.locator(sel.send).click();
  await ap.locator(sel.messages).getByText(REPLY).waitFor();
  await ap.getByText("Vera <img", { exact: false }).first().waitFor();
  await shot(ap, "console-conversation.png");
  step("agent replied");

  await frame.locator(sel.messages).getByText(REPLY).waitFor();
  await shot(vp, "visitor-reply.png");
  step("visitor saw the reply");

  // Typing, both ways; read state, both ways.
  await frame.locator(sel.composer).pressSequentially("typing", { delay: 20 });
  await ap.locator(sel.typing).waitFor({ state: "visible" });
  step("agent saw typing");
  await frame.locator(sel.composer).fill("");
  await ap.locator(sel.composer).pressSequentially("typing", { delay: 20 });
  await frame.locator(sel.frameTyping).waitFor({ state: "visible" });
  step("visitor saw typing");
  await ap.locator(sel.composer).fill("");
  await frame.locator(sel.messages).getByText("Read", { exact: true }).first().waitFor(); // the agent read the visitor's messages
  await ap.locator(sel.readSeen).waitFor(); // the visitor read the reply
  step("read state both ways");

  // Resume: after a reload the visitor's conversation is back, whole.
  await vp.bringToFront();
  await vp.reload();
  await vp.locator(sel.launcher).click();
  for (const text of [HELLO, REPLY]) await frame.locator(sel.messages).getByText(text).waitFor();
  step("resumed after reload");

  // Network cut and restored: nothing is lost either way.
  const dropped = Number(await control("__net?cut=1"));
  if (!(dropped > 0)) throw new Error(`the cut dropped ${dropped} connections: browsers do not use the proxy`);
  await control("__agent-say?text=" + encodeURIComponent(WHILE_AWAY));
  await frame.locator(sel.composer).fill(OFFLINE_SEND);
  await frame.locator(sel.send).click();
  await control("__net?cut=0");
  step("network restored");
  await frame.locator(sel.messages).getByText(WHILE_AWAY).waitFor({ timeout: 45_000 });
  await ap.locator(sel.messages).getByText(OFFLINE_SEND).waitFor({ timeout: 45_000 });
  await frame.locator(sel.messages).getByText(OFFLINE_SEND).waitFor();
  for (const text of [HELLO, REPLY, WHILE_AWAY, OFFLINE_SEND]) {
    const n = await frame.locator(sel.messages).getByText(text).count();
    if (n !== 1) throw new Error(`visitor sees "${text}" ${n} times after the cut, want once`);
  }
  await shot(vp, "visitor-after-cut.png");
  await shot(ap, "console-after-cut.png");
  step("nothing lost across the cut");

  await checkInert(vp);
  await checkInert(ap);
  await checkHostState(vp);
  for (const p of [vp, ap]) {
    if (p.helpr.errors.length) throw new Error(`${p.helpr.name}: page errors: ${p.helpr.errors.join("; ")}`);
  }
  await visitor.ctx.close();
  await agent.ctx.close();
}

// checkHostState proves the widget left the host page's cookies and storage
// exactly as the page set them, and put no cookie on the host's site.
async function checkHostState(page) {
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

// scenarioHubDown: the loader arrives but every other request to the hub
// fails; the host page must keep working and see no error.
async function scenarioHubDown() {
  started = Date.now();
  const { ctx, page } = await hostPage("hub-down");
  await ctx.route(hub + "/**", (route) => {
    if (new URL(route.request().url()).pathname === "/widget.js") return route.continue();
    return route.abort("connectionrefused");
  });
  const frameFailed = page.waitForEvent("requestfailed", (r) => r.url().includes("/widget/frame"));
  await page.goto(host);
  await frameFailed;
  step("host page loaded, widget frame unreachable");
  // The launcher appears only once the iframe is ready: no dead button.
  if (await page.locator(sel.launcher).isVisible()) throw new Error("hub down: the launcher is shown");
  await page.locator("#host-button").click();
  await page.locator("#host-output").getByText("clicked").waitFor();
  await shot(page, "hub-down.png");
  if (page.helpr.errors.length) throw new Error(`hub down: host page errors: ${page.helpr.errors.join("; ")}`);
  await checkHostState(page);
  await ctx.close();
}

// scenarioDemo: the hub's own demo page embeds a working widget under the
// pages' strict CSP.
async function scenarioDemo() {
  started = Date.now();
  const { ctx, page } = await newPage("demo");
  await page.goto(`${hub}/demo?key=${encodeURIComponent(demoKey)}`);
  await page.locator(sel.launcher).click();
  // With no agent signed in the widget offers the offline form instead.
  const f = page.frameLocator(sel.frame);
  await f.locator(sel.prechatName).or(f.locator(sel.offlineForm)).filter({ visible: true }).first().waitFor();
  step("demo widget open");
  await shot(page, "demo.png");
  if (page.helpr.errors.length) throw new Error(`demo: page errors: ${page.helpr.errors.join("; ")}`);
  await ctx.close();
}

const OFFLINE_NOTE = "We are away until Monday: leave a note and we will write back";
const OFFLINE_NAME = "Olga Offline";
const OFFLINE_TEXT = "My parcel never arrived, order 1234";

// scenarioOffline: the owner sets the site widget's offline message in the
// console (an invalid origin is refused with the API's message first) and
// signs out; with no agent signed in the visitor gets the offline form,
// leaves a message and is thanked; an agent then finds it in Unassigned.
async function scenarioOffline() {
  started = Date.now();
  const admin = await signInAgent();
  const ap = admin.page;
  await ap.locator('[data-testid="nav-widgets"]').click();
  const card = ap.locator('[data-testid="widget-card"][data-widget-name="site"]');
  await card.locator('[data-testid="widget-edit"]').click();
  const origins = card.locator('[data-testid="widget-edit-origins"]');
  const kept = await origins.inputValue();
  await origins.fill(kept + "\nnot an origin");
  await card.locator('[data-testid="widget-edit-save"]').click();
  await card.locator('[data-testid="widget-edit-error"]').getByText("allowed_origins", { exact: false }).waitFor();
  await card.screenshot({ path: join(artifacts, "console-widget-editor.png") });
  step("console shows the API's error");
  await origins.fill(kept);
  await card.locator('[data-testid="widget-edit-offline"]').fill(OFFLINE_NOTE);
  await card.locator('[data-testid="widget-edit-email"]').selectOption("required");
  await card.locator('[data-testid="widget-edit-phone"]').selectOption("hidden");
  await card.locator('[data-testid="widget-edit-save"]').click();
  await card.locator('[data-testid="widget-offline-message"]').getByText(OFFLINE_NOTE).waitFor();
  await shot(ap, "console-widget-settings.png");
  await ap.locator('[data-testid="logout-button"]').click();
  await ap.locator(sel.loginEmail).waitFor();
  await admin.ctx.close();
  step("offline message saved, owner signed out");

  const visitor = await hostPage("offline-visitor");
  const vp = visitor.page;
  const frame = vp.frameLocator(sel.frame);
  const form = frame.locator(sel.offlineForm);
  // Presence may take a moment to see the owner gone: reload until it does.
  for (let i = 0; ; i++) {
    await vp.goto(host);
    await vp.locator(sel.launcher).click();
    await frame.locator(sel.prechatName).or(form).filter({ visible: true }).first().waitFor();
    if (await form.isVisible()) break;
    if (i >= 30) throw new Error("no offline form with no agent signed in");
    await vp.waitForTimeout(500);
  }
  await frame.locator(sel.offlineMessage).getByText(OFFLINE_NOTE).waitFor();
  await frame.locator(sel.offlineName).fill(OFFLINE_NAME);
  await frame.locator(sel.offlineText).fill(OFFLINE_TEXT);
  await frame.locator(sel.offlineSubmit).click();
  await frame.locator("#offerror").getByText("email", { exact: false }).waitFor(); // email is required
  await frame.locator(sel.offlineEmail).fill("olga@example.com");
  await frame.locator(sel.offlineSubmit).click();
  await frame.locator(sel.offlineThanks).waitFor();
  await frame.locator(sel.messages).getByText(OFFLINE_TEXT).waitFor();
  await frame.locator(sel.composer).waitFor(); // the chat stays available
  await shot(vp, "visitor-offline.png");
  step("visitor left a message and was thanked");

  const agent = await signInAgent();
  const gp = agent.page;
  await gp.locator(sel.queueUnassigned).click();
  await gp.locator(sel.inboxItem, { hasText: OFFLINE_NAME }).click();
  await gp.locator(sel.messages).getByText(OFFLINE_TEXT).waitFor();
  await shot(gp, "console-offline.png");
  step("agent found it in Unassigned");

  // With an agent online the pre-chat form has exactly the configured
  // fields: no phone, and the email is required.
  const next = await hostPage("prechat-visitor");
  const np = next.page;
  const nf = np.frameLocator(sel.frame);
  for (let i = 0; ; i++) {
    await np.goto(host);
    await np.locator(sel.launcher).click();
    await nf.locator(sel.prechatName).or(nf.locator(sel.offlineForm)).filter({ visible: true }).first().waitFor();
    if (await nf.locator(sel.prechatName).isVisible()) break;
    if (i >= 30) throw new Error("no pre-chat form with an agent signed in");
    await np.waitForTimeout(500);
  }
  if (await nf.locator('[data-testid="prechat-phone"]').count()) throw new Error("hidden phone field is in the pre-chat form");
  await nf.locator(sel.prechatName).fill("Petra");
  await nf.locator(sel.prechatSubmit).click();
  await nf.locator("#formerror").getByText("email", { exact: false }).waitFor();
  await shot(np, "visitor-prechat-configured.png");
  await next.ctx.close();
  step("pre-chat form follows the settings");
  await checkInert(vp);
  await checkHostState(vp);
  for (const p of [vp, ap, gp]) {
    if (p.helpr.errors.length) throw new Error(`${p.helpr.name}: page errors: ${p.helpr.errors.join("; ")}`);
  }
  await visitor.ctx.close();
  await agent.ctx.close();
}

const scenarios = { chat: scenarioChat, "hub-down": scenarioHubDown, demo: scenarioDemo, offline: scenarioOffline };
let failed = false;
try {
  for (const [name, run] of Object.entries(scenarios)) {
    try {
      await run();
      step("done");
      console.log(`ok   ${name}`);
    } catch (e) {
      failed = true;
      console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
