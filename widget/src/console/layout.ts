// The layout on narrow screens (phones): the top bar's secondary controls
// fold into a menu, and the inbox shows one pane at a time — the list, the
// conversation or the visitor's details — with back buttons. On wide screens
// every pane is shown and the pane choice is kept for when it narrows.
// Visibility is the data-pane attribute and CSS media queries (strict CSP).

import { byId } from "./dom";

/** A pane of the inbox on a narrow screen. */
export type Pane = "list" | "conversation" | "details";

const narrow = window.matchMedia("(max-width: 720px)");
let pane: Pane = "list";
let changed: () => void = () => {};

/** Wires the back, details and menu buttons; onChange runs when what is visible changes. */
export function initLayout(onChange: () => void): void {
  changed = onChange;
  byId("back-button").addEventListener("click", () => setPane("list"));
  byId("details-button").addEventListener("click", () => setPane("details"));
  byId("details-back").addEventListener("click", () => setPane("conversation"));
  narrow.addEventListener("change", () => changed());
  const menu = byId("menu-button");
  menu.addEventListener("click", () => setMenu(menu.getAttribute("aria-expanded") !== "true"));
  byId("topbar").addEventListener("keydown", (e) => {
    if (e.key === "Escape") setMenu(false);
  });
  setPane("list");
}

/** Shows a pane (on a narrow screen; on a wide one all are shown). */
export function setPane(p: Pane): void {
  const from = pane;
  pane = p;
  byId("inbox-view").setAttribute("data-pane", p);
  if (narrow.matches && from !== p) {
    const target = p === "conversation" ? byId("conv-title") : p === "details" ? byId("details-back") : document.querySelector<HTMLElement>("#inbox-list .selected");
    target?.focus();
  }
  changed();
}

/** Whether the open conversation's messages are on screen. */
export function messagesShown(): boolean {
  return !narrow.matches || pane === "conversation";
}

/** Opens or closes the top bar's menu (narrow screens). */
export function setMenu(open: boolean): void {
  byId("menu-button").setAttribute("aria-expanded", String(open));
  byId("topbar").classList.toggle("menu-open", open);
}
