// Package redislimit is a sliding-window rate limiter whose counts live in
// Redis, so that every helpr node behind a load balancer charges the same
// window: the cluster twin of security.SlidingWindow, with the same second
// precision and the same boundaries.
package redislimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// keySlack is how long a key outlives its newest counted second's window,
// so that nodes whose clocks run behind Redis's (or behind each other's)
// still find every count they consider inside the window.
const keySlack = 60

// Window limits events per key to limit within any window, with second
// precision, counted in Redis and shared by every Window with the same
// prefix on the same Redis: an event is allowed while the counts of the
// last window/1s seconds (the current one included) sum to less than
// limit. Each check is one atomic Lua script, so concurrent callers on any
// number of nodes are counted exactly.
//
// Seconds are the caller's clock (now), not Redis's, so every node must
// keep its clock in step (NTP) and tests can move time. Keys are stored as
// prefix:hex(SHA-256(key)): user input (emails, addresses) never appears in
// Redis in clear and cannot break the key's structure. A key holds one
// hash field per counted second and expires a minute after its window.
//
// Window is safe for concurrent use.
type Window struct {
	rdb    redis.Scripter
	prefix string
	limit  int
	secs   int64 // window length in whole seconds
	now    func() time.Time
}

// New returns a shared window allowing limit events per key within window
// (rounded up to whole seconds) on rdb, under keys starting with prefix
// (e.g. "helpr:rl:login"; give each limit its own). now is the clock; nil
// means time.Now. rdb is usually a *redis.Client. New panics if rdb is nil,
// prefix is empty, limit < 1 or window < 1s: those are programming errors.
func New(rdb redis.Scripter, prefix string, limit int, window time.Duration, now func() time.Time) *Window {
	if rdb == nil || prefix == "" || limit < 1 || window < time.Second {
		panic(fmt.Sprintf("redislimit: New(%q, %d, %v): need a client, a prefix, limit >= 1 and window >= 1s",
			prefix, limit, window))
	}
	if now == nil {
		now = time.Now
	}
	return &Window{rdb: rdb, prefix: prefix, limit: limit,
		secs: int64((window + time.Second - 1) / time.Second), now: now}
}

// Allow records an event for key if the window has room and reports
// whether it did. When it refuses, retryAfter is how long until the oldest
// counted second leaves the window; the refused event is not counted.
//
// err is non-nil when Redis could not be asked or answered nonsense (ok is
// then false): the caller decides whether to fail open or closed. The
// error never contains key. A Redis reply lost after the script ran (the
// connection cut, the client retrying) may count one event twice, which
// errs on the strict side.
func (w *Window) Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error) {
	now := w.now()
	res, err := allowScript.Run(ctx, w.rdb, []string{redisKey(w.prefix, key)},
		now.Unix(), w.secs, w.limit, w.secs+keySlack).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("redislimit %s: %w", w.prefix, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("redislimit %s: %w", w.prefix, errBadReply)
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, time.Unix(res[1]+w.secs, 0).Sub(now), nil
}

var errBadReply = errors.New("unexpected script reply")

// redisKey is prefix:hex(SHA-256(key)), for Window and Quota alike.
func redisKey(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + ":" + hex.EncodeToString(sum[:])
}
