// DOM helpers of the visitor iframe. Every visitor- or agent-supplied string
// is written with textContent, never parsed as HTML; links are built as
// elements from linkParts.
import { linkParts } from "./links";

/** $ returns the element with id, which frame.html always has. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

/** show toggles an element's hidden attribute. */
export function show(el: HTMLElement, on: boolean): void {
  el.hidden = !on;
}

/** text sets an element's text (never HTML). */
export function text(el: HTMLElement, s: string): void {
  el.textContent = s;
}

/** The rel of every link in a message: no opener, no referrer, no endorsement. */
export const LINK_REL = "noopener noreferrer nofollow ugc";

/** richText fills el with body: plain text, http(s) URLs as links opening in a new tab. */
export function richText(el: HTMLElement, body: string): void {
  el.replaceChildren();
  for (const part of linkParts(body)) {
    if (!part.href) {
      el.append(document.createTextNode(part.text));
      continue;
    }
    const a = document.createElement("a");
    a.href = part.href;
    a.target = "_blank";
    a.rel = LINK_REL;
    a.textContent = part.text;
    el.append(a);
  }
}

/** A rendered message bubble: who wrote it and when (agents), when and its state (the visitor's). */
export interface Bubble {
  li: HTMLLIElement;
  who: HTMLSpanElement;
  at: HTMLTimeElement;
  meta: HTMLSpanElement; // the visitor's delivery state: Sending…, Sent, Read, Not sent
}

/** bubble appends a message to the log in seq order and returns it. */
export function bubble(log: HTMLElement, kind: string, body: string, seq: number): Bubble {
  const li = document.createElement("li");
  li.className = "msg " + (kind === "visitor" || kind === "agent" ? kind : "system");
  li.dataset.seq = String(seq);
  const p = document.createElement("span");
  p.className = "body";
  richText(p, body);
  const line = document.createElement("span");
  line.className = "meta";
  const who = document.createElement("span");
  who.className = "by";
  const at = document.createElement("time");
  at.className = "at";
  const meta = document.createElement("span");
  meta.className = "state";
  line.append(who, at, meta);
  li.append(p, line);
  insert(log, li, seq);
  return { li, who, at, meta };
}

/** stamp shows a message's time (created_at, RFC 3339) as label. */
export function stamp(b: Bubble, createdAt: string, label: string): void {
  b.at.dateTime = createdAt;
  text(b.at, label);
}

/**
 * note adds a line about the conversation (a transfer, a close) after the
 * messages up to seq and before later ones.
 */
export function note(log: HTMLElement, msg: string, seq: number): HTMLLIElement {
  const li = document.createElement("li");
  li.className = "note";
  li.dataset.testid = "chat-note";
  li.textContent = msg;
  insert(log, li, seq + 0.5);
  return li;
}

/** greet puts the greeting first in an empty log (once). */
export function greet(log: HTMLElement, msg: string): void {
  if (log.querySelector(".greeting")) return;
  const li = document.createElement("li");
  li.className = "msg agent greeting";
  li.dataset.testid = "greeting";
  li.dataset.seq = "-1";
  li.textContent = msg;
  log.prepend(li);
}

// insert puts li (at position pos) in seq order: pending bubbles (seq 0)
// stay last; stored ones, notes and the greeting go in order.
function insert(log: HTMLElement, li: HTMLLIElement, pos: number): void {
  li.dataset.seq = String(pos);
  let before: Element | null = null;
  if (pos !== 0) {
    for (const el of Array.from(log.children)) {
      const s = Number((el as HTMLElement).dataset.seq);
      if (s === 0 || s > pos) {
        before = el;
        break;
      }
    }
  }
  log.insertBefore(li, before);
  log.scrollTop = log.scrollHeight;
}

/** place moves a bubble into its seq position once the server numbered it. */
export function place(log: HTMLElement, b: Bubble, seq: number): void {
  b.li.dataset.seq = String(seq);
  b.li.classList.remove("pending");
  for (const el of Array.from(log.children)) {
    const s = Number((el as HTMLElement).dataset.seq);
    if (el !== b.li && (s === 0 || s > seq)) {
      log.insertBefore(b.li, el);
      return;
    }
  }
  log.appendChild(b.li);
}
