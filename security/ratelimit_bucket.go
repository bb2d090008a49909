package security

import (
	"fmt"
	"time"
)

// TokenBucket limits a rate with bursts: it holds up to burst tokens,
// refills perSecond tokens per second, and each Take spends one. It is meant
// for one connection's read loop and is NOT safe for concurrent use.
type TokenBucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

// NewTokenBucket returns a full bucket. now is the clock; nil means
// time.Now. It panics if perSecond <= 0 or burst < 1: those are programming
// errors.
func NewTokenBucket(perSecond float64, burst int, now func() time.Time) *TokenBucket {
	if !(perSecond > 0) || burst < 1 {
		panic(fmt.Sprintf("security: NewTokenBucket(%v, %d): need perSecond > 0 and burst >= 1", perSecond, burst))
	}
	if now == nil {
		now = time.Now
	}
	return &TokenBucket{rate: perSecond, burst: float64(burst), tokens: float64(burst), last: now(), now: now}
}

// Take spends one token and reports whether there was one.
func (b *TokenBucket) Take() bool {
	now := b.now()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
