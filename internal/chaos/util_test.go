package chaos

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// waitUntil polls cond every 50 ms for at most d; it reports whether cond
// held.
func waitUntil(ctx context.Context, d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return true
}

// itoa formats an int.
func itoa(n int) string { return strconv.Itoa(n) }

// secs formats a duration in seconds with one decimal.
func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
