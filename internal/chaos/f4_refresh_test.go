package chaos

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// refreshCutDelays are when, after a refresh request leaves, F4 kills the
// store: before, during and after the rotation's writes.
var refreshCutDelays = []time.Duration{0, time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	8 * time.Millisecond, 10 * time.Millisecond, 12 * time.Millisecond, 15 * time.Millisecond,
	20 * time.Millisecond, 25 * time.Millisecond, 30 * time.Millisecond, 50 * time.Millisecond}

// refreshDown is how long the store stays away in each F4 rotation.
const refreshDown = 1500 * time.Millisecond

// F4: the store is killed in the middle of a refresh rotation. Afterwards
// the old refresh token still works or the new one was returned (and works):
// never both dead; and the old token never yields a second, different live
// pair (never two live).
func TestF4StoreDownMidRefresh(t *testing.T) {
	slowCase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := newCluster(t, 2)
	cur := c.tn.owner.RefreshToken
	var rotated, kept, bothDead, twoLive int
	var worst time.Duration
	graceBroken = 0
	for i, d := range refreshCutDelays {
		if ctx.Err() != nil {
			break
		}
		n := c.nodes[i%2]
		done := make(chan refreshAnswer, 1)
		go func() { tk, code, err := refresh(n.base, cur); done <- refreshAnswer{tk, code, err} }()
		time.Sleep(d)
		c.store.cut()
		time.Sleep(refreshDown)
		c.store.restore()
		back := time.Now()
		first := <-done
		next, verdict, rec := settleRefresh(c, i, cur, first, back)
		worst = max(worst, rec)
		switch verdict {
		case "rotated":
			rotated++
		case "kept":
			kept++
		case "both-dead":
			bothDead++
			t.Errorf("rotation %d (cut after %v): old and new refresh tokens both dead (first answer %d %v; the old token again: %s)", i, d, first.code, first.err, lastAgain)
		case "two-live":
			twoLive++
			t.Errorf("rotation %d (cut after %v): the old token yielded a second live pair", i, d)
		}
		if next == "" {
			break
		}
		cur = next
	}
	fmt.Printf("F4 store-down-mid-refresh rotations=%d rotated=%d old_kept=%d both_dead=%d two_live=%d grace_broken=%d recovery=%.1fs\n",
		len(refreshCutDelays), rotated, kept, bothDead, twoLive, graceBroken, worst.Seconds())
	if graceBroken > 0 {
		t.Errorf("%d interrupted rotations: the old token's retry worked once, then not again within the grace window", graceBroken)
	}
	cancel()
}

// lastAgain describes the last answer to the old token in settleRefresh
// (for the failure message; the case runs sequentially).
var lastAgain string

// graceBroken counts retries whose pair was not given again within the
// grace window (reported on the F4 line).
var graceBroken int

// refreshAnswer is one refresh call's outcome.
type refreshAnswer struct {
	tk   tokens
	code int
	err  error
}

// settleRefresh judges one interrupted rotation of old, whose first answer
// was first, with the store back since back. It returns the live refresh
// token to go on with ("" when none), the verdict, and how long after back
// a refresh succeeded.
func settleRefresh(c *cluster, i int, old string, first refreshAnswer, back time.Time) (string, string, time.Duration) {
	other := c.nodes[(i+1)%2].base
	var again refreshAnswer
	waitUntil(context.Background(), 20*time.Second, func() bool {
		tk, code, ec, err := refreshCoded(other, old)
		again = refreshAnswer{tk, code, err}
		lastAgain = fmt.Sprintf("%d %s", code, ec)
		return code != http.StatusServiceUnavailable && code != 0
	})
	if again.code == http.StatusOK { // within grace the old token gets the same pair again
		tk, code, ec, _ := refreshCoded(other, old)
		lastAgain += fmt.Sprintf(", then %d %s", code, ec)
		if code != http.StatusOK || tk.RefreshToken != again.tk.RefreshToken {
			graceBroken++
			fmt.Printf("    rotation %d: the old token's retry got a pair, presented again within grace: %d %s\n", i, code, ec)
		}
	}
	rec := time.Since(back)
	if first.code != http.StatusOK {
		if again.code != http.StatusOK {
			return "", "both-dead", rec
		}
		return again.tk.RefreshToken, "kept", rec
	}
	if again.code == http.StatusOK && again.tk.RefreshToken != first.tk.RefreshToken {
		return "", "two-live", rec
	}
	// The new token must work.
	if tk, code, _ := refresh(other, first.tk.RefreshToken); code == http.StatusOK {
		return tk.RefreshToken, "rotated", rec
	}
	if again.code == http.StatusOK {
		return again.tk.RefreshToken, "kept", rec
	}
	return "", "both-dead", rec
}
