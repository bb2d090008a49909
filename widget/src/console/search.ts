// Message search: every query word matches the start of a word (the
// server's rule); the matched prefixes are highlighted with <mark> elements
// built as DOM nodes. An empty query shows a hint and sends nothing.

import { Message, call, query } from "./api";
import { byId, el, formatTime, replace } from "./dom";
import { FormError, setText } from "./forms";
import { highlight, queryWords } from "./highlight";
import { agentName, state, visitorName } from "./state";

const HINT = "Type one or more words: messages with words starting with each of them are found (“ord” finds “order”).";

let open: (id: string) => void = () => {};
let error: FormError;
let asked = 0; // answers to older queries are dropped

/** Wires the search form; pick is called when a result is picked. */
export function initSearch(pick: (id: string) => void): void {
  open = pick;
  const form = byId("search-form");
  error = new FormError(form, byId("search-error"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void search();
  });
  byId("search-input").addEventListener("input", () => {
    if (byId<HTMLInputElement>("search-input").value.trim() === "") resetSearch();
  });
  resetSearch();
}

/** Shows the empty state: the hint, no results. */
function resetSearch(): void {
  asked++;
  setText("search-status", HINT);
  replace(byId("search-results"));
}

async function search(): Promise<void> {
  const q = byId<HTMLInputElement>("search-input").value.trim();
  const words = queryWords(q);
  if (words.length === 0) {
    resetSearch();
    if (q) error.set("Search for words made of letters or digits.");
    return;
  }
  const mine = ++asked;
  setText("search-status", "Searching…");
  try {
    const r = await call<{ messages: Message[] }>("GET", "/messages/search" + query({ q, limit: 50 }));
    if (mine !== asked) return;
    const n = r.messages.length;
    setText("search-status", n === 0 ? `No message matches “${q}”.` : n === 1 ? `1 message matches “${q}”.` : `${n} messages match “${q}”.`);
    replace(byId("search-results"), ...r.messages.map((m) => result(m, words)));
  } catch (e) {
    if (mine !== asked) return;
    setText("search-status", "");
    replace(byId("search-results"));
    error.set(e);
  }
}

function result(m: Message, words: string[]): HTMLLIElement {
  const c = state.conversations.get(m.conversation_id);
  const who = m.sender_kind === "visitor" ? (c ? visitorName(c.visitor_id) : "Visitor") : m.sender_kind === "agent" ? agentName(m.sender_id) : "System";
  const text = el("div", { class: "text", "data-testid": "search-result-text" });
  for (const s of highlight(m.text, words)) text.appendChild(s.mark ? el("mark", {}, s.text) : document.createTextNode(s.text));
  const li = el(
    "li",
    { class: "result", "data-conversation-id": m.conversation_id, "data-seq": String(m.seq), "data-testid": "search-result", tabindex: "0", role: "button" },
    el("span", { class: "author" }, who),
    el("span", { class: "time" }, formatTime(m.created_at)),
    text,
  );
  li.addEventListener("click", () => open(m.conversation_id));
  li.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      open(m.conversation_id);
    }
  });
  return li;
}
