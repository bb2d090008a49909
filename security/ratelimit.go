package security

import (
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// windowShards spreads keys over independently locked shards so concurrent
// callers with different keys rarely contend and an idle-key sweep only
// pauses one shard.
const windowShards = 32

// SlidingWindow limits events per key to limit within any window, with
// second precision: each key keeps a count per second, and an event is
// allowed while the counts of the last window/1s seconds (the current one
// included) sum to less than limit. A limit of 3 per minute therefore allows
// at most 3 events in any 60 consecutive seconds. Memory per key is bounded
// by min(limit, seconds in window) entries, and keys with nothing left in
// the window are dropped. SlidingWindow is safe for concurrent use.
type SlidingWindow struct {
	limit int
	windowCounts
}

// windowCounts is the per-second counting shared by SlidingWindow (one
// limit for every key) and QuotaWindow (a limit per call): sharded keys,
// each with its nonzero per-second counts, and the idle-key sweep.
type windowCounts struct {
	secs   int64 // window length in whole seconds
	now    func() time.Time
	seed   maphash.Seed
	shards [windowShards]windowShard
}

// init readies empty counts over window (rounded up to whole seconds) on
// the clock now (nil: time.Now).
func (w *windowCounts) init(window time.Duration, now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	w.secs, w.now, w.seed = int64((window+time.Second-1)/time.Second), now, maphash.MakeSeed()
	for i := range w.shards {
		w.shards[i].keys = make(map[string]*secondCounts)
	}
}

// lock locks key's shard and returns it, with key's counts (created if
// absent) rid of the seconds that left the window ending at second sec.
// The caller unlocks sh.mu.
func (w *windowCounts) lock(key string, sec int64) (sh *windowShard, c *secondCounts) {
	sh = &w.shards[maphash.String(w.seed, key)%windowShards]
	sh.mu.Lock()
	sh.sweep(sec, w.secs)
	c = sh.keys[key]
	if c == nil {
		c = &secondCounts{}
		sh.keys[key] = c
	}
	c.expire(sec - w.secs)
	return sh, c
}

type windowShard struct {
	mu        sync.Mutex
	keys      map[string]*secondCounts
	lastSweep int64 // unix second of the last idle-key sweep
}

// secondCounts is one key's nonzero per-second counts, oldest first.
type secondCounts struct {
	q     []secondCount
	total int
}

type secondCount struct {
	sec int64
	n   int
}

// NewSlidingWindow returns a limiter allowing limit events per key within
// window (rounded up to whole seconds). now is the clock; nil means
// time.Now. It panics if limit < 1 or window < 1s: those are programming
// errors.
func NewSlidingWindow(limit int, window time.Duration, now func() time.Time) *SlidingWindow {
	if limit < 1 || window < time.Second {
		panic(fmt.Sprintf("security: NewSlidingWindow(%d, %v): need limit >= 1 and window >= 1s", limit, window))
	}
	w := &SlidingWindow{limit: limit}
	w.init(window, now)
	return w
}

// Allow records an event for key if the window has room and reports
// whether it did. When it refuses, retryAfter is how long until the oldest
// counted second leaves the window; the refused event is not counted.
func (w *SlidingWindow) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := w.now()
	sh, c := w.lock(key, now.Unix())
	defer sh.mu.Unlock()
	if c.total >= w.limit {
		return false, time.Unix(c.q[0].sec+w.secs, 0).Sub(now)
	}
	c.add(now.Unix())
	return true, 0
}

// expire drops the counts of seconds at or before cutoff.
func (c *secondCounts) expire(cutoff int64) {
	i := 0
	for i < len(c.q) && c.q[i].sec <= cutoff {
		c.total -= c.q[i].n
		i++
	}
	if i > 0 {
		c.q = append(c.q[:0], c.q[i:]...)
	}
}

func (c *secondCounts) add(sec int64) {
	c.total++
	if n := len(c.q); n > 0 && c.q[n-1].sec >= sec {
		c.q[n-1].n++ // same second (or a clock that stepped back): count it in the newest
		return
	}
	c.q = append(c.q, secondCount{sec: sec, n: 1})
}

// freeAt is the first counted second whose leaving the window brings the
// total under limit, plus the window: the second at which one more event
// fits. c must not be empty (total >= 1).
func (c *secondCounts) freeAt(limit int, secs int64) int64 {
	need := max(1, c.total-limit+1) // events that must leave
	for _, e := range c.q {
		if need -= e.n; need <= 0 {
			return e.sec + secs
		}
	}
	return c.q[len(c.q)-1].sec + secs // unreachable: need <= total
}

// sweep drops keys whose newest count has left the window, at most once
// per window length.
func (sh *windowShard) sweep(sec, secs int64) {
	if sec-sh.lastSweep < secs {
		return
	}
	sh.lastSweep = sec
	for k, c := range sh.keys {
		if len(c.q) == 0 || c.q[len(c.q)-1].sec <= sec-secs {
			delete(sh.keys, k)
		}
	}
}

// len returns the number of keys held (for tests).
func (w *windowCounts) len() int {
	n := 0
	for i := range w.shards {
		w.shards[i].mu.Lock()
		n += len(w.shards[i].keys)
		w.shards[i].mu.Unlock()
	}
	return n
}
