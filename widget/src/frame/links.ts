// Links in message text. Only explicit http(s) URLs become links; the rest
// of the text, and anything that does not parse as an http(s) URL, stays
// plain text. This module is pure (no DOM): ui.ts builds the nodes.

/** A run of message text: plain, or a link with its safe href. */
export interface Part {
  text: string;
  href?: string;
}

// A candidate: "http://" or "https://" at a word boundary and a host
// (no third slash), up to whitespace or a character that cannot be part
// of a URL pasted in prose.
const candidate = /\bhttps?:\/\/[^\s<>"'`/\\][^\s<>"'`]*/gi;
// Punctuation that ends a sentence rather than the URL.
const trailing = /[.,;:!?*_~]$/;

/**
 * linkParts splits text into plain runs and http(s) links, in order; the
 * parts' texts joined give back text exactly.
 */
export function linkParts(text: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(candidate)) {
    const raw = trimURL(m[0]);
    const href = safeHref(raw);
    const start = m.index ?? 0;
    if (!href) continue;
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length || parts.length === 0) parts.push({ text: text.slice(last) });
  return parts;
}

// trimURL drops sentence punctuation and unbalanced closing brackets from
// the end of a candidate ("(see https://a.example/x)." → "https://a.example/x").
function trimURL(s: string): string {
  for (;;) {
    if (trailing.test(s)) {
      s = s.slice(0, -1);
      continue;
    }
    const close = s.slice(-1);
    const open = close === ")" ? "(" : close === "]" ? "[" : close === "}" ? "{" : "";
    if (open && count(s, close) > count(s, open)) {
      s = s.slice(0, -1);
      continue;
    }
    return s;
  }
}

function count(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

/** safeHref returns the normalised URL when s is an http(s) URL with a host, else "". */
export function safeHref(s: string): string {
  try {
    const u = new URL(s);
    if ((u.protocol === "http:" || u.protocol === "https:") && u.hostname) return u.href;
  } catch {
    /* not a URL */
  }
  return "";
}
