// The offline scenario: the owner edits the widget's settings in the console
// and signs out; a visitor gets the offline form, leaves a message and is
// thanked; an agent finds it; the pre-chat form follows the settings.
import { join } from "node:path";
import {
  artifacts, checkHostState, checkInert, checkPageErrors, control, demoKey, host, hostPage, hub,
  newPage, resetClock, sel, shot, signInAgent, step, waitAgentsOnline,
} from "../lib.mjs";

const OFFLINE_NOTE = "We are away until Monday: leave a note and we will write back";
const OFFLINE_NAME = "Olga Offline";
const OFFLINE_TEXT = "My parcel never arrived, order 1234";

// scenarioOffline: the owner sets the site widget's offline message in the
// console (an invalid origin is refused with the API's message first) and
// signs out; with no agent signed in the visitor gets the offline form,
// leaves a message and is thanked; an agent then finds it in Unassigned.
async function scenarioOffline() {
  resetClock();
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

  // Presence sees the owner gone once the console's socket has closed: open
  // the widget only when the hub says no agent is online.
  await waitAgentsOnline(false);
  step("hub reports no agent online");
  const visitor = await hostPage("offline-visitor");
  const vp = visitor.page;
  const frame = vp.frameLocator(sel.frame);
  const form = frame.locator(sel.offlineForm);
  await vp.goto(host);
  await vp.locator(sel.launcher).click();
  await form.waitFor();
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
  await waitAgentsOnline(true);
  const next = await hostPage("prechat-visitor");
  const np = next.page;
  const nf = np.frameLocator(sel.frame);
  await np.goto(host);
  await np.locator(sel.launcher).click();
  await nf.locator(sel.prechatName).waitFor();
  if (await nf.locator('[data-testid="prechat-phone"]').count()) throw new Error("hidden phone field is in the pre-chat form");
  await nf.locator(sel.prechatName).fill("Petra");
  await nf.locator(sel.prechatSubmit).click();
  await nf.locator("#formerror").getByText("email", { exact: false }).waitFor();
  await shot(np, "visitor-prechat-configured.png");
  await next.ctx.close();
  step("pre-chat form follows the settings");
  await checkInert(vp);
  await checkHostState(vp);
  checkPageErrors(vp, ap, gp);
  await visitor.ctx.close();
  await agent.ctx.close();
}

/** The scenarios of this module, run in order. */
export const scenarios = { offline: scenarioOffline };
