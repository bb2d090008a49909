// The Visitors page's list of every visitor of the organisation (GET
// /visitors without an email: newest first, a page at a time), beside the
// identified users (customers.ts): name, email, phone, when they first came
// and were last seen. Erased visitors show as erased; every value is text.

import { Visitor, call, query } from "./api";
import { byId, el, formatTime, replace, show } from "./dom";
import { errorText, setText } from "./forms";

const PAGE = 50;
let cursor = "";
let asked = 0;

/** Wires "Load more". */
export function initVisitorList(): void {
  byId("visitor-more").addEventListener("click", () => void load(true));
}

/** Renders the list from its first page. */
export function showVisitorList(): Promise<void> {
  return load(false);
}

async function load(more: boolean): Promise<void> {
  const n = ++asked;
  const button = byId<HTMLButtonElement>("visitor-more");
  button.disabled = true;
  try {
    const r = await call<{ visitors?: Visitor[]; next_cursor?: string | null }>(
      "GET",
      "/visitors" + query({ limit: PAGE, cursor: more ? cursor : undefined }),
    );
    if (n !== asked) return;
    setText("visitor-list-error", "");
    const rows = (r.visitors ?? []).map(row);
    const list = byId("visitor-list");
    if (more) list.append(...rows);
    else replace(list, ...rows);
    cursor = r.next_cursor || "";
    show(byId("visitor-more"), cursor !== "");
    show(byId("visitor-empty"), list.childElementCount === 0);
    show(byId("visitor-table"), list.childElementCount > 0);
  } catch (e) {
    if (n === asked) setText("visitor-list-error", errorText(e));
  } finally {
    button.disabled = false;
  }
}

function row(v: Visitor): HTMLTableRowElement {
  const muted = (s: string) => el("span", { class: "muted" }, s);
  return el(
    "tr",
    { "data-testid": "visitor-row", "data-visitor-id": v.id, "data-deleted": v.deleted ? "true" : undefined },
    el("td", {}, v.deleted ? muted("Erased visitor") : v.name || muted("no name")),
    el("td", { class: "email" }, v.deleted ? "" : v.email || ""),
    el("td", { class: "nowrap" }, v.deleted ? "" : v.phone || ""),
    el("td", { class: "nowrap" }, formatTime(v.created_at)),
    el("td", { class: "nowrap" }, formatTime(v.last_seen_at) || muted("never")),
  );
}
