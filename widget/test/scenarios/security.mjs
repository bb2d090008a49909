// The account-security scenarios (issue 11), run by
// cmd/helpr/browser_security_test.go with HELPR_BROWSER_SUITE=security:
// TOTP enrolment (the key read from the page, codes computed here with RFC
// 6238) and the two-step sign-in; backup codes (download, one sign-in each,
// the remaining count); a passkey added, renamed and used to sign in through
// Chromium's virtual authenticator (CDP WebAuthn); another browser's session
// revoked from the sessions page (that browser is signed out); invitations,
// an agent's sessions, deactivation; the audit page with a filter; a sign-in
// link (its confirm page, then the second step) and the forgot-password
// flow, both with the mail the hub wrote to its outbox. Every new screen is
// screenshotted. The scenarios run in order and share the account's state.
//
// Extra environment: HELPR_OUTBOX, the hub's outbox directory (mail without
// --smtp-url). The owner is HELPR_AGENT_EMAIL / HELPR_AGENT_PASSWORD.
import { createHmac } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { TIMEOUT, agentEmail, agentPassword, checkInert, checkPageErrors, env, hub, newPage, resetClock, sel, shot, step } from "../lib.mjs";

const outbox = env("HELPR_OUTBOX");
const t = (id) => `[data-testid="${id}"]`;
// The signed-in console (after a sign-in it shows the view the address names).
const app = "#app-view";
const inviteeEmail = "invitee@acme.test";
const newPassword = "a brand new long password";

// What the scenarios learn and spend, in order.
const account = { secret: "", lastStep: 0, backup: [], password: agentPassword };

// --- RFC 6238 TOTP (SHA-1, 6 digits, 30 s) ---

function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totp(secret, stepNo) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(stepNo));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 1_000_000).padStart(6, "0");
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

// nextCode is a code the server has not accepted yet: a step after the last
// one used, at most one ahead of now (the server accepts ±1 step), waiting
// for the clock when the next one is further.
async function nextCode() {
  for (;;) {
    const s = Math.max(stepNow(), account.lastStep + 1);
    if (s <= stepNow() + 1) {
      account.lastStep = s;
      return totp(account.secret, s);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

// wrongCode is a code of none of the steps the server would accept now.
function wrongCode() {
  const near = new Set([-1, 0, 1, 2].map((d) => totp(account.secret, stepNow() + d)));
  for (let i = 0; ; i++) {
    const c = String((123456 + i * 7919) % 1_000_000).padStart(6, "0");
    if (!near.has(c)) return c;
  }
}

// --- the outbox ---

const seenMail = new Set();

// decodeMail returns a mail's text: its body decoded when the mail says
// quoted-printable (what the hub writes) or base64.
function decodeMail(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? "" : raw.slice(split).trim();
  if (/^content-transfer-encoding:\s*quoted-printable/im.test(head)) {
    const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return head + "\n\n" + Buffer.from(bytes, "latin1").toString("utf8");
  }
  if (/^content-transfer-encoding:\s*base64/im.test(head)) return head + "\n\n" + Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  return raw;
}

// readMail waits for a new mail to `to` in the outbox whose text matches
// pattern and returns the match's first group.
async function readMail(to, pattern, what) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const files = existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith(".eml")).sort() : [];
    for (const f of files) {
      if (seenMail.has(f)) continue;
      const text = decodeMail(readFileSync(join(outbox, f), "utf8"));
      if (!text.toLowerCase().includes(to.toLowerCase())) continue;
      const m = pattern.exec(text);
      if (!m) continue;
      seenMail.add(f);
      return m[1];
    }
    if (Date.now() > deadline) throw new Error(`no ${what} mail to ${to} in ${outbox} (files: ${files.join(", ")})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// --- sign-in helpers ---

// press clicks a sign-in button and waits until done or its error line
// shows; when the hub's shared sign-in limit refused it ("Too many …": every
// browser here is one IP), it waits and presses again. Other errors are left
// for the caller to check.
async function press(page, button, errorId, done) {
  const err = page.locator(`${t(errorId)}:visible`);
  for (let i = 0; ; i++) {
    await page.locator(t(button)).click();
    await page.locator(`${done}, ${t(errorId)}:visible`).first().waitFor();
    if (!(await err.count()) || i >= 6 || !/too many/i.test((await err.textContent()) || "")) return;
    await page.waitForTimeout(2500);
  }
}

const afterFirstFactor = `${t("mfa-form")}:visible, #app-view:visible`;

async function fillLogin(page, email = agentEmail, password = account.password) {
  await page.locator(sel.loginEmail).fill(email);
  await page.locator(sel.loginPassword).fill(password);
  await press(page, "login-submit", "login-error", afterFirstFactor);
}

// verify submits the second step (code or backup code already filled in).
async function verify(page) {
  await press(page, "mfa-submit", "mfa-error", "#app-view:visible");
}

// signInBackup signs the owner in, in a fresh context, with the password
// and one backup code (spent).
async function signInBackup(name, screenshot) {
  const p = await newPage(name);
  await p.page.goto(hub + "/console");
  await fillLogin(p.page);
  await mfaBackup(p.page, screenshot);
  await p.page.locator(app).waitFor({ state: "visible" });
  return p;
}

// secondStep waits for the second-step form; a sign-in error instead fails
// with the page's message.
async function secondStep(page) {
  const err = page.locator('[data-testid="login-error"]:visible, [data-testid="magic-error"]:visible');
  await page.locator(`${t("mfa-form")}:visible, [data-testid="login-error"]:visible, [data-testid="magic-error"]:visible`).first().waitFor();
  if (await err.count()) throw new Error(`no second step: ${await err.first().textContent()}`);
}

async function mfaBackup(page, screenshot) {
  await secondStep(page);
  await page.locator(t("mfa-switch")).click();
  const code = account.backup.shift();
  if (!code) throw new Error("no backup code left");
  await page.locator(t("mfa-backup")).fill(code);
  if (screenshot) await shot(page, screenshot);
  await verify(page);
}

async function currentSessionId(page) {
  return page.evaluate(async () => {
    const r = await fetch("/rest/v1/me/sessions", { credentials: "same-origin" });
    const j = await r.json();
    return (j.sessions || []).find((s) => s.current)?.id || "";
  });
}

async function signedOutShown(page) {
  await page.locator(t("login-form")).waitFor({ state: "visible" });
  await page.locator(app).waitFor({ state: "hidden" });
}

// scenarioTotp: enrol TOTP from the page's key, see the 10 backup codes
// once (and download them), then sign out and sign in with password + code
// (a wrong code first: the server's message shows).
async function scenarioTotp() {
  resetClock();
  const { page } = await newPage("totp-owner");
  await page.goto(hub + "/console");
  await page.locator(t("login-passkey")).waitFor();
  await shot(page, "sec-signin.png");
  await fillLogin(page);
  await page.locator(app).waitFor({ state: "visible" });
  await page.locator(t("nav-security")).click();
  await page.locator('[data-testid="totp-state"][data-state="off"]').waitFor();
  await page.locator(t("session-row")).first().waitFor();
  if (!(await page.evaluate(() => location.hash === "#security"))) throw new Error("the address does not say #security");
  await shot(page, "sec-security.png");
  step("security page");

  await page.locator(t("totp-setup")).click();
  await page.locator(t("totp-enable-form")).waitFor({ state: "visible" });
  await page.waitForFunction(() => {
    const img = document.getElementById("totp-qr");
    return img && img.complete && img.naturalWidth > 0;
  });
  account.secret = ((await page.locator(t("totp-secret")).textContent()) || "").replace(/\s+/g, "");
  if (!/^[A-Z2-7]{16,}=*$/.test(account.secret)) throw new Error(`the key shown is not base32: ${account.secret}`);
  await shot(page, "sec-totp-setup.png");
  await page.locator(t("totp-code")).fill(wrongCode());
  await page.locator(t("totp-enable")).click();
  const enableError = page.locator(t("totp-enable-error"));
  await enableError.waitFor({ state: "visible" });
  if (!((await enableError.textContent()) || "").trim()) throw new Error("a wrong enrolment code shows no message");
  await page.locator(t("totp-code")).fill(await nextCode());
  await page.locator(t("totp-enable")).click();
  await page.locator(t("backup-code")).nth(9).waitFor();
  account.backup = (await page.locator(t("backup-code")).allTextContents()).map((s) => s.trim());
  if (account.backup.length !== 10) throw new Error(`${account.backup.length} backup codes shown, want 10`);
  await page.locator('[data-testid="totp-state"][data-state="on"]').waitFor();
  await shot(page, "sec-backup-codes.png");
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator(t("backup-download")).click()]);
  if (download.suggestedFilename() !== "helpr-backup-codes.txt") throw new Error(`download named ${download.suggestedFilename()}`);
  const saved = readFileSync(await download.path(), "utf8");
  for (const c of account.backup) if (!saved.includes(c)) throw new Error(`backup code ${c} missing from the download`);
  await page.locator(t("backup-done")).click();
  await page.locator(t("backup-codes")).waitFor({ state: "hidden" });
  step("TOTP on, 10 backup codes downloaded");

  await page.locator("#logout-button").click();
  await signedOutShown(page);
  await fillLogin(page);
  await secondStep(page);
  if (await page.locator(app).isVisible()) throw new Error("signed in without the second step");
  await shot(page, "sec-mfa-step.png");
  await page.locator(t("mfa-code")).fill(wrongCode());
  await page.locator(t("mfa-submit")).click();
  const mfaError = page.locator(t("mfa-error"));
  await mfaError.waitFor({ state: "visible" });
  if (!((await mfaError.textContent()) || "").trim()) throw new Error("a wrong code shows no message");
  await page.locator(t("mfa-code")).fill(await nextCode());
  await verify(page);
  await page.locator(app).waitFor({ state: "visible" });
  step("signed in with password + TOTP code");
  checkPageErrors(page);
  await checkInert(page);
}

// scenarioPasskey: add a passkey through the virtual authenticator, rename
// it, sign out and sign in with it alone (no second step).
async function scenarioPasskey() {
  resetClock();
  const { ctx, page } = await signInBackup("passkey-owner", "sec-mfa-backup.png");
  step("signed in with password + backup code");
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  await page.locator(t("nav-security")).click();
  await page.locator(t("backup-remaining")).getByText("9 backup codes left").waitFor();
  await page.locator(t("passkey-name")).fill("Work laptop");
  await page.locator(t("passkey-add")).click();
  await page.locator(t("passkey-item")).filter({ hasText: "Work laptop" }).waitFor();
  await page.locator(t("passkey-status")).waitFor({ state: "visible" });
  step("passkey added");
  await page.locator(t("passkey-rename")).first().click();
  await page.locator(t("passkey-rename-input")).fill("Chromium test key");
  await page.locator(t("passkey-rename-save")).click();
  await page.locator(t("passkey-item")).filter({ hasText: "Chromium test key" }).waitFor();
  await page.locator(t("passkey-section")).scrollIntoViewIfNeeded();
  await shot(page, "sec-passkeys.png");
  step("passkey renamed");

  await page.locator("#logout-button").click();
  await signedOutShown(page);
  await press(page, "login-passkey", "login-error", afterFirstFactor);
  await page.locator(app).waitFor({ state: "visible" });
  if (await page.locator(t("mfa-form")).isVisible()) throw new Error("a passkey sign-in asked for the second step");
  step("signed in with the passkey");
  await page.locator(t("nav-security")).click();
  await page.locator(t("passkey-item")).filter({ hasText: "last used" }).waitFor();
  checkPageErrors(page);
  await checkInert(page);
}

// scenarioSessions: a second browser signs in; the first revokes its
// session from the sessions page and the second is signed out; "Sign out
// all other sessions" leaves only this one.
async function scenarioSessions() {
  resetClock();
  const a = await signInBackup("sessions-owner");
  const b = await signInBackup("sessions-other");
  const other = await currentSessionId(b.page);
  if (!other) throw new Error("the second browser has no current session");
  const ap = a.page;
  await ap.locator(t("nav-security")).click();
  const row = ap.locator(`[data-testid="session-row"][data-session-id="${other}"]`);
  await row.waitFor();
  await ap.locator('[data-testid="session-row"][data-current="true"]').locator(t("session-current")).waitFor();
  if ((await row.getAttribute("data-current")) !== "false") throw new Error("the other session is marked current");
  await ap.locator(t("sessions-section")).scrollIntoViewIfNeeded();
  await shot(ap, "sec-sessions.png");
  await row.locator(t("session-revoke")).click();
  await row.waitFor({ state: "detached" });
  await signedOutShown(b.page);
  await b.page.locator(t("login-error")).getByText("session ended", { exact: false }).waitFor();
  await shot(b.page, "sec-revoked.png");
  step("the revoked browser is signed out");
  await ap.locator(t("sessions-revoke-others")).click();
  await ap.locator(t("sessions-status")).getByText("Signed out", { exact: false }).waitFor();
  await ap.waitForFunction(() => document.querySelectorAll('[data-testid="session-row"]').length === 1);
  step("other sessions signed out");
  checkPageErrors(ap, b.page);
  await checkInert(ap);
}

// scenarioTeamAudit: the team page invites by email (the pending
// invitation is listed), shows an agent's sessions; the audit page lists
// the account's events and filters them by action.
async function scenarioTeamAudit() {
  resetClock();
  const { page: ap } = await signInBackup("team-owner");
  await ap.locator(t("nav-team")).click();
  await ap.locator(t("team-email")).fill(inviteeEmail);
  await ap.locator(t("team-role")).selectOption("agent");
  await ap.locator(t("team-submit")).click();
  await ap.locator(t("invitation-row")).filter({ hasText: inviteeEmail }).waitFor();
  await ap.locator(t("team-form-status")).waitFor({ state: "visible" });
  await shot(ap, "sec-team.png");
  step("invitation sent");

  await ap.locator(t("nav-audit")).click();
  await ap.locator('[data-testid="audit-row"][data-action="auth.totp_enabled"]').first().waitFor();
  await ap.locator('[data-testid="audit-row"][data-outcome="failure"]').first().waitFor();
  await ap.locator(t("audit-action")).fill("auth.login");
  await ap.locator(t("audit-submit")).click();
  await ap.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="audit-row"]')];
    return rows.length > 0 && rows.every((r) => r.getAttribute("data-action") === "auth.login");
  });
  await shot(ap, "sec-audit.png");
  step("audit page filtered");

  await ap.locator(t("nav-team")).click();
  await ap.locator(t("team-row")).filter({ hasText: "(you)" }).locator(t("team-sessions")).click();
  await ap.locator(t("agent-sessions")).locator(t("session-row")).first().waitFor();
  await ap.locator(t("agent-sessions")).scrollIntoViewIfNeeded();
  await shot(ap, "sec-agent-sessions.png");
  step("an agent's sessions shown");
  checkPageErrors(ap);
  await checkInert(ap);
}

// scenarioLinks: a sign-in link by mail (its confirm page consumes nothing;
// continuing asks for the second step); the invitation accepted in another
// browser, then that agent deactivated (signed out); the forgot-password
// flow with the mailed code (every session signed out).
async function scenarioLinks() {
  resetClock();
  const a = await newPage("magic-owner");
  const ap = a.page;
  await ap.goto(hub + "/console");
  await ap.locator(sel.loginEmail).fill(agentEmail);
  await ap.locator(t("login-magic")).click();
  await ap.locator(t("login-status")).waitFor({ state: "visible" });
  const magic = await readMail(agentEmail, /(https?:\/\/\S+#magic=[A-Za-z0-9_-]+)/, "sign-in link");
  if (!magic.startsWith(hub + "/console/#magic=")) throw new Error(`the link is not the console's: ${magic}`);
  await ap.goto(magic);
  await ap.locator(t("magic-form")).waitFor({ state: "visible" });
  if (await ap.evaluate(() => location.hash !== "")) throw new Error("the link's token stays in the address");
  await shot(ap, "sec-magic.png");
  await press(ap, "magic-submit", "magic-error", afterFirstFactor);
  await mfaBackup(ap);
  await ap.locator(app).waitFor({ state: "visible" });
  step("signed in with the mailed link + backup code");

  const invite = await readMail(inviteeEmail, /(https?:\/\/\S+#invite=[A-Za-z0-9_-]+)/, "invitation");
  const v = await newPage("invitee");
  await v.page.goto(invite);
  await v.page.locator(t("invite-form")).waitFor({ state: "visible" });
  await v.page.locator(t("invite-name")).fill("Ivy Invitee");
  await v.page.locator(t("invite-password")).fill("ivy's long enough password");
  await shot(v.page, "sec-invite.png");
  await v.page.locator(t("invite-submit")).click();
  await v.page.locator(app).waitFor({ state: "visible" });
  await v.page.locator("#me-name").getByText("Ivy Invitee").waitFor();
  step("invitation accepted");
  await ap.locator(t("nav-team")).click();
  const ivy = ap.locator(t("team-row")).filter({ hasText: "Ivy Invitee" });
  await ivy.locator(t("team-deactivate")).click();
  await ivy.locator(t("team-deactivate")).click(); // the confirmation
  await ap.locator('[data-testid="team-row"][data-deactivated="true"]').filter({ hasText: "Ivy Invitee" }).waitFor();
  await signedOutShown(v.page);
  step("deactivated agent signed out");

  const f = await newPage("forgot");
  const fp = f.page;
  await fp.goto(hub + "/console");
  await fp.locator(sel.loginEmail).fill(agentEmail);
  await fp.locator(t("login-forgot")).click();
  await fp.locator(t("forgot-form")).waitFor({ state: "visible" });
  await shot(fp, "sec-forgot.png");
  await fp.locator(t("forgot-request")).click();
  await fp.locator(t("forgot-code")).waitFor({ state: "visible" });
  const code = await readMail(agentEmail, /\b(\d{8})\b/, "reset code");
  await fp.locator(t("forgot-code")).fill(code);
  await fp.locator(t("forgot-password")).fill(newPassword);
  await shot(fp, "sec-forgot-code.png");
  await fp.locator(t("forgot-submit")).click();
  await fp.locator(t("login-status")).getByText("password is changed", { exact: false }).waitFor();
  account.password = newPassword;
  await signedOutShown(ap); // a reset signs out every session
  step("password reset; every session signed out");
  await fillLogin(fp);
  await secondStep(fp);
  await fp.locator(t("mfa-code")).fill(await nextCode());
  await verify(fp);
  await fp.locator(app).waitFor({ state: "visible" });
  step("signed in with the new password + code");
  checkPageErrors(ap, v.page, fp);
  await checkInert(fp);
}

export const scenarios = {
  "security-totp": scenarioTotp,
  "security-passkey": scenarioPasskey,
  "security-sessions": scenarioSessions,
  "security-team-audit": scenarioTeamAudit,
  "security-links": scenarioLinks,
};
