package webhook

import (
	"math/rand/v2"
	"time"
)

// Backoff schedule: 30 s after the first failure, doubling, capped at
// 4 h, each wait jittered by ±20 %. With DefaultMaxAttempts (15) the
// last attempt comes about 24 h after the first.
const (
	backoffBase = 30 * time.Second
	backoffCap  = 4 * time.Hour
)

// Backoff returns the wait after failed attempt n (1-based).
func Backoff(n int) time.Duration {
	return jitter(backoffWait(n))
}

// backoffWait is the unjittered wait after failed attempt n.
func backoffWait(n int) time.Duration {
	w := backoffBase
	for i := 1; i < n && w < backoffCap; i++ {
		w *= 2
	}
	return min(w, backoffCap)
}

// jitter spreads w uniformly over [0.8w, 1.2w).
func jitter(w time.Duration) time.Duration {
	return time.Duration(float64(w) * (0.8 + 0.4*rand.Float64()))
}
