// The Webhooks page (owners and admins): the organisation's endpoints (URL,
// events, enabled or disabled with the reason, consecutive failures), the
// form adding one (its signing secret is shown once, in the once dialog),
// and per endpoint: send a test event, rotate the secret (the old one keeps
// signing for 24 hours), disable or re-enable, delete (two clicks), and the
// delivery log (status, attempts, last answer, latency, time) with
// redeliver, a page at a time.

import { call, query } from "./api";
import { byId, el, formatTime, label, replace, show } from "./dom";
import { FormError, confirmClick, errorText, setText } from "./forms";
import { showOnce } from "./oncedialog";
import { isManager } from "./state";

/** An endpoint as GET /webhooks describes it (never the secret). */
export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description?: string;
  enabled: boolean;
  disabled_reason?: string | null;
  consecutive_failures?: number;
  created_at: string;
}

/** One delivery of an event to an endpoint. */
export interface Delivery {
  id: string;
  event: string;
  status: "pending" | "delivered" | "failed" | "dead";
  attempts: number;
  last_status_code?: number | null;
  last_latency_ms?: number | null;
  last_error?: string | null;
  next_attempt_at?: string | null;
  created_at: string;
  delivered_at?: string | null;
}

/** The events an endpoint can subscribe to (contract section 6). */
export const events: [string, string][] = [
  ["conversation.created", "a visitor started a conversation"],
  ["conversation.assigned", "a conversation was claimed or transferred"],
  ["conversation.closed", "a conversation was closed"],
  ["message.created", "a visitor or an agent wrote a message"],
  ["visitor.created", "a new visitor started a session"],
  ["visitor.updated", "a visitor's details changed"],
  ["visitor.erased", "a visitor was erased"],
  ["agent.invited", "someone was invited to the team"],
  ["agent.deactivated", "an agent was deactivated"],
];

const PAGE = 20;
const reasons: Record<string, string> = {
  consecutive_failures: "after 100 failed deliveries in a row",
  gone: "the endpoint answered 410 Gone",
  manual: "by an owner or admin",
};

let createError: FormError;
let logOf: Webhook | null = null; // whose deliveries the panel shows
let cursor = "";
let asked = 0;

/** Wires the new-endpoint form and the deliveries panel. */
export function initWebhooks(): void {
  const form = byId("webhook-form");
  replace(byId("webhook-event-list"), ...events.map(([e, what]) => eventBox(e, what)));
  createError = new FormError(form, byId("webhook-form-error"), {
    url: byId("webhook-url"),
    event: byId("webhook-event-list"),
    description: byId("webhook-description"),
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void create();
  });
  byId("webhook-deliveries-close").addEventListener("click", () => closeLog());
  byId("webhook-deliveries-more").addEventListener("click", () => void loadLog(true));
}

function eventBox(event: string, what: string): HTMLElement {
  const id = "webhook-event-" + event.replace(".", "-");
  return el(
    "li",
    {},
    el("input", { type: "checkbox", id, value: event, "data-testid": "webhook-event", "aria-describedby": id + "-what" }),
    el("label", { for: id }, el("code", {}, event)),
    el("span", { id: id + "-what", class: "muted" }, what),
  );
}

/** Reloads and renders the page (never touching the forms' errors). */
export async function showWebhooks(): Promise<void> {
  const manager = isManager();
  show(byId("webhook-denied"), !manager);
  show(byId("webhook-manage"), manager);
  if (!manager) return;
  let list: Webhook[];
  try {
    list = (await call<{ webhooks: Webhook[] }>("GET", "/webhooks")).webhooks ?? [];
    setText("webhook-error", "");
  } catch (e) {
    setText("webhook-error", errorText(e));
    return;
  }
  replace(byId("webhook-list"), ...list.map(endpointCard));
  show(byId("webhook-empty"), list.length === 0);
  if (logOf) {
    const now = list.find((w) => w.id === logOf?.id);
    if (now) logOf = now;
    else closeLog();
  }
}

function stateLine(w: Webhook): HTMLElement {
  const failures = w.consecutive_failures ?? 0;
  const p = el("p", { class: "state-line", "data-testid": "webhook-state", "data-enabled": String(w.enabled) });
  if (w.enabled) p.append(el("span", { class: "tag ok" }, "enabled"));
  else {
    const reason = w.disabled_reason ? "Disabled " + (reasons[w.disabled_reason] || "(" + w.disabled_reason + ")") + "." : "Disabled.";
    p.append(el("span", { class: "tag bad" }, "disabled"), el("span", { class: "error-text", "data-testid": "webhook-disabled-reason" }, reason));
  }
  const count = failures === 0 ? "no failed delivery" : failures === 1 ? "1 failed delivery in a row" : `${failures} failed deliveries in a row`;
  const hide = !w.enabled && w.disabled_reason === "consecutive_failures"; // the reason says it
  p.append(el("span", { class: failures ? "warn-text" : "muted", "data-testid": "webhook-failures", hidden: hide }, count));
  return p;
}

function endpointCard(w: Webhook): HTMLElement {
  // Every button names its endpoint for screen readers ("Delete https://…").
  const button = (testid: string, cls: string, text: string): HTMLButtonElement =>
    el("button", { type: "button", class: cls, "data-testid": testid, "aria-label": `${text} ${w.url}` }, text);
  const test = button("webhook-test", "ghost small", "Send test event");
  test.addEventListener("click", () => void sendTest(w, test));
  const log = button("webhook-log", "ghost small", "Deliveries");
  log.addEventListener("click", () => void openLog(w));
  const rot = button("webhook-rotate", "ghost small", "Rotate secret");
  confirmClick(rot, "Really rotate? (old secret: 24 h more)", () => void rotateSecret(w, rot));
  const toggle = w.enabled ? button("webhook-disable", "ghost small", "Disable") : button("webhook-enable", "small", "Re-enable");
  toggle.addEventListener("click", () => void setEnabled(w, !w.enabled, toggle));
  const del = button("webhook-delete", "danger small", "Delete");
  confirmClick(del, "Really delete?", () => void remove(w, del));
  return el(
    "section",
    { class: "card endpoint", "data-testid": "webhook-card", "data-webhook-id": w.id, "data-enabled": String(w.enabled) },
    el("h3", { class: "mono url" }, w.url),
    w.description ? el("p", { class: "muted" }, w.description) : null,
    stateLine(w),
    el("p", { class: "events" }, ...w.events.map((e) => el("span", { class: "tag mono" }, e))),
    el("p", { class: "muted small-text" }, "Added " + formatTime(w.created_at)),
    el("div", { class: "row-actions" }, log, test, rot, toggle, del),
  );
}

// --- create ---

async function create(): Promise<void> {
  const url = byId<HTMLInputElement>("webhook-url");
  const description = byId<HTMLInputElement>("webhook-description");
  const chosen = [...byId("webhook-event-list").querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
  if (!/^https?:\/\/\S+$/i.test(url.value.trim())) return createError.set("The URL must start with https:// (or http://).");
  if (chosen.length === 0) return createError.set("Choose at least one event.");
  const body: Record<string, unknown> = { url: url.value.trim(), events: chosen };
  if (description.value.trim()) body.description = description.value.trim();
  const button = byId<HTMLButtonElement>("webhook-submit");
  button.disabled = true;
  setText("webhook-status", "");
  try {
    const w = await call<Webhook & { secret: string }>("POST", "/webhooks", body);
    createError.clear();
    url.value = description.value = "";
    for (const box of byId("webhook-event-list").querySelectorAll<HTMLInputElement>("input")) box.checked = false;
    reveal(w.secret, `Added ${w.url}.`);
  } catch (e) {
    createError.set(e);
  } finally {
    button.disabled = false;
  }
  await showWebhooks();
}

function reveal(secret: string, title: string): void {
  showOnce({
    title,
    label: "Signing secret",
    hint: "Your receiver checks X-Helpr-Signature with it (HMAC-SHA-256, see docs/webhooks.md). Store it with your server's secrets.",
    secret,
  });
}

// --- endpoint actions ---

async function act(button: HTMLButtonElement, run: () => Promise<string>): Promise<void> {
  button.disabled = true;
  setText("webhook-error", "");
  setText("webhook-status", "");
  try {
    setText("webhook-status", await run());
  } catch (e) {
    setText("webhook-error", errorText(e));
  }
  await showWebhooks();
  if (logOf) await loadLog(false);
}

const path = (w: Webhook, rest = ""): string => "/webhooks/" + encodeURIComponent(w.id) + rest;

function sendTest(w: Webhook, b: HTMLButtonElement): Promise<void> {
  return act(b, async () => {
    await call<Delivery>("POST", path(w, "/test"), {});
    return `A webhook.test event is on its way to ${w.url}.`;
  });
}

function rotateSecret(w: Webhook, b: HTMLButtonElement): Promise<void> {
  return act(b, async () => {
    const r = await call<{ id: string; secret: string }>("POST", path(w, "/rotate-secret"), { overlap_seconds: 86400 });
    reveal(r.secret, `New signing secret for ${w.url}.`);
    return "Secret rotated: for 24 hours deliveries carry both signatures.";
  });
}

function setEnabled(w: Webhook, enabled: boolean, b: HTMLButtonElement): Promise<void> {
  return act(b, async () => {
    await call<Webhook>("PATCH", path(w), { enabled });
    return enabled ? `Re-enabled ${w.url}; its failure count starts over.` : `Disabled ${w.url}: nothing is sent to it.`;
  });
}

function remove(w: Webhook, b: HTMLButtonElement): Promise<void> {
  return act(b, async () => {
    await call("DELETE", path(w));
    if (logOf?.id === w.id) closeLog();
    return `Deleted ${w.url}.`;
  });
}

// --- the delivery log ---

async function openLog(w: Webhook): Promise<void> {
  logOf = w;
  byId("webhook-deliveries-title").textContent = "Deliveries to " + w.url;
  show(byId("webhook-deliveries"), true);
  await loadLog(false);
  byId("webhook-deliveries-title").focus();
}

function closeLog(): void {
  logOf = null;
  show(byId("webhook-deliveries"), false);
}

async function loadLog(more: boolean): Promise<void> {
  const w = logOf;
  if (!w) return;
  const n = ++asked;
  try {
    const r = await call<{ deliveries: Delivery[]; next_cursor?: string | null }>(
      "GET",
      path(w, "/deliveries") + query({ limit: PAGE, cursor: more ? cursor : undefined }),
    );
    if (n !== asked) return;
    setText("webhook-deliveries-error", "");
    const rows = (r.deliveries ?? []).map(deliveryRow);
    const list = byId("webhook-delivery-list");
    if (more) list.append(...rows);
    else replace(list, ...rows);
    cursor = r.next_cursor || "";
    show(byId("webhook-deliveries-more"), cursor !== "");
    show(byId("webhook-deliveries-empty"), list.childElementCount === 0);
    show(byId("webhook-delivery-table"), list.childElementCount > 0);
  } catch (e) {
    if (n === asked) setText("webhook-deliveries-error", errorText(e));
  }
}

const statusClass: Record<Delivery["status"], string> = { delivered: "tag ok", pending: "tag", failed: "tag warn", dead: "tag bad" };

function deliveryRow(d: Delivery): HTMLTableRowElement {
  const again = el("button", { type: "button", class: "ghost small", "data-testid": "delivery-redeliver" }, "Redeliver");
  again.addEventListener("click", () => void redeliver(d, again));
  let note = d.last_error || "";
  if (d.status === "pending" || d.status === "failed") {
    if (d.next_attempt_at) note = (note ? note + " · " : "") + "next try " + formatTime(d.next_attempt_at);
  }
  return el(
    "tr",
    { "data-testid": "delivery-row", "data-delivery-id": d.id, "data-status": d.status, "data-event": d.event },
    label(el("td", { class: "nowrap" }, formatTime(d.created_at)), "Time"),
    label(el("td", { class: "mono nowrap" }, d.event), "Event"),
    label(el("td", {}, el("span", { class: statusClass[d.status] || "tag" }, d.status)), "Status"),
    label(el("td", {}, String(d.attempts)), "Attempts"),
    label(el("td", { class: "mono" }, d.last_status_code ? String(d.last_status_code) : "—"), "Answer"),
    label(el("td", { class: "nowrap" }, d.last_latency_ms != null ? `${d.last_latency_ms} ms` : "—"), "Latency"),
    label(el("td", { class: "detail" }, note), "Detail"),
    el("td", {}, again),
  );
}

async function redeliver(d: Delivery, b: HTMLButtonElement): Promise<void> {
  b.disabled = true;
  setText("webhook-deliveries-error", "");
  try {
    await call<Delivery>("POST", "/webhooks/deliveries/" + encodeURIComponent(d.id) + "/redeliver", {});
    setText("webhook-status", `The ${d.event} delivery is queued again.`);
  } catch (e) {
    setText("webhook-deliveries-error", errorText(e));
    b.disabled = false;
    return;
  }
  await loadLog(false);
}
