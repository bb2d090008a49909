package security

import (
	"context"
	"errors"
	"testing"
	"time"
)

// failing is a shared window that cannot decide.
type failing struct{ calls int }

func (f *failing) Allow(context.Context, string) (bool, time.Duration, error) {
	f.calls++
	return false, 0, errors.New("redis down")
}

// A failing shared window is replaced by the local one, with the same
// numbers, and the fallback is reported at most once a minute.
func TestFallbackWindowFailsOpenToThisNode(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	shared := &failing{}
	warned := 0
	f := NewFallbackWindow(shared, NewSlidingWindow(2, time.Minute, clock), time.Second, clock, func(error) { warned++ })
	for i, want := range []bool{true, true, false} {
		if ok, _ := f.Allow(context.Background(), "k"); ok != want {
			t.Fatalf("event %d: allowed %v, want %v", i+1, ok, want)
		}
	}
	if shared.calls != 3 || warned != 1 {
		t.Fatalf("shared asked %d times, warned %d times; want 3 and 1", shared.calls, warned)
	}
	now = now.Add(FallbackWarnEvery)
	f.Allow(context.Background(), "other")
	if warned != 2 {
		t.Fatalf("warned %d times after a minute, want 2", warned)
	}
	if ok, _ := NewFallbackWindow(nil, NewSlidingWindow(1, time.Minute, clock), time.Second, clock, nil).Allow(context.Background(), "k"); !ok {
		t.Fatal("local only: first event refused")
	}
}
