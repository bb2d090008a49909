// The console scenarios (issue 9): the inbox updates live for messages in
// conversations that are not open (unread count, preview, order, title, a
// notification); read marks are per agent and only a visible, focused
// conversation advances one; transfer, close and reopen leave notes; form
// errors stay until edited; search highlights its matches; a refused origin
// says so; the console works on localhost with no --public-url; at 390 px it
// is usable without horizontal overflow.
//
// Visitors are played by the Go test over the protocol (POST /__visitor-start
// and /__visitor-say on the host site, see cmd/helpr/browser_visitors_test.go),
// so messages arrive without a second browser. Extra environment:
//   HELPR_AGENT2_EMAIL, HELPR_AGENT2_PASSWORD  a second agent of the organisation
//   HELPR_LOCAL_HUB_URL, HELPR_LOCAL_EMAIL     a hub started with no --public-url,
//                                              opened as http://localhost:PORT
//   HELPR_MULTI_EMAIL, HELPR_MULTI_ORGS        an email (password HELPR_AGENT_PASSWORD)
//                                              that owns two organisations, and
//                                              their names (comma-separated)
import {
  agentEmail, agentPassword, checkInert, checkPageErrors, env, host, hub, newPage, resetClock, sel, shot, step,
} from "../lib.mjs";

const agent2Email = env("HELPR_AGENT2_EMAIL");
const agent2Password = env("HELPR_AGENT2_PASSWORD");
const localHub = env("HELPR_LOCAL_HUB_URL").replace(/\/$/, "");
const localEmail = env("HELPR_LOCAL_EMAIL");
const multiEmail = env("HELPR_MULTI_EMAIL");
const multiOrgs = env("HELPR_MULTI_ORGS").split(",");

// The console's DOM contract used here (the shared ones are in lib.mjs).
const c = {
  connOnline: '[data-testid="conn-state"][data-state="online"]',
  connState: '[data-testid="conn-state"]',
  banner: '[data-testid="conn-banner"]',
  queueMine: '[data-testid="queue-mine"]',
  queueClosed: '[data-testid="queue-closed"]',
  row: (id) => `[data-testid="inbox-item"][data-conversation-id="${id}"]`,
  preview: '[data-testid="inbox-preview"]',
  unreadBadge: '[data-testid="unread-count"]',
  conversation: '[data-testid="conversation-view"]',
  note: '[data-testid="note"]',
  closeButton: '[data-testid="close-button"]',
  reopenButton: '[data-testid="reopen-button"]',
  transferSelect: '[data-testid="transfer-select"]',
  transferButton: '[data-testid="transfer-button"]',
  backButton: '[data-testid="back-button"]',
  detailsButton: '[data-testid="details-button"]',
  detailsBack: '[data-testid="details-back"]',
  menuButton: '[data-testid="menu-button"]',
  navTeam: '[data-testid="nav-team"]',
  navSearch: '[data-testid="nav-search"]',
  navInbox: '[data-testid="nav-inbox"]',
  teamEmail: '[data-testid="team-email"]',
  teamSubmit: '[data-testid="team-submit"]',
  teamFormError: '[data-testid="team-form-error"]',
  searchInput: '[data-testid="search-input"]',
  searchSubmit: '[data-testid="search-submit"]',
  searchStatus: '[data-testid="search-status"]',
  searchResult: '[data-testid="search-result"]',
};

// visitorStart has the Go test start a visitor's conversation with a first
// message; visitorSay sends another message in it.
async function visitorStart(name, text) {
  const res = await fetch(new URL(`__visitor-start?name=${encodeURIComponent(name)}&text=${encodeURIComponent(text)}`, host), { method: "POST" });
  if (!res.ok) throw new Error(`visitor start: ${res.status} ${await res.text()}`);
  return (await res.json()).conversation_id;
}
async function visitorSay(conv, text) {
  const res = await fetch(new URL(`__visitor-say?conv=${encodeURIComponent(conv)}&text=${encodeURIComponent(text)}`, host), { method: "POST" });
  if (!res.ok) throw new Error(`visitor say: ${res.status} ${await res.text()}`);
}

// openConsole signs an agent in, in a fresh context whose pages record the
// notifications the console shows (window.__notes; permission granted) and
// whose focus the test controls (window.__focus feeds document.hasFocus).
async function openConsole({ name, email = agentEmail, password = agentPassword, base = hub, viewport } = {}) {
  const p = await newPage(name);
  await p.ctx.addInitScript(() => {
    window.__notes = [];
    window.__focus = true;
    window.Notification = class {
      static permission = "granted";
      static requestPermission() { return Promise.resolve("granted"); }
      constructor(title, opts = {}) { window.__notes.push({ title, body: opts.body || "", tag: opts.tag || "" }); }
      close() {}
    };
    Document.prototype.hasFocus = function () { return window.__focus !== false; };
  });
  if (viewport) await p.page.setViewportSize(viewport);
  await p.page.goto(base + "/console");
  await p.page.locator(sel.loginEmail).fill(email);
  await p.page.locator(sel.loginPassword).fill(password);
  await p.page.locator(sel.loginSubmit).click();
  await p.page.locator(sel.inbox).waitFor({ state: "visible" });
  return p;
}

// setFocus makes the page lose or regain focus as far as the console can tell.
async function setFocus(page, focused) {
  await page.evaluate((f) => {
    window.__focus = f;
    window.dispatchEvent(new Event(f ? "focus" : "blur"));
  }, focused);
}

const titleCount = async (page) => Number((/^\((\d+)\)/.exec(await page.title()) || [0, 0])[1]);

// myUnread asks the REST API, as the page's agent, how many messages of a
// conversation that agent has not read.
async function myUnread(page, id) {
  return page.evaluate(async (cid) => {
    const r = await fetch(`/rest/v1/conversations/${encodeURIComponent(cid)}`, { credentials: "same-origin" });
    const j = await r.json();
    return typeof j.unread_count === "number" ? j.unread_count : j.last_seq - j.agent_read_seq;
  }, id);
}

async function waitFor(what, fn, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// noOverflow fails when the page scrolls sideways.
async function noOverflow(page, where) {
  const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  if (m.scroll > m.client) throw new Error(`${where}: horizontal overflow, scrollWidth ${m.scroll} > clientWidth ${m.client}`);
}

async function closeAll(...ps) {
  await Promise.all(ps.filter(Boolean).map((p) => p.ctx.close().catch(() => {})));
}

// scenarioLive: a message to a conversation that is not open updates that
// row (unread count, preview, position), the title and notifies; one in the
// open, focused conversation does none of that.
async function scenarioLive() {
  resetClock();
  let a;
  try {
    a = await openConsole({ name: "live-agent" });
    const ap = a.page;
    await ap.locator(c.connOnline).waitFor();
    const yuri = await visitorStart("Yuri Live", "First from Yuri");
    const xena = await visitorStart("Xena Live", "Hello from Xena");
    await ap.locator(sel.queueAll).click();
    await ap.locator(c.row(yuri)).click();
    await ap.locator(sel.messages).getByText("First from Yuri").waitFor();
    await ap.locator(`${c.row(yuri)}[data-unread="0"]`).waitFor();
    await ap.locator(c.row(xena)).click();
    await ap.locator(sel.messages).getByText("Hello from Xena").waitFor();
    await ap.locator(`${c.row(xena)}[data-unread="0"]`).waitFor();
    const before = await titleCount(ap);
    step("agent read both, Xena open");

    const PARCEL = "Where is my parcel? Order 1234";
    await visitorSay(yuri, PARCEL);
    const row = ap.locator(c.row(yuri));
    await ap.locator(`${c.row(yuri)}[data-unread="1"]`).waitFor();
    await row.locator(c.unreadBadge).getByText("1", { exact: true }).waitFor();
    await row.locator(c.preview).getByText(PARCEL).waitFor();
    const first = await ap.locator(sel.inboxItem).first().getAttribute("data-conversation-id");
    if (first !== yuri) throw new Error(`the row with the new message is not first (first: ${first})`);
    await waitFor(`title count ${before + 1}`, async () => (await titleCount(ap)) === before + 1);
    await waitFor("a notification for Yuri", () => ap.evaluate((t) => window.__notes.some((n) => n.tag === t && n.body.includes("parcel")), yuri));
    await shot(ap, "console-inbox-live.png");
    step("unread count, preview, order, title and notification without reload");

    const notesFor = (id) => ap.evaluate((t) => window.__notes.filter((n) => n.tag === t).length, id);
    const xenaNotes = await notesFor(xena); // her first message came before she was opened
    await visitorSay(xena, "Thanks, that is all");
    await ap.locator(sel.messages).getByText("Thanks, that is all").waitFor();
    await ap.locator(c.row(xena)).locator(c.preview).getByText("Thanks, that is all").waitFor();
    await ap.waitForTimeout(500);
    if ((await ap.locator(c.row(xena)).getAttribute("data-unread")) !== "0") throw new Error("the open, focused conversation became unread");
    if ((await notesFor(xena)) !== xenaNotes) throw new Error("notified for the open, focused conversation");
    if ((await titleCount(ap)) !== before + 1) throw new Error("the title counted the open conversation");
    step("the open conversation stays read, no notification");

    // Replying shows "You: …" in the row.
    await ap.locator(sel.composer).fill("Glad to help");
    await ap.locator(sel.send).click();
    await ap.locator(c.row(xena)).locator(c.preview).getByText("You: Glad to help").waitFor();
    step("my reply is previewed as mine");
    checkPageErrors(ap);
  } finally {
    await closeAll(a);
  }
}

// scenarioReadMarks: agent A reading a conversation leaves it unread for
// agent B (live and after a reload); B opening it while the page is not
// focused does not mark it read; focusing does.
async function scenarioReadMarks() {
  resetClock();
  let a, b;
  try {
    a = await openConsole({ name: "reader-a" });
    b = await openConsole({ name: "reader-b", email: agent2Email, password: agent2Password });
    const ap = a.page;
    const bp = b.page;
    await ap.locator(c.connOnline).waitFor();
    await bp.locator(c.connOnline).waitFor();
    const zoe = await visitorStart("Zoe Marks", "Is anyone there?");
    for (const p of [ap, bp]) {
      await p.locator(sel.queueAll).click();
      await p.locator(`${c.row(zoe)}[data-unread="1"]`).waitFor();
    }
    step("both agents see it unread");
    await ap.locator(c.row(zoe)).click();
    await ap.locator(sel.messages).getByText("Is anyone there?").waitFor();
    await ap.locator(`${c.row(zoe)}[data-unread="0"]`).waitFor();
    await waitFor("A's read mark stored", async () => (await myUnread(ap, zoe)) === 0);
    await bp.waitForTimeout(1000);
    if ((await bp.locator(c.row(zoe)).getAttribute("data-unread")) !== "1") throw new Error("A's reading marked it read for B (live)");
    if ((await myUnread(bp, zoe)) !== 1) throw new Error("A's reading marked it read for B (REST)");
    // The reload holds the conversation list back until B has picked the
    // All tab: the opening tab chosen once the list arrives must not undo
    // B's choice (it did, now and then, when the click won the race).
    let release;
    const held = new Promise((r) => { release = r; });
    await bp.route("**/rest/v1/conversations?*", async (route) => { await held; await route.continue(); });
    await bp.reload();
    await bp.locator(sel.queueAll).click();
    release();
    await bp.locator(`${c.row(zoe)}[data-unread="1"]`).waitFor();
    await bp.unroute("**/rest/v1/conversations?*");
    if ((await bp.locator(sel.queueAll).getAttribute("aria-selected")) !== "true") throw new Error("the opening tab replaced the tab B picked");
    step("A read it; B still has it unread, also after a reload; B's tab choice kept");

    await setFocus(bp, false);
    await bp.locator(c.row(zoe)).click();
    await bp.locator(sel.messages).getByText("Is anyone there?").waitFor();
    await bp.waitForTimeout(1500);
    if ((await myUnread(bp, zoe)) !== 1) throw new Error("opening it in an unfocused page marked it read");
    if ((await bp.locator(c.row(zoe)).getAttribute("data-unread")) !== "1") throw new Error("the unfocused page shows it read");
    step("opened unfocused: still unread");
    await setFocus(bp, true);
    await bp.locator(`${c.row(zoe)}[data-unread="0"]`).waitFor();
    await waitFor("B's read mark stored", async () => (await myUnread(bp, zoe)) === 0);
    step("focused: read");
    checkPageErrors(ap, bp);
  } finally {
    await closeAll(a, b);
  }
}

// scenarioActions: transfer, close and reopen leave notes in the open
// conversation; the Closed queue lists it while it is closed.
async function scenarioActions() {
  resetClock();
  let a;
  try {
    a = await openConsole({ name: "actions-agent" });
    const ap = a.page;
    await ap.locator(c.connOnline).waitFor();
    const walt = await visitorStart("Walt Actions", "Please sort this out");
    await ap.locator(sel.queueAll).click();
    await ap.locator(c.row(walt)).click();
    await ap.locator(sel.messages).getByText("Please sort this out").waitFor();
    await ap.locator(c.transferSelect).selectOption({ label: "Bob Second" });
    await ap.locator(c.transferButton).click();
    await ap.locator(c.note).getByText("Transferred to Bob Second").waitFor();
    await ap.locator(c.closeButton).click();
    await ap.locator(c.note).getByText("Closed by you").waitFor();
    await ap.locator(`${c.conversation}[data-status="closed"]`).waitFor();
    await ap.locator(c.queueClosed).click();
    await ap.locator(c.row(walt)).waitFor();
    const listed = await ap.locator(sel.inboxItem).count();
    const counted = Number(await ap.locator(`${c.queueClosed} .count`).textContent());
    if (listed !== counted) throw new Error(`Closed lists ${listed} but counts ${counted}`);
    step("transferred and closed, with notes; listed under Closed");
    await ap.locator(c.reopenButton).click();
    await ap.locator(c.note).getByText("Reopened by you").waitFor();
    await ap.locator(`${c.conversation}[data-status="open"]`).waitFor();
    await ap.locator(c.row(walt)).waitFor({ state: "detached" });
    await ap.locator(sel.queueAll).click();
    const all = await ap.locator(sel.inboxItem).count();
    const allCount = Number(await ap.locator(`${sel.queueAll} .count`).textContent());
    if (all !== allCount) throw new Error(`All lists ${all} but counts ${allCount}`);
    await shot(ap, "console-notes.png");
    step("reopened, with a note");
    checkPageErrors(ap);
  } finally {
    await closeAll(a);
  }
}

// scenarioTeamErrors: inviting a member's email (409) or a malformed
// address (400) shows the server's message by the form until it is edited.
async function scenarioTeamErrors() {
  resetClock();
  let a;
  try {
    a = await openConsole({ name: "team-owner" });
    const ap = a.page;
    await ap.locator(c.navTeam).click();
    await ap.locator(c.teamEmail).fill(agent2Email);
    await ap.locator(c.teamSubmit).click();
    const err = ap.locator(c.teamFormError);
    await err.getByText("already a member", { exact: false }).waitFor();
    await ap.waitForTimeout(1000); // the team list has reloaded meanwhile
    if (!(await err.isVisible())) throw new Error("the 409 error vanished before the form was edited");
    if ((await ap.locator(c.teamEmail).getAttribute("aria-invalid")) !== "true") throw new Error("the email field is not marked invalid");
    await shot(ap, "console-team-errors.png");
    await ap.locator(c.teamEmail).fill("carol@acme.test");
    await err.waitFor({ state: "hidden" });
    step("409 shown until edited");
    await ap.locator(c.teamEmail).fill("not an address");
    await ap.locator(c.teamSubmit).click();
    await err.getByText("email", { exact: false }).waitFor();
    await ap.waitForTimeout(1000);
    if (!(await err.isVisible())) throw new Error("the 400 error vanished before the form was edited");
    await ap.locator(c.teamEmail).fill("carol@acme.test");
    await err.waitFor({ state: "hidden" });
    step("400 shown until edited");
    checkPageErrors(ap);
  } finally {
    await closeAll(a);
  }
}

// scenarioSearch: an empty query shows a hint and asks nothing; matches are
// highlighted with <mark> (markup in messages stays text); no match says so.
async function scenarioSearch() {
  resetClock();
  let a;
  try {
    a = await openConsole({ name: "search-agent" });
    const ap = a.page;
    let asked = 0;
    ap.on("request", (r) => { if (r.url().includes("/messages/search")) asked++; });
    await ap.locator(c.navSearch).click();
    await ap.locator(c.searchSubmit).click();
    await ap.locator(c.searchStatus).getByText("Type one or more words", { exact: false }).waitFor();
    if (asked !== 0) throw new Error("an empty query was sent to the server");
    const FIND = "Zebra unicorn <img src=x onerror=\"window.__xss=1\"> pancakes";
    const conv = await visitorStart("Sam Search", FIND);
    await ap.locator(c.searchInput).fill("zebra pancakes");
    await ap.locator(c.searchSubmit).click();
    const hit = ap.locator(`${c.searchResult}[data-conversation-id="${conv}"]`);
    await hit.waitFor();
    const marks = await hit.locator("mark").allTextContents();
    if (marks.join("|") !== "Zebra|pancakes") throw new Error(`highlighted ${JSON.stringify(marks)}, want Zebra and pancakes`);
    await hit.getByText('<img src=x onerror="window.__xss=1">', { exact: false }).waitFor();
    step("matches highlighted, markup stays text");
    await ap.locator(c.searchInput).fill("qqqxyzzy");
    await ap.locator(c.searchSubmit).click();
    await ap.locator(c.searchStatus).getByText("No message matches", { exact: false }).waitFor();
    step("no match says so");
    // Prefix matching is the server's (issue 9): "zeb panc" finds it too.
    await ap.locator(c.searchInput).fill("zeb panc");
    await ap.locator(c.searchSubmit).click();
    await hit.waitFor();
    const prefix = await hit.locator("mark").allTextContents();
    if (prefix.join("|") !== "Zeb|panc") throw new Error(`highlighted ${JSON.stringify(prefix)}, want Zeb and panc`);
    await shot(ap, "console-search.png");
    step("word prefixes match and are highlighted");
    await checkInert(ap);
    checkPageErrors(ap);
  } finally {
    await closeAll(a);
  }
}

// scenarioRefused: opened at an address that is not the hub's public URL,
// the console signs in but its socket is refused: a banner says so in words
// (the server's reason) and a reply shows it is not sent yet.
async function scenarioRefused() {
  resetClock();
  let a;
  try {
    const other = hub.replace("//localhost:", "//127.0.0.1:");
    if (other === hub) throw new Error(`the hub URL ${hub} is not on localhost`);
    a = await openConsole({ name: "refused-agent", base: other });
    const ap = a.page;
    const banner = ap.locator(c.banner);
    await banner.getByText("Cannot connect:", { exact: false }).waitFor();
    if ((await banner.getAttribute("role")) !== "alert") throw new Error("the banner is not an alert");
    await ap.locator(`${c.connState}[data-state="refused"]`).getByText("Cannot connect").waitFor();
    step(`banner: ${await banner.textContent()}`);
    await ap.locator(sel.queueAll).click();
    await ap.locator(sel.inboxItem).first().click();
    await ap.locator(sel.composer).fill("Will this go out?");
    await ap.locator(sel.send).click();
    await ap.locator('[data-testid="message"][data-pending="true"]').getByText("not sent yet", { exact: false }).waitFor();
    await shot(ap, "console-refused.png");
    step("a reply says it is not sent yet");
    checkPageErrors(ap);
  } finally {
    await closeAll(a);
  }
}

// scenarioLocalhost: a hub started with no --public-url (as the README does)
// opened as http://localhost:PORT: sign-in, the socket comes online and a
// reply is acked. Fails until the server accepts the loopback aliases of its
// listen address as its own origin (issue 9, item 4).
async function scenarioLocalhost() {
  resetClock();
  let a;
  try {
    a = await openConsole({ name: "localhost-agent", email: localEmail, base: localHub });
    const ap = a.page;
    try {
      await ap.locator(c.connOnline).waitFor({ timeout: 15_000 });
    } catch {
      throw new Error(`no live connection on ${localHub}: badge "${await ap.locator(c.connState).textContent()}", banner "${await ap.locator(c.banner).textContent()}"`);
    }
    step("socket online on localhost");
    // The only conversation waits unassigned, and Mine is empty: the console opens on Unassigned.
    await ap.locator(`${sel.queueUnassigned}[aria-selected="true"]`).waitFor();
    await ap.locator(sel.inboxItem).first().click();
    await ap.locator(sel.messages).getByText("Hello from a hub without --public-url").waitFor();
    await ap.locator(sel.composer).fill("Hello from localhost");
    await ap.locator(sel.send).click();
    await ap.locator('[data-testid="message"][data-seq]').getByText("Hello from localhost").waitFor();
    step("reply acked");
    checkPageErrors(ap);
  } finally {
    await closeAll(a);
  }
}

// scenarioPhone: at 390 px the top bar, the inbox list, a conversation, the
// visitor's details and the team page fit without horizontal overflow, and
// messages wrap at a readable width.
async function scenarioPhone() {
  resetClock();
  let a;
  try {
    a = await openConsole({ name: "phone-agent", viewport: { width: 390, height: 844 } });
    const ap = a.page;
    await ap.locator(c.connOnline).waitFor();
    await ap.locator(sel.queueAll).click();
    await ap.locator(sel.inboxItem).first().waitFor();
    await noOverflow(ap, "390 px inbox");
    await shot(ap, "console-390.png");
    await ap.locator(c.menuButton).click();
    await ap.locator('[data-testid="logout-button"]').waitFor({ state: "visible" });
    await noOverflow(ap, "390 px menu");
    await shot(ap, "console-390-menu.png");
    await ap.locator(c.menuButton).click();
    step("inbox and menu fit");

    const long = await visitorStart("Pat Phone", "A long message to see that text wraps at a readable width on a phone, not every few letters: supercalifragilisticexpialidocious-and-more");
    await ap.locator(c.row(long)).click();
    await ap.locator(c.backButton).waitFor({ state: "visible" });
    const text = ap.locator(sel.messages).getByText("A long message", { exact: false });
    await text.waitFor();
    const width = await text.evaluate((n) => n.getBoundingClientRect().width);
    if (width < 200) throw new Error(`a message is only ${width} px wide at 390 px`);
    if (await ap.locator(sel.inboxItem).first().isVisible()) throw new Error("the inbox list is still shown beside the conversation");
    await noOverflow(ap, "390 px conversation");
    await shot(ap, "console-390-conversation.png");
    await ap.locator(c.detailsButton).click();
    await ap.locator('[data-testid="visitor-details"]').waitFor({ state: "visible" });
    await noOverflow(ap, "390 px visitor details");
    await shot(ap, "console-390-details.png");
    await ap.locator(c.detailsBack).click();
    await ap.locator(c.backButton).click();
    await ap.locator(sel.inboxItem).first().waitFor({ state: "visible" });
    step("conversation and details as stacked views, back to the list");
    await ap.locator(c.navTeam).click();
    await ap.locator('[data-testid="team-row"]').first().waitFor();
    await noOverflow(ap, "390 px team");
    await shot(ap, "console-390-team.png");
    step("team page fits");
    checkPageErrors(ap);
  } finally {
    await closeAll(a);
  }
}

/** The scenarios of this module, run in order. */
// scenarioOrgChooser (issue 10, item 6): an email and password of two
// organisations sign in through a chooser listing both; editing the
// password hides it; choosing one signs in to that organisation.
async function scenarioOrgChooser() {
  resetClock();
  let a;
  try {
    a = await newPage("org-chooser");
    const ap = a.page;
    const chooser = ap.locator('[data-testid="login-orgs"]');
    const options = ap.locator('[data-testid="login-org"]');
    const submit = async () => {
      await ap.locator(sel.loginEmail).fill(multiEmail);
      await ap.locator(sel.loginPassword).fill(agentPassword);
      await ap.locator(sel.loginSubmit).click();
      await chooser.waitFor({ state: "visible" });
    };
    await ap.goto(hub + "/console");
    await submit();
    const names = await options.allTextContents();
    if (names.join(",") !== multiOrgs.join(",")) throw new Error(`chooser lists ${names}, want ${multiOrgs}`);
    if (await ap.locator(sel.loginSubmit).isVisible()) throw new Error("the sign-in button shows beside the chooser");
    if (await ap.locator(sel.inbox).isVisible()) throw new Error("signed in before choosing");
    await shot(ap, "console-org-chooser.png");
    step("chooser lists both organisations");
    await ap.locator(sel.loginPassword).fill("something else");
    await chooser.waitFor({ state: "hidden" });
    await ap.locator(sel.loginSubmit).waitFor({ state: "visible" });
    step("editing the password hides it");
    await submit();
    await options.filter({ hasText: multiOrgs[1] }).click();
    await ap.locator(sel.inbox).waitFor({ state: "visible" });
    const me = await ap.locator('[id="me-name"]').textContent();
    if (me !== "Owner of " + multiOrgs[1]) throw new Error(`signed in as ${me}, want the owner of ${multiOrgs[1]}`);
    step("choosing one signs in to it");
    checkPageErrors(ap);
  } finally {
    await closeAll(a);
  }
}

export const scenarios = {
  "console-org-chooser": scenarioOrgChooser,
  "console-live": scenarioLive,
  "console-read-marks": scenarioReadMarks,
  "console-actions": scenarioActions,
  "console-team-errors": scenarioTeamErrors,
  "console-search": scenarioSearch,
  "console-refused": scenarioRefused,
  "console-phone": scenarioPhone,
  "console-localhost": scenarioLocalhost,
};
