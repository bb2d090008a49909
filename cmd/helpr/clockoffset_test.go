package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
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
