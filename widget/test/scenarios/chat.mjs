// The core scenarios: a visitor on a host page of another site chats with an
// agent in the console (XSS payloads stay text, typing and read state both
// ways, resume after a reload, a network cut loses nothing); the hub being
// down leaves the host page working; the hub's demo page embeds the widget.
import { join } from "node:path";
import {
  artifacts, checkHostState, checkInert, checkPageErrors, control, demoKey, host, hostPage, hub,
  newPage, resetClock, sel, shot, signInAgent, step,
} from "../lib.mjs";

const VISITOR = 'Vera <img src=x onerror="window.__xss=1">';
const HELLO = "Hello from the demo page";
const XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1;alert(1)">';
const REPLY = "Hi Vera, an agent here";
const WHILE_AWAY = "Sent while your network was down";
const OFFLINE_SEND = "Typed while offline";

async function scenarioChat() {
  resetClock();
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
  checkPageErrors(vp, ap);
  await visitor.ctx.close();
  await agent.ctx.close();
}

// scenarioHubDown: the loader arrives but every other request to the hub
// fails; the host page must keep working and see no error.
async function scenarioHubDown() {
  resetClock();
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
  resetClock();
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

/** The scenarios of this module, run in order. */
export const scenarios = { chat: scenarioChat, "hub-down": scenarioHubDown, demo: scenarioDemo };
