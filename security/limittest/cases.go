package limittest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var cases = []testCase{
	{"ThreePerMinuteBoundaries", testThreePerMinuteBoundaries},
	{"CountsWholeSeconds", testCountsWholeSeconds},
	{"RoundsWindowUpToSeconds", testRoundsWindowUpToSeconds},
	{"RefusalsAreNotCounted", testRefusalsAreNotCounted},
	{"KeysAreSeparate", testKeysAreSeparate},
	{"ClockSteppingBackCountsInTheNewestSecond", testClockSteppingBack},
	{"ConcurrentCallersShareTheLimitExactly", testConcurrentCallersShareTheLimit},
}

// The registration limit: 3 per minute, exact at every boundary, with
// the Retry-After of the oldest counted second.
func testThreePerMinuteBoundaries(t *testing.T, newLimiter NewLimiter) {
	c := newClock()
	ms := time.Millisecond
	runSteps(t, newLimiter(t, 3, time.Minute, c.Now), c, "reg:1.2.3.4", []step{
		{0, true, 0},
		{10 * time.Second, true, 0},
		{59*time.Second + 999*ms, true, 0},
		{59*time.Second + 999*ms, false, ms},        // 4th in the minute; second 0 leaves at t0+60s
		{60 * time.Second, true, 0},                 // it left: room for one
		{60 * time.Second, false, 10 * time.Second}, // next to leave is second 10
		{69*time.Second + 999*ms, false, ms},
		{70 * time.Second, true, 0},
		{70 * time.Second, false, 49 * time.Second}, // second 59 leaves at t0+119s
	})
}

// An event late in second 0 is counted in second 0, which leaves the
// window at t0+60s exactly.
func testCountsWholeSeconds(t *testing.T, newLimiter NewLimiter) {
	c := newClock()
	runSteps(t, newLimiter(t, 1, time.Minute, c.Now), c, "k", []step{
		{900 * time.Millisecond, true, 0},
		{59*time.Second + 999*time.Millisecond, false, time.Millisecond},
		{60 * time.Second, true, 0},
	})
}

// A window of 1.5 s counts as 2 s.
func testRoundsWindowUpToSeconds(t *testing.T, newLimiter NewLimiter) {
	c := newClock()
	runSteps(t, newLimiter(t, 1, 1500*time.Millisecond, c.Now), c, "k", []step{
		{0, true, 0}, {1999 * time.Millisecond, false, time.Millisecond}, {2 * time.Second, true, 0},
	})
}

// Refused events do not extend the window; the Retry-After counts down
// with the clock; the full limit is back once the window passed.
func testRefusalsAreNotCounted(t *testing.T, newLimiter NewLimiter) {
	c := newClock()
	l := newLimiter(t, 5, 10*time.Second, c.Now) // the login limit
	steps := make([]step, 0, 30)
	for range 5 {
		steps = append(steps, step{0, true, 0})
	}
	for i := range 20 {
		at := time.Duration(i) * 499 * time.Millisecond
		steps = append(steps, step{at, false, 10*time.Second - at})
	}
	for range 5 {
		steps = append(steps, step{10 * time.Second, true, 0})
	}
	steps = append(steps, step{10 * time.Second, false, 10 * time.Second})
	runSteps(t, l, c, "login:a@b.c", steps)
}

// Keys never share counts, whatever they look like (globs, hash tags,
// separators, a prefix of another key); limiters never share counts.
func testKeysAreSeparate(t *testing.T, newLimiter NewLimiter) {
	c := newClock()
	l, other := newLimiter(t, 1, time.Minute, c.Now), newLimiter(t, 1, time.Minute, c.Now)
	keys := []string{"ada*{x}:y\r\n@acme.test", "ada*", "ada", "", "ADA", "ada "}
	for _, k := range keys {
		runSteps(t, l, c, k, []step{{0, true, 0}})
	}
	for _, k := range keys {
		runSteps(t, l, c, k, []step{{time.Second, false, 59 * time.Second}})
		runSteps(t, other, c, k, []step{{time.Second, true, 0}})
	}
}

// A clock that steps back (or a node behind another) counts its event in
// the newest second already counted, so the event is not forgotten early.
func testClockSteppingBack(t *testing.T, newLimiter NewLimiter) {
	c := newClock()
	runSteps(t, newLimiter(t, 2, time.Minute, c.Now), c, "k", []step{
		{2 * time.Second, true, 0},
		{0, true, 0},                           // counted in second 2
		{61 * time.Second, false, time.Second}, // second 0 would have left; second 2 leaves at t0+62s
		{62 * time.Second, true, 0},
	})
}

// Concurrent callers on one key are counted exactly (run with -race).
func testConcurrentCallersShareTheLimit(t *testing.T, newLimiter NewLimiter) {
	c := newClock()
	l := newLimiter(t, 50, time.Minute, c.Now)
	var allowed, failed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				ok, _, err := l.Allow(context.Background(), "shared")
				if err != nil {
					failed.Add(1)
				}
				if ok {
					allowed.Add(1)
				}
				_, _, _ = l.Allow(context.Background(), fmt.Sprint("own-", g, "-", i)) // other keys meanwhile
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 50 || failed.Load() != 0 {
		t.Fatalf("allowed %d of 200 concurrent calls (%d errors), want exactly 50", allowed.Load(), failed.Load())
	}
}
