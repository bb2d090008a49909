// The developer-platform scenarios (issue 12), run by
// cmd/helpr/browser_devplatform_test.go with HELPR_BROWSER_SUITE=devplatform:
//
//   apikeys      the owner makes a secret key in the console and sees it once
//                (the dialog; not after closing it, not after a reload, never in
//                storage); the Go side calls the API with it (200), the owner
//                rotates a second key and revokes the first (two clicks), and the
//                Go side's call gets 401.
//   identified   a customer's page identifies its user with data-token-url (the
//                page's own token endpoint mints a chat token with a secret key):
//                the widget opens the user's chat without a form and the user
//                writes; invalidating the user's tokens makes the widget fetch a
//                fresh one from the token URL and carry on. In a second browser
//                context a page using helpr('identify', token) shows that earlier
//                conversation; after another invalidation the page hears
//                helpr:token-expired, identifies again and the chat carries on.
//                The token never reaches storage, a cookie or a URL.
//   webhooks     an endpoint added in the console (the secret shown once), a test
//                event delivered to the Go side's receiver and seen in the delivery
//                log, redelivered, the secret rotated, the endpoint disabled and
//                re-enabled.
//   visitors     the identified user is listed under Visitors.
//   phone        the new pages and the once dialog fit 390 px.
//   agent        an agent sees neither the API keys nor the Webhooks page.
//
// HELPR_HOST_URL is the customer's site (/shop?user=, /shop-identify?user=,
// /token, the test controls); extra environment: HELPR_HOOK_URL (the webhook
// receiver). The owner is HELPR_AGENT_EMAIL / HELPR_AGENT_PASSWORD.
import { TIMEOUT, checkHostState, checkInert, checkPageErrors, env, host, hostPage, hub, resetClock, sel, shot, signInAgent, step } from "../lib.mjs";

const shop = host.replace(/\/$/, "");
const hookURL = env("HELPR_HOOK_URL");
const t = (id) => `[data-testid="${id}"]`;
const USER = "dana-4821";
const EARLIER = "My order 1234 arrived broken";
const AFTER = "Still me after the token was renewed";
const RENEWED = "Written after the token URL gave a new token";
// A message the hub stored (a pending one has data-seq 0).
const STORED = 'li[data-seq]:not([data-seq="0"])';

// What the scenarios learn, in order.
const seen = { key: "", keyName: "CI reporting", tokens: [] };

// control asks the Go side (on the customer's site) to act; it returns the body.
async function control(path, body) {
  const res = await fetch(shop + path, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${text}`);
  return text;
}

// pageHas reports whether s appears anywhere a script could find it later:
// the document's text and attributes, local and session storage, cookies,
// the address. Its own reads of the host page are not counted as the
// widget's (checkHostState's traps).
async function pageHas(page, s) {
  for (const f of page.frames()) {
    const found = await f.evaluate((needle) => {
      const traps = Array.isArray(window.__hostAccess) ? window.__hostAccess : null;
      const before = traps ? traps.length : 0;
      const store = (st) => {
        try {
          return JSON.stringify(Object.entries(st));
        } catch {
          return "";
        }
      };
      const all = [document.documentElement.outerHTML, store(localStorage), store(sessionStorage), location.href, document.cookie];
      if (traps) traps.length = before;
      return all.some((x) => x.includes(needle));
    }, s).catch(() => false);
    if (found) return true;
  }
  return false;
}

async function openView(page, view) {
  await page.locator(t("nav-" + view)).click();
  await page.locator(`#${view}-view`).waitFor({ state: "visible" });
}

async function createKey(page, name, scopes) {
  await page.locator(t("apikey-name")).fill(name);
  for (const s of scopes) await page.locator(`${t("apikey-scope")}[value="${s}"]`).check();
  await page.locator(t("apikey-submit")).click();
  await page.locator("#once-dialog[open]").waitFor();
  const key = ((await page.locator(t("once-secret")).textContent()) || "").trim();
  if (!/^sk_(live|test)_[A-Za-z0-9]{38}$/.test(key)) throw new Error(`the dialog shows ${JSON.stringify(key)}, not a secret key`);
  return key;
}

// goneWithin polls until text is no longer in the page (the dialog clears
// its secret right after it hides), at most ms.
async function goneWithin(page, text, ms) {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (!(await pageHas(page, text))) return true;
    await page.waitForTimeout(50);
  }
  return !(await pageHas(page, text));
}

async function closeOnce(page) {
  await page.locator(t("once-done")).click();
  await page.locator("#once-dialog").waitFor({ state: "hidden" });
}

async function scenarioAPIKeys() {
  resetClock();
  const { page } = await signInAgent(undefined, undefined, "owner");
  await openView(page, "apikeys");
  await page.locator(`${t("apikey-empty")}:visible, ${t("apikey-row")}`).first().waitFor();
  await shot(page, "dev-apikeys-empty.png");
  // A submit without a scope is refused on the page, next to the form.
  await page.locator(t("apikey-name")).fill(seen.keyName);
  await page.locator(t("apikey-submit")).click();
  await page.locator(`${t("apikey-form-error")}:visible`).waitFor();
  seen.key = await createKey(page, seen.keyName, ["chats:read", "visitors:read"]);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: hub });
  await page.locator(t("once-copy")).click();
  await page.locator(`${t("once-status")}:visible`).waitFor();
  await shot(page, "dev-apikey-once.png");
  step("key created, shown once");
  const copied = await page.evaluate(() => navigator.clipboard.readText()).catch(() => "");
  if (copied && copied !== seen.key) throw new Error("the clipboard does not hold the key");

  await closeOnce(page);
  if (!(await goneWithin(page, seen.key, 2000))) throw new Error("the key is still in the page after closing the dialog");
  const row = page.locator(`${t("apikey-row")}[data-prefix="${seen.key.slice(0, 12)}"]`);
  await row.waitFor();
  await page.reload();
  await page.locator(`#apikeys-view:visible ${t("apikey-row")}`).first().waitFor();
  if (await pageHas(page, seen.key)) throw new Error("the key is in the page after a reload");
  await shot(page, "dev-apikeys.png");
  step("not shown after closing or reload");

  if ((await control("/__key", { key: seen.key })) !== "200") throw new Error("the new key does not work");
  await row.locator(t("apikey-status")).getByText("active").waitFor();
  step("key works from Go");

  // Rotation of another key: the new one is shown once too.
  await createKey(page, "Rotated backend", ["team:read"]);
  await closeOnce(page);
  const other = page.locator(t("apikey-row")).filter({ hasText: "Rotated backend" }).first();
  await other.locator(t("apikey-rotate")).click();
  await page.locator(`${t("apikey-rotate-form")}:visible`).waitFor();
  await page.locator(t("apikey-overlap")).selectOption("3600");
  await shot(page, "dev-apikey-rotate.png");
  await page.locator(t("apikey-rotate-submit")).click();
  await page.locator("#once-dialog[open]").waitFor();
  const rotated = ((await page.locator(t("once-secret")).textContent()) || "").trim();
  if (!rotated.startsWith("sk_")) throw new Error("rotation showed no new key");
  await closeOnce(page);
  await page.locator(`${t("apikey-status")}:visible`).first().waitFor();
  step("rotated");

  // Revoke: the first click only arms the button.
  const revoke = row.locator(t("apikey-revoke"));
  await revoke.click();
  await revoke.getByText("Really revoke?").waitFor();
  await shot(page, "dev-apikey-revoke-confirm.png");
  if ((await control("/__key", { key: seen.key })) !== "200") throw new Error("one click revoked the key");
  await revoke.click();
  await page.locator(`${t("apikey-row")}[data-prefix="${seen.key.slice(0, 12)}"][data-status="revoked"]`).waitFor();
  const status = await control("/__key", { key: seen.key });
  if (status !== "401") throw new Error(`the revoked key answers ${status}, not 401`);
  await shot(page, "dev-apikeys-revoked.png");
  step("revoked: 401");
  await checkInert(page);
  checkPageErrors(page);
}

async function openWidget(page) {
  await page.locator(sel.launcher).click();
  return page.frameLocator(sel.frame);
}

async function scenarioIdentified() {
  resetClock();
  // Device 1: data-token-url.
  const one = await hostPage("device-1");
  await one.page.goto(`${shop}/shop?user=${USER}`);
  const f1 = await openWidget(one.page);
  await f1.locator(sel.composer).waitFor({ state: "visible" });
  if (await f1.locator(sel.prechatSubmit).isVisible()) throw new Error("an identified user is asked the pre-chat form");
  await f1.locator(sel.composer).fill(EARLIER);
  await f1.locator(sel.send).click();
  await f1.locator(`${sel.messages} ${STORED}`).getByText(EARLIER).waitFor();
  await shot(one.page, "dev-identified-device1.png");
  step("device 1 wrote");
  seen.tokens = JSON.parse(await control("/__tokens"));
  if (seen.tokens.length < 1) throw new Error("the token URL was never called");
  for (const tok of seen.tokens) if (await pageHas(one.page, tok)) throw new Error("the chat token is in the page, its storage or a URL");
  // Token URL mode: after an invalidation the loader fetches a new token
  // from the page's endpoint by itself and the chat carries on.
  await control(`/__invalidate?user=${USER}`);
  const deadline = Date.now() + TIMEOUT;
  while (JSON.parse(await control("/__tokens")).length <= seen.tokens.length) {
    if (Date.now() > deadline) throw new Error("the widget did not fetch a new token from data-token-url");
    await one.page.waitForTimeout(100);
  }
  await f1.locator(sel.composer).fill(RENEWED);
  await f1.locator(sel.send).click();
  await f1.locator(`${sel.messages} ${STORED}`).getByText(RENEWED).waitFor();
  step("device 1 renewed its token from the token URL");
  await checkHostState(one.page);
  checkPageErrors(one.page);
  await one.ctx.close();

  // Device 2: helpr('identify', token), another browser context (no cookie).
  const two = await hostPage("device-2");
  // The page first identifies with a token the hub refuses (401): the
  // widget asks for another (helpr:token-expired) and the page's next
  // identify opens the user's chat.
  await two.page.goto(`${shop}/shop-identify?user=${USER}&bogus=1`);
  const f2 = await openWidget(two.page);
  await f2.locator(sel.messages).getByText(EARLIER).waitFor();
  if ((await two.page.evaluate(() => window.__expired)) !== 1) throw new Error("the refused token did not make the widget ask the page once");
  if (await f2.locator(sel.prechatSubmit).isVisible()) throw new Error("device 2 shows the pre-chat form");
  await shot(two.page, "dev-identified-device2.png");
  step("device 2 shows the earlier conversation");
  const tokens = JSON.parse(await control("/__tokens"));
  for (const tok of tokens) if (await pageHas(two.page, tok)) throw new Error("the chat token is in device 2's page, storage or a URL");

  // Identify mode: when the user's tokens are invalidated the widget
  // dispatches helpr:token-expired, the page (its own script counts them in
  // window.__expired) identifies again and the chat carries on.
  await control(`/__invalidate?user=${USER}`);
  await two.page.waitForFunction(() => window.__expired > 1, null, { timeout: TIMEOUT });
  await f2.locator(sel.composer).fill(AFTER);
  await f2.locator(sel.send).click();
  await f2.locator(`${sel.messages} ${STORED}`).getByText(AFTER).waitFor();
  step("token renewed after invalidation");
  await checkHostState(two.page);
  await checkInert(two.page);
  checkPageErrors(two.page);
}

async function scenarioVisitors() {
  resetClock();
  const { page } = await signInAgent(undefined, undefined, "owner-visitors");
  await openView(page, "visitors");
  const row = page.locator(`${t("customer-row")}[data-external-id="${USER}"]`);
  await row.waitFor();
  await row.getByText("Dana Identified").waitFor();
  await page.locator(t("visitor-row")).filter({ hasText: "Dana Identified" }).first().waitFor();
  await shot(page, "dev-visitors.png");
  // The conversation is in the inbox, under the user's name.
  await openView(page, "inbox");
  await page.locator(sel.queueAll).click();
  await page.locator(sel.inboxItem).first().click();
  await page.locator(sel.messages).getByText(EARLIER).waitFor();
  step("identified user listed");
  checkPageErrors(page);
}

async function scenarioWebhooks() {
  resetClock();
  const { page } = await signInAgent(undefined, undefined, "owner-webhooks");
  await openView(page, "webhooks");
  await page.locator(`${t("webhook-empty")}:visible, ${t("webhook-card")}`).first().waitFor();
  await page.locator(t("webhook-url")).fill(hookURL);
  await page.locator(t("webhook-description")).fill("CI receiver");
  for (const e of ["conversation.created", "message.created"]) await page.locator(`${t("webhook-event")}[value="${e}"]`).check();
  await shot(page, "dev-webhook-form.png");
  await page.locator(t("webhook-submit")).click();
  await page.locator("#once-dialog[open]").waitFor();
  const secret = ((await page.locator(t("once-secret")).textContent()) || "").trim();
  if (!secret.startsWith("whsec_")) throw new Error(`the dialog shows ${JSON.stringify(secret)}, not a signing secret`);
  await shot(page, "dev-webhook-secret.png");
  await closeOnce(page);
  if (!(await goneWithin(page, secret, 2000))) throw new Error("the signing secret is still in the page");
  step("endpoint added, secret shown once");

  const card = page.locator(t("webhook-card")).filter({ hasText: hookURL }).first();
  await card.locator(t("webhook-test")).click();
  await page.locator(`${t("webhook-status")}:visible`).waitFor();
  const got = JSON.parse(await control("/__hooks?wait=webhook.test"));
  if (!got.signature || !got.signature.includes("v1=")) throw new Error(`the test delivery has no signature: ${JSON.stringify(got)}`);
  if ((await control("/__verify", { secret, ...got })) !== "ok") throw new Error("the delivery's signature does not verify with the shown secret");
  await card.locator(t("webhook-log")).click();
  const delivered = page.locator(`${t("delivery-row")}[data-event="webhook.test"][data-status="delivered"]`);
  for (let i = 0; !(await delivered.count()); i++) {
    if (i > 60) throw new Error("the delivery log never shows the test event as delivered");
    await page.waitForTimeout(500);
    await card.locator(t("webhook-log")).click();
  }
  await shot(page, "dev-webhook-deliveries.png");
  step("test event delivered, signature verified");
  await delivered.first().locator(t("delivery-redeliver")).click();
  await control("/__hooks?wait=webhook.test&n=2");
  step("redelivered");

  const rot = card.locator(t("webhook-rotate"));
  await rot.click();
  await rot.click();
  await page.locator("#once-dialog[open]").waitFor();
  const next = ((await page.locator(t("once-secret")).textContent()) || "").trim();
  if (!next.startsWith("whsec_") || next === secret) throw new Error("rotation showed no new secret");
  await closeOnce(page);
  step("secret rotated");

  await card.locator(t("webhook-disable")).click();
  await page.locator(`${t("webhook-card")}[data-enabled="false"]`).waitFor();
  await shot(page, "dev-webhook-disabled.png");
  await page.locator(`${t("webhook-card")}[data-enabled="false"] ${t("webhook-enable")}`).click();
  await page.locator(`${t("webhook-card")}[data-enabled="true"]`).waitFor();
  step("disabled and re-enabled");
  await checkInert(page);
  checkPageErrors(page);
}

// scenarioPhone: at 390 px the new pages fit without sideways scrolling
// of the page (wide tables scroll inside their box), and the once dialog too.
async function scenarioPhone() {
  resetClock();
  const { page } = await signInAgent(undefined, undefined, "owner-phone");
  await page.setViewportSize({ width: 390, height: 844 });
  const noOverflow = async (where) => {
    const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    if (m.scroll > m.client) throw new Error(`${where}: horizontal overflow, scrollWidth ${m.scroll} > clientWidth ${m.client}`);
  };
  await noOverflow("390 px top bar");
  for (const [view, ready, file] of [
    ["apikeys", t("apikey-row"), "dev-390-apikeys.png"],
    ["webhooks", t("webhook-card"), "dev-390-webhooks.png"],
    ["visitors", t("customer-row"), "dev-390-visitors.png"],
  ]) {
    await openView(page, view);
    await page.locator(ready).first().waitFor();
    await noOverflow(`390 px ${view}`);
    await shot(page, file);
  }
  await openView(page, "apikeys");
  await createKey(page, "Phone key", ["team:read"]);
  await noOverflow("390 px once dialog");
  await shot(page, "dev-390-once.png");
  await closeOnce(page);
  step("390 px pages fit");
  checkPageErrors(page);
}

// scenarioAgent: an agent (not an owner or admin) sees no API keys or
// Webhooks tab, an address naming those pages opens the inbox, and the
// Visitors page works.
async function scenarioAgent() {
  resetClock();
  const { page } = await signInAgent(env("HELPR_AGENT2_EMAIL"), env("HELPR_AGENT2_PASSWORD"), "agent");
  for (const v of ["apikeys", "webhooks", "audit"]) {
    if (await page.locator(t("nav-" + v)).isVisible()) throw new Error(`an agent sees the ${v} tab`);
  }
  await page.goto(hub + "/console#apikeys");
  await page.locator(sel.inbox).waitFor({ state: "visible" });
  if (await page.locator("#apikeys-view").isVisible()) throw new Error("an agent opened the API keys page by its address");
  await openView(page, "visitors");
  await page.locator(`${t("customer-row")}[data-external-id="${USER}"]`).waitFor();
  await shot(page, "dev-agent-nav.png");
  step("agent: no key or webhook pages");
  checkPageErrors(page);
}

export const scenarios = {
  apikeys: scenarioAPIKeys,
  identified: scenarioIdentified,
  visitors: scenarioVisitors,
  webhooks: scenarioWebhooks,
  phone: scenarioPhone,
  agent: scenarioAgent,
};
