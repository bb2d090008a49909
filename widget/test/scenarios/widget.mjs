// The widget's day-one scenarios: it follows the agents' presence without a
// reload (and never polls while closed), names agents and times messages,
// notes transfers and closes, links only http(s) URLs, closes on Escape,
// counts characters near the limit, and fills a phone's screen.
import {
  checkHostState, checkInert, checkPageErrors, host, hostPage, resetClock, sel, shot, signInAgent, step,
  waitAgentsOnline,
} from "../lib.mjs";

const DRAFT = "I typed this before anyone was online";
const HELLO = "Hello, I need help with my order";
const LINK = new URL("/help/guide?x=1&y=2", host).href;
const LONG_LINK = "https://docs.example.test/" + "a-very-long-path-segment-".repeat(6) + "end";
const LINK_MSG = `Our guide: ${LINK} — or javascript:alert(document.domain) — <b>bold</b>\nAlso ${LONG_LINK}`;
const REL = "noopener noreferrer nofollow ugc";
const POLL_MS = 5000; // the widget re-reads its settings this often while open

// waitText waits until the locator's text is want (exactly, trimmed).
async function waitText(locator, want, what) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const got = ((await locator.textContent()) || "").trim();
    if (got === want) return;
    if (Date.now() > deadline) throw new Error(`${what}: got "${got}", want "${want}"`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// openWidget loads the host page and opens the panel.
async function openWidget(name) {
  const p = await hostPage(name);
  await p.page.goto(host);
  await p.page.locator(sel.launcher).click();
  return { ...p, frame: p.page.frameLocator(sel.frame) };
}

// fillPrechat fills the pre-chat form's fields present and starts the chat.
async function startChat(frame, name, email) {
  const n = frame.locator(sel.prechatName);
  if (!(await n.inputValue())) await n.fill(name);
  const e = frame.locator(sel.prechatEmail);
  if ((await e.count()) && !(await e.inputValue())) await e.fill(email);
  await frame.locator(sel.prechatSubmit).click();
  await frame.locator(sel.composer).waitFor();
}

// closeWithEscape presses Escape inside the panel: it closes and the focus
// is back on the launcher.
async function closeWithEscape(page, frame, inside) {
  await frame.locator(inside).press("Escape");
  await page.locator(sel.frame).waitFor({ state: "hidden" });
  await page.waitForFunction(() => document.activeElement && document.activeElement.getAttribute("data-helpr") === "launcher");
}

// frameLayout measures the widget's frame document: its overflow and the
// bubbles' right edges.
async function frameLayout(page) {
  const f = page.frames().find((x) => x.url().includes("/widget/frame"));
  if (!f) throw new Error("no widget frame");
  return f.evaluate(() => {
    const d = document.documentElement;
    const log = document.getElementById("log");
    const right = Math.max(0, ...Array.from(document.querySelectorAll(".msg, .note"), (el) => el.getBoundingClientRect().right));
    return { scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, logScroll: log.scrollWidth, logClient: log.clientWidth, right };
  });
}

// checkPhoneLayout proves the open panel covers a 375 x 812 viewport with
// nothing wider than the frame, and the launcher out of the way.
// After a resize the loader re-lays out on the media query's change event,
// a frame later: wait for the layout, then measure.
async function checkPhoneLayout(page, what) {
  const covers = (b) => b && b.x === 0 && b.y === 0 && b.width === 375 && b.height === 812;
  const deadline = Date.now() + 10_000;
  let box;
  while (!covers((box = await page.locator(sel.frame).boundingBox())) || (await page.locator(sel.launcher).isVisible())) {
    if (Date.now() > deadline) {
      throw new Error(`${what}: the panel does not cover the 375 x 812 viewport (${JSON.stringify(box)}) or the launcher shows over it`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const l = await frameLayout(page);
  if (l.scrollWidth > l.clientWidth || l.logScroll > l.logClient || l.right > l.clientWidth) {
    throw new Error(`${what}: horizontal overflow in the frame: ${JSON.stringify(l)}`);
  }
}

// scenarioPresence: two visitors open the widget with nobody online and get
// the offline form; one closes it (and then reads nothing), one starts
// typing. An agent signs in: the open, typed form stays with a hint to
// start a live chat, the reopened one shows the pre-chat form at once. The
// chat then shows names, times, notes, safe links, the counter and Escape;
// the transfer goes to the organisation's second agent (browser_test.go
// provisions it).
async function scenarioPresence() {
  resetClock();
  await waitAgentsOnline(false);
  const w1 = await openWidget("widget-visitor");
  const p1 = w1.page;
  const f1 = w1.frame;
  const reads = [];
  p1.on("request", (r) => r.url().includes("/rest/v1/widget/config") && reads.push(Date.now()));
  await f1.locator(sel.offlineForm).waitFor();
  await waitText(f1.locator(sel.headerStatus), "We are away right now", "header with nobody online");
  await closeWithEscape(p1, f1, sel.offlineName);
  const closedAt = Date.now();
  step("offline form with nobody online; Escape closed it");

  const w2 = await openWidget("widget-typist");
  const f2 = w2.frame;
  await f2.locator(sel.offlineForm).waitFor();
  await f2.locator(sel.offlineName).fill("Dora Draft");
  await f2.locator(sel.offlineText).fill(DRAFT);

  const admin = await signInAgent();
  const ap = admin.page;
  const owner = ((await ap.locator('[data-testid="me-name"]').textContent()) || "").trim();
  if (!owner) throw new Error("the console shows no name for the signed-in agent");
  await waitAgentsOnline(true);
  step("agent signed in");

  // The typist's form stays, text intact, with a hint to go live.
  await f2.locator(sel.onlineHint).waitFor();
  if ((await f2.locator(sel.offlineText).inputValue()) !== DRAFT) throw new Error("the offline form lost the typed text");
  await shot(w2.page, "widget-online-hint.png");
  step("typed offline form kept, with a live-chat hint");

  // The closed widget read nothing while closed (a poll interval and more).
  const quiet = closedAt + POLL_MS + 1000 - Date.now();
  if (quiet > 0) await p1.waitForTimeout(quiet);
  const whileClosed = reads.filter((t) => t > closedAt + 500).length;
  if (whileClosed) throw new Error(`the closed widget read its settings ${whileClosed} times`);
  const before = reads.length;
  await p1.locator(sel.launcher).click();
  await f1.locator(sel.prechatName).waitFor(); // read at once on opening: no reload
  if (reads.length === before) throw new Error("opening the widget did not re-read its settings");
  step("the closed widget stayed silent, then switched to the pre-chat form when opened");

  // The typist takes the hint: the name comes along, the text lands in the composer.
  await f2.locator(sel.onlineHintButton).click();
  if ((await f2.locator(sel.prechatName).inputValue()) !== "Dora Draft") throw new Error("the name did not carry to the pre-chat form");
  await startChat(f2, "Dora Draft", "dora@example.com");
  if ((await f2.locator(sel.composer).inputValue()) !== DRAFT) throw new Error("the offline text did not carry to the composer");
  await f2.locator(sel.send).click();
  await f2.locator(sel.messages).getByText(DRAFT).waitFor();
  step("the typist went live with the draft");

  // Chat: greeting, who answers, the header telling the truth.
  await startChat(f1, "Walt Widget", "walt@example.com");
  await f1.locator(sel.greeting).getByText("Hi! How can we help?").waitFor();
  await f1.locator(sel.chatNote).getByText(`You are now chatting with ${owner}`).waitFor();
  await waitText(f1.locator(sel.headerStatus), "Online", "header in chat with an agent online");
  await f1.locator(sel.composer).fill(HELLO);
  await f1.locator(sel.send).click();
  const mine = f1.locator(".msg.visitor", { hasText: HELLO });
  await mine.locator(".state").getByText(/Sent|Read/).waitFor();
  if (!/\d{1,2}:\d{2}/.test(await mine.locator(".at").textContent())) throw new Error("the visitor's message shows no time");

  await ap.locator(sel.queueAll).click();
  await ap.locator(sel.inboxItem, { hasText: "Walt Widget" }).click();
  await ap.locator(sel.messages).getByText(HELLO).waitFor();
  await ap.locator(sel.composer).fill(LINK_MSG);
  await ap.locator(sel.send).click();
  const reply = f1.locator(".msg.agent", { hasText: "Our guide" });
  await reply.waitFor();
  await waitText(reply.locator(".by"), owner, "agent's name on the reply");
  if (!/\d{1,2}:\d{2}/.test(await reply.locator(".at").textContent())) throw new Error("the agent's message shows no time");
  step("names and times shown");

  // Links: only http(s), as real links that open a new tab without opener.
  const links = reply.locator("a");
  if ((await links.count()) !== 2) throw new Error(`want 2 links in the reply, got ${await links.count()}`);
  const link = reply.locator("a", { hasText: LINK });
  for (const [k, want] of [["href", LINK], ["target", "_blank"], ["rel", REL]]) {
    const got = await link.getAttribute(k);
    if (got !== want) throw new Error(`link ${k}: got ${got}, want ${want}`);
  }
  if (await f1.locator(`${sel.messages} a[href^="javascript" i]`).count()) throw new Error("a javascript: URL became a link");
  if (await reply.locator("b").count()) throw new Error("markup in a message became an element");
  await reply.getByText("javascript:alert(document.domain)", { exact: false }).waitFor();
  const [popup] = await Promise.all([p1.waitForEvent("popup"), link.click()]);
  await popup.waitForLoadState("domcontentloaded");
  if (popup.url() !== LINK) throw new Error(`the link opened ${popup.url()}, want ${LINK}`);
  if (!(await popup.evaluate(() => window.opener === null))) throw new Error("the opened page has an opener");
  await popup.close();
  step("links are links, safely; javascript: is text");

  // The counter from 3,500 characters; over 4,000 the send is refused.
  const count = await f1.locator(".msg").count();
  await f1.locator(sel.composer).fill("x".repeat(3612));
  await waitText(f1.locator(sel.counter), "3,612 / 4,000", "counter");
  await f1.locator(sel.composer).fill("y".repeat(4050));
  await waitText(f1.locator(sel.counter), "4,050 / 4,000", "counter over the limit");
  await f1.locator(sel.send).click();
  await f1.locator(sel.composerError).getByText("4,050 characters", { exact: false }).waitFor();
  if ((await f1.locator(sel.composer).inputValue()).length !== 4050) throw new Error("the refused text left the composer");
  await shot(p1, "widget-too-long.png");
  if ((await f1.locator(".msg").count()) !== count) throw new Error("a message over the limit was sent");
  await f1.locator(sel.composer).fill("");
  await f1.locator(sel.counter).waitFor({ state: "hidden" });
  await f1.locator(sel.composerError).waitFor({ state: "hidden" });
  step("counter and refusal over the limit");

  // A phone: the panel fills the screen, nothing overflows; then a desktop.
  await p1.setViewportSize({ width: 375, height: 812 });
  await checkPhoneLayout(p1, "chat at 375 px");
  await shot(p1, "widget-375-chat.png");
  await p1.setViewportSize({ width: 1100, height: 800 });
  await p1.locator(sel.launcher).waitFor();
  await shot(p1, "widget-1100-chat.png");
  step("375 px and 1100 px screenshots");

  // Transfer (to the organisation's second agent) and close leave notes.
  const to = ap.locator('[data-testid="transfer-select"] option:not([value=""])').first();
  const other = ((await to.textContent()) || "").trim();
  await ap.locator('[data-testid="transfer-select"]').selectOption(await to.getAttribute("value"));
  await ap.locator('[data-testid="transfer-button"]').click();
  await f1.locator(sel.chatNote).getByText(`You are now chatting with ${other}`).waitFor();
  await waitText(f1.locator("#title"), other, "header title after the transfer");
  // After a reload the replayed reply still names its author, who is no
  // longer the assignee (GET /conversations/{id}/agents/{agent_id}).
  await p1.reload();
  await p1.locator(sel.launcher).click();
  await waitText(reply.locator(".by"), owner, "name of a former assignee after a reload");
  await waitText(f1.locator("#title"), other, "header title after the reload");
  await ap.locator('[data-testid="close-button"]').click();
  await f1.locator(sel.chatNote).getByText("This conversation was closed").waitFor();
  await f1.locator("#newchat").waitFor();
  await shot(p1, "widget-closed.png");
  step("transfer and close noted");

  // Escape from the chat; the agent signs out: the header stops saying Online.
  await closeWithEscape(p1, f1, "#newchat");
  await p1.locator(sel.launcher).click();
  await ap.locator('[data-testid="logout-button"]').click();
  await ap.locator(sel.loginEmail).waitFor();
  await waitText(f1.locator(sel.headerStatus), "Away — we will reply as soon as we can", "header once no agent is online");
  step("header follows presence in the chat");

  for (const v of [w1, w2]) {
    await checkInert(v.page);
    await checkHostState(v.page);
  }
  checkPageErrors(p1, w2.page, ap);
}

// scenarioPhone: at 375 x 812 the open widget covers the screen with no
// horizontal overflow and hides the launcher; Escape gives it back.
async function scenarioPhone() {
  resetClock();
  const p = await hostPage("widget-375");
  const page = p.page;
  await page.setViewportSize({ width: 375, height: 812 });
  await page.goto(host);
  await page.locator(sel.launcher).click();
  const f = page.frameLocator(sel.frame);
  const form = f.locator(sel.prechatName).or(f.locator(sel.offlineForm)).filter({ visible: true }).first();
  await form.waitFor();
  await checkPhoneLayout(page, "form at 375 px");
  await shot(page, "widget-375.png");
  const field = (await f.locator(sel.offlineForm).isVisible()) ? sel.offlineName : sel.prechatName;
  const size = await f.locator(field).evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  if (size < 16) throw new Error(`inputs are ${size} px: phones zoom under 16 px`);
  await closeWithEscape(page, f, field);
  await page.locator(sel.launcher).waitFor();
  step("full screen at 375 px, 16 px inputs, Escape closes");
  await checkInert(page);
  await checkHostState(page);
  checkPageErrors(page);
}

/** The scenarios of this module, run in order. */
export const scenarios = { "widget-presence": scenarioPresence, "widget-375": scenarioPhone };
