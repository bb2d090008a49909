// Unit tests of the close-code and status classification (src/frame/retry.ts)
// shared by the widget and the console: a store outage (close 1013, HTTP
// 503) is transient — retry and keep the session — never a sign-out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CLOSE_TRY_AGAIN, backoff, closeAction, transientStatus } from "../../src/frame/retry.ts";

test("1013 try-again-later and going-away reconnect; only 4xxx session codes stop", () => {
  assert.equal(CLOSE_TRY_AGAIN, 1013);
  for (const code of [1000, 1001, 1006, 1011, 1013, 4008, 4009, 4010]) {
    assert.equal(closeAction(code), "retry", `close ${code}`);
  }
  assert.equal(closeAction(4001), "refresh");
  assert.equal(closeAction(4003), "refresh");
  assert.equal(closeAction(4002), "signin");
  assert.equal(closeAction(4004), "forbidden");
});

test("503 unavailable and unreachable are transient; 401 and 403 are not", () => {
  for (const s of [0, 408, 429, 500, 502, 503, 504]) assert.ok(transientStatus(s), `status ${s}`);
  for (const s of [200, 400, 401, 403, 404, 409]) assert.ok(!transientStatus(s), `status ${s}`);
});

test("backoff grows to 15 s with jitter", () => {
  assert.equal(backoff(0, 1), 500);
  assert.equal(backoff(0, 0), 250);
  assert.equal(backoff(10, 1), 15000);
  assert.ok(backoff(3, 0.5) < backoff(4, 0.5));
});
