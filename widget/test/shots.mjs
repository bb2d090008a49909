// shots.mjs renders the console's developer-platform screens (API keys,
// the shown-once dialog, webhooks with a delivery log, identified users)
// from the built dist/ against a mocked REST API, in Debian's headless
// Chromium, and saves PNGs: a development tool for looking at the screens
// without a hub (the real flows are cmd/helpr/browser_devplatform_test.go).
//
//   node test/shots.mjs OUTDIR [width]
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const out = process.argv[2] || "shots";
const width = Number(process.argv[3] || 1280);
mkdirSync(out, { recursive: true });
const origin = "http://console.test";
const ago = (s) => new Date(Date.now() - s * 1000).toISOString();
const later = (s) => new Date(Date.now() + s * 1000).toISOString();

const me = { kind: "agent", id: "agt_owner", org_id: "org_1", name: "Olivia Owner", email: "owner@acme.test", role: "owner" };
const keys = [
  { id: "key_2", name: "Billing backend", prefix: "sk_live_Ab3d", scopes: ["chats:read", "chats:write", "visitors:read"], rpm: 600, created_at: ago(86400 * 3), expires_at: later(86400 * 300), last_used_at: ago(120), last_used_ip: "203.0.113.7", revoked_at: null, replaced_by: null, owner_id: "agt_owner", status: "active" },
  { id: "key_1", name: "CRM sync", prefix: "sk_live_Zq9x", scopes: ["visitors:read", "team:read"], rpm: 120, created_at: ago(86400 * 40), expires_at: later(3600 * 5), last_used_at: ago(3600), last_used_ip: "198.51.100.23", revoked_at: null, replaced_by: "key_3", owner_id: "agt_owner", status: "active" },
  { id: "key_0", name: "Old script", prefix: "sk_live_Lm2k", scopes: ["chats:read"], rpm: 600, created_at: ago(86400 * 90), expires_at: null, last_used_at: null, last_used_ip: null, revoked_at: ago(86400 * 10), replaced_by: null, owner_id: "agt_owner", status: "revoked" },
];
const hooks = [
  { id: "whk_1", url: "https://hooks.acme.test/helpr", events: ["conversation.created", "message.created", "conversation.closed"], description: "Ticketing bridge", enabled: true, disabled_reason: null, consecutive_failures: 3, created_at: ago(86400 * 5) },
  { id: "whk_2", url: "https://old.acme.test/webhooks/helpr-events", events: ["visitor.created", "visitor.erased"], enabled: false, disabled_reason: "consecutive_failures", consecutive_failures: 100, created_at: ago(86400 * 30) },
];
const deliveries = [
  { id: "whd_3", event: "message.created", status: "failed", attempts: 3, last_status_code: 502, last_latency_ms: 812, last_error: "502 Bad Gateway", next_attempt_at: later(240), created_at: ago(600), delivered_at: null },
  { id: "whd_2", event: "conversation.created", status: "delivered", attempts: 1, last_status_code: 200, last_latency_ms: 143, last_error: null, next_attempt_at: null, created_at: ago(3600), delivered_at: ago(3599) },
  { id: "whd_1", event: "webhook.test", status: "dead", attempts: 15, last_status_code: null, last_latency_ms: 10000, last_error: "timeout after 10s", next_attempt_at: null, created_at: ago(86400 * 2), delivered_at: null },
];
const customers = [
  { id: "cus_1", external_id: "user-4821", name: "Dana Identified", email: "dana@shop.test", visitor_id: "vis_1", token_version: 1, created_at: ago(86400 * 8), last_seen_at: ago(300) },
  { id: "cus_2", external_id: "b1946ac9-2f0c-4e3b-9a77-0e1d3c5b1f20", name: "", email: "", visitor_id: "vis_2", token_version: 3, created_at: ago(86400 * 20), last_seen_at: null },
];

const answers = {
  "GET /me": me,
  "GET /agents": { agents: [me] },
  "GET /conversations": { conversations: [] },
  "GET /api-keys": { api_keys: keys },
  "POST /api-keys": { id: "key_9", name: "New key", key: "sk_live_4f8KqZ0bXw7nR2mT9vLc3pYs6dHj1aEu0QxA7c", prefix: "sk_live_4f8K", scopes: ["chats:read"], rpm: 600, created_at: ago(0), expires_at: null },
  "GET /webhooks": { webhooks: hooks },
  "GET /webhooks/whk_1/deliveries": { deliveries, next_cursor: "c2" },
  "GET /customer-users": { customer_users: customers, next_cursor: null },
  "GET /visitors": { visitors: [
    { id: "vis_1", widget_id: "wid_1", name: "Dana Identified", email: "dana@shop.test", phone: "", created_at: ago(86400 * 8), last_seen_at: ago(300), deleted: false },
    { id: "vis_3", widget_id: "wid_1", name: "Vera", email: "", phone: "+44 20 7946 0958", created_at: ago(86400 * 9), last_seen_at: ago(86400), deleted: false },
    { id: "vis_4", widget_id: "wid_1", name: "", email: "", phone: "", created_at: ago(86400 * 30), last_seen_at: ago(86400 * 29), deleted: true },
  ], next_cursor: "c" },
};

const browser = await chromium.launch({ executablePath: process.env.HELPR_CHROMIUM || "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
try {
  const ctx = await browser.newContext({ viewport: { width, height: 860 } });
  await ctx.route(origin + "/**", async (route) => {
    const u = new URL(route.request().url());
    const files = { "/console": "console.html", "/console/console.js": "console.js", "/console/console.css": "console.css" };
    if (files[u.pathname]) {
      const type = u.pathname.endsWith(".js") ? "text/javascript" : u.pathname.endsWith(".css") ? "text/css" : "text/html";
      return route.fulfill({ status: 200, contentType: type, body: readFileSync(join(dist, files[u.pathname])) });
    }
    const key = route.request().method() + " " + u.pathname.replace(/^\/rest\/v1/, "");
    if (key in answers) return route.fulfill({ status: key.startsWith("POST") ? 201 : 200, contentType: "application/json", body: JSON.stringify(answers[key]) });
    return route.fulfill({ status: 404, contentType: "application/json", body: '{"error":{"code":"not_found","message":"not mocked"}}' });
  });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.log("page error:", e));
  const shot = (f) => page.screenshot({ path: join(out, f), fullPage: true });
  await page.goto(origin + "/console#apikeys");
  await page.locator("#apikey-list tr").first().waitFor();
  await shot(`mock-apikeys-${width}.png`);
  await page.fill("#apikey-name", "New key");
  await page.check('input[value="chats:read"]');
  await page.click("#apikey-submit");
  await page.locator("#once-dialog[open]").waitFor();
  await shot(`mock-apikey-once-${width}.png`);
  await page.click("#once-done");
  await page.locator('tr[data-key-id="key_2"] [data-testid="apikey-rotate"]').click();
  await shot(`mock-apikey-rotate-${width}.png`);
  await page.click("#nav-webhooks");
  await page.locator('[data-testid="webhook-card"]').first().waitFor();
  await page.locator('[data-webhook-id="whk_1"] [data-testid="webhook-log"]').click();
  await page.locator('[data-testid="delivery-row"]').first().waitFor();
  await shot(`mock-webhooks-${width}.png`);
  await page.click("#nav-visitors");
  await page.locator('[data-testid="customer-row"]').first().waitFor();
  await shot(`mock-visitors-${width}.png`);
} finally {
  await browser.close();
}
