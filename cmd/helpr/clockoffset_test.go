package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

// HELPR_CLOCK_OFFSET shifts the node's clock, is logged at warn, and refuses
// nonsense.
func TestClockOffset(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"", 0, false}, {"2m", 2 * time.Minute, false}, {"-90s", -90 * time.Second, false},
		{"soon", 0, true}, {"25h", 0, true}, {"-25h", 0, true},
	} {
		got, err := parseClockOffset(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parseClockOffset(%q) = %v, %v", tc.in, got, err)
		}
	}
	cfg, err := parseServeFlags(nil, func(k string) string {
		if k == clockOffsetEnv {
			return "2m"
		}
		return ""
	})
	if err != nil || cfg.clockOffset != 2*time.Minute {
		t.Fatalf("parseServeFlags: offset %v, err %v", cfg.clockOffset, err)
	}
	if _, err := parseServeFlags(nil, func(k string) string {
		if k == clockOffsetEnv {
			return "later"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), clockOffsetEnv) {
		t.Fatalf("a bad %s: err %v", clockOffsetEnv, err)
	}
	var logs bytes.Buffer
	cfg = applyClockOffset(cfg, zerolog.New(&logs))
	if d := time.Until(cfg.now()); d < 119*time.Second || d > 121*time.Second {
		t.Fatalf("clock is %v ahead, want 2m", d)
	}
	if !strings.Contains(logs.String(), `"level":"warn"`) || !strings.Contains(logs.String(), clockOffsetEnv) {
		t.Fatalf("no warning logged: %s", logs.String())
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := offsetClock(func() time.Time { return base }, -time.Minute)(); !got.Equal(base.Add(-time.Minute)) {
		t.Fatalf("offsetClock on an injected clock: %v", got)
	}
	if offsetClock(nil, 0) != nil {
		t.Fatal("a zero offset must leave the default clock")
	}
	logs.Reset()
	if applyClockOffset(Config{}, zerolog.New(&logs)); logs.Len() != 0 {
		t.Fatalf("logged without an offset: %s", logs.String())
	}
}

// The login and registration windows a cluster shares through Redis run
// on the node's clock, like every other window: a skewed (or test) clock
// moves them too.
func TestClusterLimitersUseTheNodeClock(t *testing.T) {
	ctx := context.Background()
	cl, err := joinCluster(ctx, Config{RedisURL: testsvc.NewRedis(t).URL()}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cl.close() }()
	clk := newTestClock()
	_, loginIP, _ := cl.limiters(clk.Now)
	for i := range 5 {
		if ok, _, err := loginIP.Allow(ctx, "192.0.2.1"); !ok || err != nil {
			t.Fatalf("attempt %d refused: %v", i+1, err)
		}
	}
	if ok, _, _ := loginIP.Allow(ctx, "192.0.2.1"); ok {
		t.Fatal("a sixth attempt within the window was allowed")
	}
	clk.Advance(11 * time.Second) // past the 10 s window on the node's clock
	if ok, _, err := loginIP.Allow(ctx, "192.0.2.1"); !ok || err != nil {
		t.Fatalf("refused after the window passed on the node's clock: %v", err)
	}
}
