// The Security page of every agent: two-step sign-in with an authenticator
// app (setup shows the QR code and the key for typing in; turning it on
// shows the 10 backup codes once, to download or copy; turning it off and
// new backup codes ask for the password again), passkeys (passkeys.ts),
// the password change and the sessions list with "Revoke" and "Sign out all
// other sessions". Backup codes live in memory only while shown.

import { call } from "./api";
import { byId, el, replace, show } from "./dom";
import { FormError, errorText, setText } from "./forms";
import { initPasskeys, showPasskeys } from "./passkeys";
import { SessionInfo, loadSessions, renderSessions } from "./sessions";
import { state } from "./state";

interface TotpStatus {
  enabled: boolean;
  backup_codes_remaining: number;
}

interface TotpSetup {
  secret: string;
  otpauth_url: string;
  qr_png: string;
}

let enableError: FormError;
let disableError: FormError;
let regenError: FormError;
let passwordError: FormError;
let codes: string[] = [];

/** Wires the Security page's forms and buttons. */
export function initSecurity(): void {
  enableError = new FormError(byId("totp-enable-form"), byId("totp-enable-error"), { code: byId("totp-code") });
  disableError = new FormError(byId("totp-disable-form"), byId("totp-disable-error"), {
    password: byId("totp-disable-password"),
    code: byId("totp-disable-code"),
  });
  regenError = new FormError(byId("backup-regen-form"), byId("backup-regen-error"), { password: byId("backup-regen-password") });
  passwordError = new FormError(byId("password-form"), byId("password-error"), { current: byId("password-current"), password: byId("password-new") });
  byId("totp-setup").addEventListener("click", () => void setupTotp());
  byId("totp-cancel").addEventListener("click", () => {
    show(byId("totp-enable-form"), false);
    void showTotp();
  });
  submit("totp-enable-form", enableTotp);
  submit("totp-disable-form", disableTotp);
  submit("backup-regen-form", regenerate);
  submit("password-form", changePassword);
  byId("backup-download").addEventListener("click", downloadCodes);
  byId("backup-copy").addEventListener("click", () => {
    void navigator.clipboard?.writeText(codesText()).then(() => setText("totp-error", ""), () => setText("totp-error", "Copying was refused; use Download."));
  });
  byId("backup-done").addEventListener("click", () => showCodes([]));
  byId("sessions-revoke-others").addEventListener("click", () => void revokeOthers());
  initPasskeys();
}

function submit(id: string, run: () => Promise<void>): void {
  byId(id).addEventListener("submit", (e) => {
    e.preventDefault();
    void run();
  });
}

/** Reloads and renders the Security page (never touching the forms' errors). */
export async function showSecurity(): Promise<void> {
  await Promise.all([showTotp(), showPasskeys(), showMySessions()]);
}

/** Forgets what the page showed (on sign-out): backup codes, the pending key. */
export function resetSecurity(): void {
  showCodes([]);
  show(byId("totp-enable-form"), false);
  byId<HTMLImageElement>("totp-qr").removeAttribute("src");
  byId("totp-secret").textContent = "";
  for (const id of ["totp-code", "totp-disable-password", "totp-disable-code", "backup-regen-password", "password-current", "password-new"]) {
    byId<HTMLInputElement>(id).value = "";
  }
}

async function busy(button: string, run: () => Promise<void>): Promise<void> {
  const b = byId<HTMLButtonElement>(button);
  b.disabled = true;
  try {
    await run();
  } finally {
    b.disabled = false;
  }
}

// --- TOTP and backup codes ---

async function showTotp(): Promise<void> {
  let st: TotpStatus;
  try {
    st = await call<TotpStatus>("GET", "/auth/totp");
  } catch (e) {
    setText("totp-error", errorText(e));
    return;
  }
  const setup = !byId("totp-enable-form").hidden;
  const p = byId("totp-state");
  p.setAttribute("data-state", st.enabled ? "on" : setup ? "setup" : "off");
  p.textContent = st.enabled
    ? "On: after your password, signing in asks for a code from your authenticator app."
    : "Off: turn it on so that a stolen password alone cannot sign in.";
  show(byId("totp-setup"), !st.enabled && !setup);
  show(byId("totp-manage"), st.enabled);
  const left = st.backup_codes_remaining;
  const remaining = byId("backup-remaining");
  remaining.textContent = `${left} backup code${left === 1 ? "" : "s"} left.` + (left < 3 ? " Make new ones soon." : "");
  remaining.className = left < 3 ? "error" : "muted";
}

async function setupTotp(): Promise<void> {
  setText("totp-error", "");
  try {
    await busy("totp-setup", async () => {
      const s = await call<TotpSetup>("POST", "/auth/totp/setup", {});
      const img = byId<HTMLImageElement>("totp-qr");
      if (s.qr_png.startsWith("data:image/png;base64,")) img.src = s.qr_png;
      else img.removeAttribute("src");
      const secret = byId("totp-secret");
      secret.textContent = s.secret.replace(/(.{4})(?=.)/g, "$1 ");
      byId<HTMLInputElement>("totp-code").value = "";
      show(byId("totp-enable-form"), true);
      show(byId("totp-setup"), false);
      byId("totp-code").focus();
    });
  } catch (e) {
    setText("totp-error", errorText(e));
  }
  await showTotp();
}

async function enableTotp(): Promise<void> {
  const code = byId<HTMLInputElement>("totp-code");
  if (!code.value.trim()) {
    enableError.set("Enter the code your app shows.");
    return;
  }
  try {
    await busy("totp-enable", async () => {
      const r = await call<{ backup_codes: string[] }>("POST", "/auth/totp/enable", { code: code.value.trim() });
      code.value = "";
      enableError.clear();
      show(byId("totp-enable-form"), false);
      byId<HTMLImageElement>("totp-qr").removeAttribute("src");
      byId("totp-secret").textContent = "";
      showCodes(r.backup_codes ?? []);
    });
  } catch (e) {
    enableError.set(e);
  }
  await showTotp();
}

async function disableTotp(): Promise<void> {
  const password = byId<HTMLInputElement>("totp-disable-password");
  const code = byId<HTMLInputElement>("totp-disable-code");
  try {
    await busy("totp-disable", async () => {
      await call("POST", "/auth/totp/disable", { password: password.value, code: code.value.trim() });
      password.value = code.value = "";
      disableError.clear();
      showCodes([]);
    });
  } catch (e) {
    disableError.set(e);
  }
  await showTotp();
}

async function regenerate(): Promise<void> {
  const password = byId<HTMLInputElement>("backup-regen-password");
  try {
    await busy("backup-regen", async () => {
      const r = await call<{ backup_codes: string[] }>("POST", "/auth/backup-codes/regenerate", { password: password.value });
      password.value = "";
      regenError.clear();
      showCodes(r.backup_codes ?? []);
    });
  } catch (e) {
    regenError.set(e);
  }
  await showTotp();
}

function showCodes(list: string[]): void {
  codes = list;
  replace(byId("backup-code-list"), ...list.map((c) => el("li", { "data-testid": "backup-code" }, c)));
  show(byId("backup-codes"), list.length > 0);
}

function codesText(): string {
  const who = state.me ? ` for ${state.me.email}` : "";
  return `helpr backup codes${who}\nMade ${new Date().toISOString()}. Each code works once.\n\n${codes.join("\n")}\n`;
}

function downloadCodes(): void {
  const url = URL.createObjectURL(new Blob([codesText()], { type: "text/plain;charset=utf-8" }));
  const a = el("a", { href: url, download: "helpr-backup-codes.txt", class: "sr-only" });
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// --- password ---

async function changePassword(): Promise<void> {
  const current = byId<HTMLInputElement>("password-current");
  const next = byId<HTMLInputElement>("password-new");
  setText("password-status", "");
  try {
    await busy("password-submit", () => call("POST", "/me/password", { current_password: current.value, new_password: next.value }));
    current.value = next.value = "";
    passwordError.clear();
    setText("password-status", "Password changed. Your other sessions were signed out.");
  } catch (e) {
    passwordError.set(e);
  }
  await showMySessions();
}

// --- sessions ---

async function showMySessions(): Promise<void> {
  let list: SessionInfo[];
  try {
    list = await loadSessions("/me/sessions");
  } catch (e) {
    setText("sessions-error", errorText(e));
    return;
  }
  renderSessions(byId("session-list"), list, (s, b) => void revoke(s, b));
  byId<HTMLButtonElement>("sessions-revoke-others").disabled = !list.some((s) => !s.current);
}

async function revoke(s: SessionInfo, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  setText("sessions-error", "");
  setText("sessions-status", "");
  try {
    await call("DELETE", "/me/sessions/" + encodeURIComponent(s.id));
    setText("sessions-status", `Signed out the session on ${s.browser || "a browser"} (${s.ip || "unknown IP"}).`);
  } catch (e) {
    setText("sessions-error", errorText(e));
  }
  await showMySessions();
}

async function revokeOthers(): Promise<void> {
  setText("sessions-error", "");
  setText("sessions-status", "");
  try {
    await busy("sessions-revoke-others", async () => {
      const r = await call<{ revoked?: number }>("POST", "/me/sessions/revoke-others", {});
      const n = r?.revoked ?? 0;
      setText("sessions-status", `Signed out ${n} other session${n === 1 ? "" : "s"}.`);
    });
  } catch (e) {
    setText("sessions-error", errorText(e));
  }
  await showMySessions();
}
