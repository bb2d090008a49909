// The Audit page (owners and admins): the organisation's security events,
// newest first, filtered by action, actor and a start time, a page at a time
// ("Load more" follows next_cursor). Every value is rendered as text.

import { call, query } from "./api";
import { byId, el, formatTime, replace, show } from "./dom";
import { FormError } from "./forms";
import { agentName, loadAgents, state } from "./state";

/** An audit event as GET /audit describes it. */
interface AuditEvent {
  id: string;
  action: string;
  outcome: string;
  actor_kind: string;
  actor_id: string;
  actor_name?: string;
  target_id: string;
  ip: string;
  device: string;
  user_agent?: string;
  detail: string;
  created_at: string;
}

// The actions the filter suggests (the contract's names; any text works).
const actions = [
  "auth.login", "auth.login_failed", "auth.mfa_failed", "auth.totp_enabled", "auth.totp_disabled", "auth.backup_codes_regenerated",
  "auth.backup_code_used", "auth.passkey_added", "auth.passkey_renamed", "auth.passkey_deleted", "auth.passkey_failed",
  "auth.magic_link_sent", "auth.magic_link_failed", "auth.password_reset_requested", "auth.password_reset",
  "auth.password_reset_failed", "auth.password_changed", "auth.new_ip", "session.revoked", "session.revoked_others",
  "invitation.created", "invitation.revoked", "invitation.accepted", "agent.created", "agent.role_changed", "agent.deactivated",
  "agent.erased", "auth.logout", "auth.refresh_reused", "widget.created", "widget.updated", "visitor.erased", "visitor.exported",
  "api_key.created", "api_key.rotated", "api_key.revoked", "api_key.updated", "widget.key_rotated",
  "webhook.created", "webhook.updated", "webhook.deleted", "webhook.secret_rotated", "webhook.disabled", "webhook.enabled",
];

const PAGE = 50;
let error: FormError;
let cursor = "";
let asked = 0; // answers to an older filter are dropped

/** Wires the filter form and "Load more". */
export function initAudit(): void {
  const form = byId("audit-form");
  error = new FormError(form, byId("audit-error"), { action: byId("audit-action"), actor: byId("audit-actor"), since: byId("audit-since") });
  replace(byId("audit-actions"), ...actions.map((a) => el("option", { value: a })));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void load(false);
  });
  byId("audit-more").addEventListener("click", () => void load(true));
}

/** Renders the Audit page from the first page of the current filter. */
export async function showAudit(): Promise<void> {
  try {
    await loadAgents();
  } catch {
    // the actor filter then lists only "anyone"; the events still load
  }
  const sel = byId<HTMLSelectElement>("audit-actor");
  const keep = sel.value;
  replace(sel, el("option", { value: "" }, "anyone"), ...[...state.agents.values()].map((a) => el("option", { value: a.id }, a.name)));
  sel.value = state.agents.has(keep) ? keep : "";
  await load(false);
}

function filters(): Record<string, string | number | undefined> {
  const action = byId<HTMLInputElement>("audit-action").value.trim();
  const actor = byId<HTMLSelectElement>("audit-actor").value;
  const since = byId<HTMLInputElement>("audit-since").value;
  const t = since ? new Date(since) : null;
  return {
    action: action || undefined,
    actor: actor || undefined,
    since: t && !Number.isNaN(t.getTime()) ? t.toISOString() : undefined,
    limit: PAGE,
  };
}

async function load(more: boolean): Promise<void> {
  const n = ++asked;
  const params = filters();
  if (more) params.cursor = cursor;
  const button = byId<HTMLButtonElement>(more ? "audit-more" : "audit-submit");
  button.disabled = true;
  try {
    const r = await call<{ events: AuditEvent[]; next_cursor?: string | null }>("GET", "/audit" + query(params));
    if (n !== asked) return;
    error.clear();
    const rows = (r.events ?? []).map(eventRow);
    const list = byId("audit-list");
    if (more) list.append(...rows);
    else replace(list, ...rows);
    cursor = r.next_cursor || "";
    show(byId("audit-more"), cursor !== "");
    show(byId("audit-empty"), list.childElementCount === 0);
  } catch (e) {
    if (n === asked) error.set(e);
  } finally {
    button.disabled = false;
  }
}

function actor(e: AuditEvent): string {
  if (e.actor_name) return e.actor_name;
  if (e.actor_kind === "agent" && e.actor_id) return agentName(e.actor_id);
  return e.actor_kind ? `${e.actor_kind}${e.actor_id ? " " + e.actor_id.slice(-6) : ""}` : "—";
}

function eventRow(e: AuditEvent): HTMLTableRowElement {
  const failed = e.outcome === "failure";
  return el(
    "tr",
    { "data-testid": "audit-row", "data-event-id": e.id, "data-action": e.action, "data-outcome": e.outcome, class: failed ? "failed" : undefined },
    el("td", { class: "nowrap" }, formatTime(e.created_at)),
    el("td", { class: "mono nowrap" }, e.action),
    el("td", {}, el("span", { class: failed ? "tag bad" : "tag" }, e.outcome || "success")),
    el("td", {}, actor(e)),
    el("td", { class: "mono id" }, e.target_id || ""),
    el("td", { class: "mono nowrap" }, e.ip || ""),
    el("td", { title: e.user_agent || undefined }, e.device || ""),
    el("td", { class: "detail" }, e.detail || ""),
  );
}
