// Unit tests of the settings poller (src/frame/poll.ts): it runs only while
// active (panel open and page visible), at once when it becomes active.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Poller } from "../../src/frame/poll.ts";

// fakeTimers records scheduled callbacks; fire runs the pending one.
function fakeTimers() {
  const t = {
    pending: null,
    set(fn, ms) { t.pending = { fn, ms }; return t.pending; },
    clear(h) { if (t.pending === h) t.pending = null; },
    async fire() { const p = t.pending; t.pending = null; p.fn(); await settle(); },
  };
  return t;
}
const settle = () => new Promise((r) => setImmediate(r));

test("runs at once when activated, then every interval, never while inactive", async () => {
  const timers = fakeTimers();
  let runs = 0;
  const p = new Poller(async () => { runs++; }, 5000, timers);
  await settle();
  assert.equal(runs, 0, "inactive: no run");
  p.set(true);
  await settle();
  assert.equal(runs, 1, "activated: runs at once");
  assert.equal(timers.pending.ms, 5000);
  await timers.fire();
  assert.equal(runs, 2);
  p.set(false);
  assert.equal(timers.pending, null, "deactivated: nothing scheduled");
  p.set(true);
  await settle();
  assert.equal(runs, 3, "re-activated: runs at once again");
});

test("repeating a state does nothing; runs never overlap", async () => {
  const timers = fakeTimers();
  let runs = 0;
  let release;
  const p = new Poller(() => { runs++; return new Promise((r) => { release = r; }); }, 5000, timers);
  p.set(true);
  p.set(true);
  assert.equal(runs, 1);
  p.set(false);
  p.set(true); // the first run is still going: no second one
  assert.equal(runs, 1);
  release();
  await settle();
  assert.ok(timers.pending, "the next run is scheduled after the first ends");
  p.set(false);
  assert.equal(timers.pending, null);
});

test("a failed run is retried at the next tick", async () => {
  const timers = fakeTimers();
  let runs = 0;
  const p = new Poller(async () => { runs++; throw new Error("offline"); }, 5000, timers);
  p.set(true);
  await settle();
  assert.ok(timers.pending);
  await timers.fire();
  assert.equal(runs, 2);
});
