// DOM helpers of the visitor iframe. Every visitor- or agent-supplied string
// is written with textContent, never parsed as HTML.

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

/** A rendered message bubble. */
export interface Bubble {
  li: HTMLLIElement;
  meta: HTMLSpanElement;
}

/** bubble appends a message to the log in seq order and returns it. */
export function bubble(log: HTMLElement, kind: string, body: string, seq: number): Bubble {
  const li = document.createElement("li");
  li.className = "msg " + (kind === "visitor" || kind === "agent" ? kind : "system");
  li.dataset.seq = String(seq);
  const p = document.createElement("span");
  p.className = "body";
  p.textContent = body;
  const meta = document.createElement("span");
  meta.className = "meta";
  li.append(p, meta);
  // Pending bubbles (seq 0) stay last; stored ones go in seq order.
  let before: Element | null = null;
  if (seq > 0) {
    for (const el of Array.from(log.children)) {
      const s = Number((el as HTMLElement).dataset.seq);
      if (s === 0 || s > seq) {
        before = el;
        break;
      }
    }
  }
  log.insertBefore(li, before);
  log.scrollTop = log.scrollHeight;
  return { li, meta };
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
