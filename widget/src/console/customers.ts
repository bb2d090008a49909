// The Visitors page (with visitors.ts, the list of every visitor): the
// organisation's identified users (customer users:
// the people a customer's site signs in to the chat with a chat token from
// POST /rest/v1/auth/token), newest first, a page at a time: their own id
// on the customer's site (external id), name, email, when they were last
// seen and their token version (it grows each time their tokens are
// invalidated). Every agent may read it; every value is rendered as text.

import { call, query } from "./api";
import { byId, el, formatTime, replace, show } from "./dom";
import { errorText, setText } from "./forms";

/** A customer user as GET /customer-users describes it. */
export interface CustomerUser {
  id: string;
  external_id: string;
  name?: string;
  email?: string;
  visitor_id?: string;
  token_version: number;
  created_at: string;
  last_seen_at?: string | null;
}

const PAGE = 50;
let cursor = "";
let asked = 0;

/** Wires "Load more". */
export function initCustomers(): void {
  byId("customer-more").addEventListener("click", () => void load(true));
}

/** Renders the Visitors page from the first page. */
export function showCustomers(): Promise<void> {
  return load(false);
}

async function load(more: boolean): Promise<void> {
  const n = ++asked;
  const button = byId<HTMLButtonElement>("customer-more");
  button.disabled = true;
  try {
    const r = await call<{ customer_users?: CustomerUser[]; next_cursor?: string | null }>(
      "GET",
      "/customer-users" + query({ limit: PAGE, cursor: more ? cursor : undefined }),
    );
    if (n !== asked) return;
    setText("customer-error", "");
    const rows = (r.customer_users ?? []).map(row);
    const list = byId("customer-list");
    if (more) list.append(...rows);
    else replace(list, ...rows);
    cursor = r.next_cursor || "";
    show(byId("customer-more"), cursor !== "");
    show(byId("customer-empty"), list.childElementCount === 0);
    show(byId("customer-table"), list.childElementCount > 0);
  } catch (e) {
    if (n === asked) setText("customer-error", errorText(e));
  } finally {
    button.disabled = false;
  }
}

function row(u: CustomerUser): HTMLTableRowElement {
  return el(
    "tr",
    { "data-testid": "customer-row", "data-customer-id": u.id, "data-external-id": u.external_id },
    el("td", {}, u.name || el("span", { class: "muted" }, "no name")),
    el("td", { class: "email" }, u.email || ""),
    el("td", { class: "mono id", "data-testid": "customer-external-id" }, u.external_id),
    el("td", { class: "nowrap" }, u.last_seen_at ? formatTime(u.last_seen_at) : el("span", { class: "muted" }, "never")),
    el("td", { "data-testid": "customer-token-version" }, String(u.token_version)),
    el("td", { class: "nowrap" }, formatTime(u.created_at)),
  );
}
