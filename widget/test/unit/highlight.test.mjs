// Unit tests of search highlighting (src/console/highlight.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { highlight, queryWords } from "../../src/console/highlight.ts";

const marks = (text, q) => highlight(text, queryWords(q)).map((s) => (s.mark ? `[${s.text}]` : s.text)).join("");

test("query words: lower-cased, punctuation dropped, no repeats", () => {
  assert.deepEqual(queryWords("  Ref, ORD ref! "), ["ref", "ord"]);
  assert.deepEqual(queryWords("   "), []);
  assert.deepEqual(queryWords("<b>"), ["b"]);
});

test("matched word prefixes are marked, case kept", () => {
  assert.equal(marks("Your Order 12 was refunded", "ord ref"), "Your [Ord]er 12 was [ref]unded");
  assert.equal(marks("reorder", "ord"), "reorder", "only prefixes of words");
  assert.equal(marks("order ordinal", "ord or"), "[ord]er [ord]inal", "the longest word wins");
  assert.equal(marks("no match here", "xyz"), "no match here");
});

test("segments cover the text exactly, markup stays text", () => {
  const text = '<img src=x onerror="alert(1)"> Ça coûte 12€';
  const segs = highlight(text, queryWords("img ça"));
  assert.equal(segs.map((s) => s.text).join(""), text);
  assert.equal(marks(text, "img ça"), '<[img] src=x onerror="alert(1)"> [Ça] coûte 12€');
});

test("case folding that changes length does not misalign", () => {
  const text = "İstanbul istanbul";
  assert.equal(highlight(text, queryWords("ist")).map((s) => s.text).join(""), text);
  assert.equal(marks("straße STRASSE", "stra"), "[stra]ße [STRA]SSE");
});
