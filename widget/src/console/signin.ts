// The sign-in page and its panels (one shown at a time inside #login-view):
// password (with the organisation chooser), a passkey, "email me a link";
// the second step (an authenticator code or a backup code) when the first
// factor answers mfa_required; the confirm page of a sign-in link
// (#magic=<token>: opening it consumes nothing, only "Continue" does); the
// forgot-password page (a code by email, then code + new password); the
// invitation page (#invite=<token>: name + password). Every answer that
// starts a session sets the cookies; the console then asks /me who it is.
// Tokens from the address are kept in memory only and never logged.

import { Agent, ApiError, OrgRequiredError, SignInAnswer, login, me, needsMfa, post } from "./api";
import { byId, show } from "./dom";
import { FormError, errorText, setText } from "./forms";
import { resetOrgChoice, setOrgChoiceBusy, showOrgChoice } from "./login_orgs";
import { getPasskey, passkeyErrorText, passkeysSupported } from "./webauthn";

/** A panel of the sign-in page. */
export type Panel = "login" | "mfa" | "magic" | "forgot" | "invite";

const panels: Panel[] = ["login", "mfa", "magic", "forgot", "invite"];

let enter: (agent: Agent) => Promise<void> = async () => {};
const errors = {} as Record<Panel, FormError>;
let mfa = { ticket: "", remember: false, backup: false };
let magicToken = "";
let inviteToken = "";

/** Wires every panel; signedIn runs with the agent once a session exists. */
export function initSignin(signedIn: (agent: Agent) => Promise<void>): void {
  enter = signedIn;
  for (const p of panels) errors[p] = new FormError(byId(p + "-form"), byId(p + "-error"), fieldsOf(p));
  onSubmit("login-form", () => submitLogin());
  onSubmit("mfa-form", submitMfa);
  onSubmit("magic-form", submitMagic);
  onSubmit("forgot-form", () => (byId("forgot-step2").hidden ? requestReset() : submitReset()));
  onSubmit("invite-form", submitInvite);
  // Another email or password: the organisations listed no longer apply.
  for (const id of ["login-email", "login-password"]) byId(id).addEventListener("input", resetOrgChoice);
  byId("login-passkey").addEventListener("click", () => void passkeySignIn());
  show(byId("login-passkey"), passkeysSupported());
  byId("login-magic").addEventListener("click", () => void requestMagicLink());
  byId("login-forgot").addEventListener("click", showForgot);
  byId("forgot-request").addEventListener("click", () => void requestReset());
  byId("mfa-switch").addEventListener("click", () => setBackup(!mfa.backup));
  for (const id of ["mfa-cancel", "magic-cancel", "forgot-back", "invite-cancel"]) byId(id).addEventListener("click", () => showLogin(""));
}

function fieldsOf(p: Panel): Record<string, HTMLElement> {
  switch (p) {
    case "login":
      return {};
    case "mfa":
      return { code: byId("mfa-code") };
    case "forgot":
      return { code: byId("forgot-code"), password: byId("forgot-password"), email: byId("forgot-email") };
    case "invite":
      return { password: byId("invite-password"), name: byId("invite-name") };
    default:
      return {};
  }
}

function onSubmit(id: string, run: () => Promise<void>): void {
  byId(id).addEventListener("submit", (e) => {
    e.preventDefault();
    void run();
  });
}

function showPanel(p: Panel): void {
  show(byId("app-view"), false);
  show(byId("login-view"), true);
  for (const name of panels) show(byId(name + "-form"), name === p);
}

/** Shows the password sign-in, with message as its error ("" for none). */
export function showLogin(message: string): void {
  showPanel("login");
  mfa = { ticket: "", remember: false, backup: false };
  byId<HTMLInputElement>("login-password").value = "";
  resetOrgChoice();
  if (message) errors.login.set(message);
  else errors.login.clear();
  byId<HTMLInputElement>("login-email").focus();
}

/** Shows the confirm page of a sign-in link (nothing is consumed yet). */
export function showMagic(token: string): void {
  magicToken = token;
  showPanel("magic");
  errors.magic.clear();
  byId("magic-submit").focus();
}

/** Shows the invitation's accept page. */
export function showInvite(token: string): void {
  inviteToken = token;
  showPanel("invite");
  errors.invite.clear();
  byId("invite-name").focus();
}

/** Runs a sign-in request with its button disabled. */
async function busy(button: string, run: () => Promise<void>): Promise<void> {
  const b = byId<HTMLButtonElement>(button);
  b.disabled = true;
  try {
    await run();
  } finally {
    b.disabled = false;
  }
}

// finish continues after an answer of a first factor: the second step, or
// the app once the session exists.
async function finish(answer: SignInAnswer, remember: boolean): Promise<void> {
  if (needsMfa(answer)) {
    showMfa(answer.mfa_ticket, remember, answer.methods);
    return;
  }
  const agent = await me();
  if (!agent) throw new ApiError(401, "unauthorized", "This account cannot use the console.");
  byId<HTMLInputElement>("login-password").value = "";
  resetOrgChoice();
  await enter(agent);
}

// --- password ---

/** Signs in; organizationId is the organisation chosen in the chooser. */
async function submitLogin(organizationId?: string): Promise<void> {
  const email = byId<HTMLInputElement>("login-email").value.trim();
  const password = byId<HTMLInputElement>("login-password").value;
  const remember = byId<HTMLInputElement>("login-remember").checked;
  setText("login-status", "");
  if (!email || !password) {
    errors.login.set("Enter your email and password.");
    return;
  }
  setOrgChoiceBusy(true);
  errors.login.clear();
  try {
    await busy("login-submit", async () => finish(await login(email, password, remember, organizationId), remember));
  } catch (e) {
    if (e instanceof OrgRequiredError && e.organizations.length > 0) showOrgChoice(e.organizations, (id) => void submitLogin(id));
    else errors.login.set(loginErrorText(e));
  } finally {
    setOrgChoiceBusy(false);
  }
}

function loginErrorText(e: unknown): string {
  if (!(e instanceof ApiError)) return "The server cannot be reached; try again.";
  if (e.code === "invalid_credentials") return "Wrong email or password.";
  if (e.code === "rate_limited") return "Too many attempts; wait a few seconds and try again.";
  return e.message;
}

// --- passkey and email link ---

async function passkeySignIn(): Promise<void> {
  const remember = byId<HTMLInputElement>("login-remember").checked;
  errors.login.clear();
  setText("login-status", "");
  try {
    await busy("login-passkey", async () => {
      const begin = await post<{ publicKey: Record<string, unknown> }>("/auth/passkeys/login/begin", {});
      const credential = await getPasskey(begin.publicKey);
      if (!credential) throw new Error("No passkey was chosen.");
      await finish(await post<SignInAnswer>("/auth/passkeys/login/finish", { credential, remember }), remember);
    });
  } catch (e) {
    errors.login.set(passkeyErrorText(e) ?? errorText(e));
  }
}

async function requestMagicLink(): Promise<void> {
  const email = byId<HTMLInputElement>("login-email").value.trim();
  errors.login.clear();
  setText("login-status", "");
  if (!email) {
    errors.login.set("Enter your email first; the link is sent there.");
    return;
  }
  try {
    await busy("login-magic", () => post("/auth/magic-link", { email }));
    setText("login-status", `If ${email} has an account, a sign-in link is on its way. It works once, for 15 minutes.`);
  } catch (e) {
    errors.login.set(errorText(e));
  }
}

async function submitMagic(): Promise<void> {
  const remember = byId<HTMLInputElement>("magic-remember").checked;
  errors.magic.clear();
  try {
    await busy("magic-submit", async () => finish(await post<SignInAnswer>("/auth/magic-link/consume", { token: magicToken, remember }), remember));
    magicToken = "";
  } catch (e) {
    errors.magic.set(e);
  }
}

// --- the second step ---

function showMfa(ticket: string, remember: boolean, methods: string[] = []): void {
  mfa = { ticket, remember, backup: false };
  showPanel("mfa");
  errors.mfa.clear();
  byId<HTMLInputElement>("mfa-code").value = "";
  byId<HTMLInputElement>("mfa-backup").value = "";
  show(byId("mfa-switch"), methods.length === 0 || methods.includes("backup_code"));
  setBackup(false);
}

function setBackup(backup: boolean): void {
  mfa.backup = backup;
  show(byId("mfa-code-field"), !backup);
  show(byId("mfa-backup-field"), backup);
  byId("mfa-switch").textContent = backup ? "Use the code from the app instead" : "Use a backup code instead";
  errors.mfa.clear();
  byId(backup ? "mfa-backup" : "mfa-code").focus();
}

async function submitMfa(): Promise<void> {
  const field = mfa.backup ? "mfa-backup" : "mfa-code";
  const value = byId<HTMLInputElement>(field).value.trim();
  if (!value) {
    errors.mfa.set(mfa.backup ? "Enter one of your backup codes." : "Enter the code your app shows.");
    return;
  }
  const body: Record<string, unknown> = { mfa_ticket: mfa.ticket, remember: mfa.remember };
  body[mfa.backup ? "backup_code" : "code"] = value;
  errors.mfa.clear();
  try {
    await busy("mfa-submit", async () => finish(await post<SignInAnswer>("/auth/mfa/verify", body), mfa.remember));
  } catch (e) {
    if (e instanceof ApiError && e.code === "invalid_token") showLogin("The sign-in took too long or was already used; sign in again.");
    else errors.mfa.set(e);
  }
}

// --- forgot password ---

function showForgot(): void {
  showPanel("forgot");
  errors.forgot.clear();
  setText("forgot-status", "");
  show(byId("forgot-step2"), false);
  const request = byId("forgot-request");
  request.textContent = "Email me a code";
  request.classList.remove("ghost");
  const email = byId<HTMLInputElement>("forgot-email");
  email.value = byId<HTMLInputElement>("login-email").value.trim();
  email.focus();
}

async function requestReset(): Promise<void> {
  const email = byId<HTMLInputElement>("forgot-email").value.trim();
  errors.forgot.clear();
  if (!email) {
    errors.forgot.set("Enter your email.");
    return;
  }
  try {
    await busy("forgot-request", () => post("/auth/password/forgot", { email }));
    setText("forgot-status", `If ${email} has an account, a code is on its way. Enter it below.`);
    show(byId("forgot-step2"), true);
    const again = byId("forgot-request");
    again.textContent = "Send another code";
    again.classList.add("ghost");
    byId("forgot-code").focus();
  } catch (e) {
    errors.forgot.set(e);
  }
}

async function submitReset(): Promise<void> {
  const email = byId<HTMLInputElement>("forgot-email").value.trim();
  const code = byId<HTMLInputElement>("forgot-code");
  const password = byId<HTMLInputElement>("forgot-password");
  errors.forgot.clear();
  try {
    await busy("forgot-submit", () => post("/auth/password/reset", { email, code: code.value.trim(), new_password: password.value }));
    code.value = password.value = "";
    byId<HTMLInputElement>("login-email").value = email;
    showLogin("");
    setText("login-status", "Your password is changed and every session was signed out. Sign in with the new password.");
  } catch (e) {
    errors.forgot.set(e);
  }
}

// --- invitation ---

async function submitInvite(): Promise<void> {
  const name = byId<HTMLInputElement>("invite-name");
  const password = byId<HTMLInputElement>("invite-password");
  errors.invite.clear();
  try {
    await busy("invite-submit", async () => {
      const answer = await post<SignInAnswer>("/invitations/accept", { token: inviteToken, name: name.value.trim(), password: password.value });
      inviteToken = "";
      password.value = "";
      if (needsMfa(answer) || "access_token" in answer) return finish(answer, false);
      showLogin(""); // created, but no session in the answer: sign in
      setText("login-status", "Your account is ready; sign in with your email and the new password.");
    });
  } catch (e) {
    errors.invite.set(e);
  }
}
