// DOM helpers. Every piece of data reaches the page as text: strings passed
// as children become text nodes and attributes are set with setAttribute, so
// nothing from the server or a visitor is ever parsed as HTML.

/** A child of el(): a node, a string (rendered as text) or nothing. */
export type Child = Node | string | null | undefined | false;

/** Creates an element with attributes and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

/** Appends children to a node; strings become text nodes. */
export function append(node: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  }
}

/** Replaces every child of a node. */
export function replace(node: Node, ...children: Child[]): void {
  while (node.firstChild) node.removeChild(node.firstChild);
  append(node, children);
}

/** Returns the element with this id, typed; throws when the page lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`console: missing #${id}`);
  return node as T;
}

/** Shows or hides an element through the hidden attribute (no inline styles: CSP). */
export function show(node: HTMLElement, visible: boolean): void {
  node.hidden = !visible;
}

/** Formats an RFC 3339 time for display, in the browser's locale. */
export function formatTime(iso: string | undefined | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const today = new Date();
  if (d.toDateString() === today.toDateString()) {
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  return d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

/** A short form of an id for display ("cnv_abcd…" → "abcd"). */
export function shortId(id: string): string {
  const i = id.indexOf("_");
  return (i >= 0 ? id.slice(i + 1) : id).slice(0, 6);
}

/** Names a table cell for the stacked layout of narrow screens (table.stacked shows it). */
export function label(td: HTMLTableCellElement, name: string): HTMLTableCellElement {
  td.setAttribute("data-label", name);
  return td;
}
