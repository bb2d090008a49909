// Search highlighting, apart from the DOM (unit-tested): which parts of a
// message match the query. The server matches every query word as the
// prefix of a word of the message ("ord" finds "order"); this marks the
// matched prefixes. The view turns the segments into text nodes and <mark>
// elements, never HTML.

/** A piece of a message: matched (mark) or not. */
export interface Segment {
  text: string;
  mark: boolean;
}

/** The words of a query, lower-cased, in the order given, without repeats. */
export function queryWords(q: string): string[] {
  const words = q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)];
}

/** Splits text into segments, marking the longest query-word prefix of each word. */
export function highlight(text: string, words: string[]): Segment[] {
  const out: Segment[] = [];
  const push = (t: string, mark: boolean) => {
    if (!t) return;
    const last = out[out.length - 1];
    if (last && last.mark === mark) last.text += t;
    else out.push({ text: t, mark });
  };
  const re = /[\p{L}\p{N}]+/gu;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    push(text.slice(at, m.index), false);
    const n = matchLength(m[0], words);
    push(m[0].slice(0, n), true);
    push(m[0].slice(n), false);
    at = m.index + m[0].length;
  }
  push(text.slice(at), false);
  return out;
}

// matchLength is how many UTF-16 units of word the longest matching query
// word covers (0: none), comparing lower-cased code point by code point
// (lower-casing may change a string's length).
function matchLength(word: string, words: string[]): number {
  let best = 0;
  for (const w of words) best = Math.max(best, prefixLength(word, w));
  return best;
}

function prefixLength(word: string, w: string): number {
  let units = 0;
  let seen = "";
  for (const ch of word) {
    seen += ch.toLowerCase();
    units += ch.length;
    if (seen === w) return units;
    if (!w.startsWith(seen)) return 0;
  }
  return 0;
}
