package main

import (
	"sync"
	"time"
)

// testClock is a settable clock shared by every TTL and window of a node.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// withClock makes a node run on clk.
func withClock(clk *testClock) func(*Config) {
	return func(c *Config) { c.now = clk.Now }
}
