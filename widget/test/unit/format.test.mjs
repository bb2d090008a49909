// Unit tests of the composer's length rules and message times (src/frame/format.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { COUNTER_FROM, MAX_CHARS, charCount, counterText, timeLabel, tooLong } from "../../src/frame/format.ts";

test("characters are counted as the hub counts them: code points", () => {
  assert.equal(charCount("abc"), 3);
  assert.equal(charCount("😀😀"), 2); // 4 UTF-16 units
  assert.equal(charCount("é"), 1);
});

test("the counter appears from 3,500 characters", () => {
  assert.equal(COUNTER_FROM, 3500);
  assert.equal(counterText(0), "");
  assert.equal(counterText(3499), "");
  assert.equal(counterText(3500), "3,500 / 4,000");
  assert.equal(counterText(3612), "3,612 / 4,000");
  assert.equal(counterText(4321), "4,321 / 4,000");
});

test("only a message over 4,000 characters is refused, with the reason", () => {
  assert.equal(MAX_CHARS, 4000);
  assert.equal(tooLong(4000), "");
  assert.equal(tooLong(4001), "This message is 4,001 characters long; the limit is 4,000. Please shorten it.");
});

test("times show the time of day today, and the date before", () => {
  const now = new Date(2026, 2, 10, 18, 0);
  assert.equal(timeLabel(new Date(2026, 2, 10, 9, 5), now, "en-GB"), "9:05");
  // ICU versions differ in the space before PM (U+0020 or U+202F).
  assert.equal(timeLabel(new Date(2026, 2, 10, 14, 30), now, "en-US").replace(/\s/gu, " "), "2:30 PM");
  assert.equal(timeLabel(new Date(2026, 2, 9, 23, 59), now, "en-GB"), "9 Mar, 23:59");
  assert.equal(timeLabel(new Date(2025, 11, 31, 8, 0), now, "en-GB"), "31 Dec 2025, 8:00");
  assert.equal(timeLabel(new Date("not a date"), now, "en-GB"), "");
});
