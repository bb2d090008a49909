// Unit tests of what presence changes show (src/frame/presence.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { formFor, headerStatus } from "../../src/frame/presence.ts";

test("the form follows presence until the visitor starts typing", () => {
  assert.deepEqual(formFor("", true, false), { form: "prechat", hint: false });
  assert.deepEqual(formFor("", false, false), { form: "offline", hint: false });
  assert.deepEqual(formFor("offline", true, false), { form: "prechat", hint: false });
  assert.deepEqual(formFor("prechat", false, false), { form: "offline", hint: false });
  assert.deepEqual(formFor("offline", false, true), { form: "offline", hint: false });
});

test("a started form stays, with a hint offering the other", () => {
  assert.deepEqual(formFor("offline", true, true), { form: "offline", hint: true });
  assert.deepEqual(formFor("prechat", false, true), { form: "prechat", hint: true });
});

test("the header says Online only while an agent is", () => {
  assert.equal(headerStatus(true, true), "Online");
  assert.notEqual(headerStatus(true, false), "Online");
  assert.doesNotMatch(headerStatus(false, false), /online/i);
});
