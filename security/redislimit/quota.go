package redislimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpr-chat/helpr/security"
)

// Quota is the cluster twin of security.QuotaWindow: a sliding window
// with second precision whose limit is given by each call (an API key's
// rpm), counted in Redis and shared by every Quota with the same prefix on
// the same Redis. Each Take is one atomic Lua script, so concurrent callers
// on any number of nodes are counted exactly, and its decisions, Remaining,
// Reset and RetryAfter are exactly security.QuotaWindow's for the same
// sequence of calls.
//
// As for Window: seconds are the caller's clock (keep nodes in step with
// NTP), keys are stored as prefix:hex(SHA-256(key)) and expire a minute
// after their window. Quota is safe for concurrent use.
type Quota struct {
	rdb    redis.Scripter
	prefix string
	secs   int64 // window length in whole seconds
	now    func() time.Time
}

// NewQuota returns a shared quota window over window (rounded up to whole
// seconds) on rdb, under keys starting with prefix (e.g.
// "helpr:rl:apikey"). now is the clock; nil means time.Now. It panics if
// rdb is nil, prefix is empty or window < 1s: those are programming errors.
func NewQuota(rdb redis.Scripter, prefix string, window time.Duration, now func() time.Time) *Quota {
	if rdb == nil || prefix == "" || window < time.Second {
		panic(fmt.Sprintf("redislimit: NewQuota(%q, %v): need a client, a prefix and window >= 1s", prefix, window))
	}
	if now == nil {
		now = time.Now
	}
	return &Quota{rdb: rdb, prefix: prefix, secs: int64((window + time.Second - 1) / time.Second), now: now}
}

// Take charges one request to key against limit and returns the decision
// (see security.Quota). A refused request is not counted.
//
// err is non-nil when limit < 1 or Redis could not be asked or answered
// nonsense: callers fail closed (the API answers 503). The error never
// contains key. A reply lost after the script ran may count one request
// twice, which errs on the strict side.
func (q *Quota) Take(ctx context.Context, key string, limit int) (security.Quota, error) {
	if limit < 1 {
		return security.Quota{}, fmt.Errorf("redislimit %s: quota limit %d: need >= 1", q.prefix, limit)
	}
	now := q.now()
	res, err := takeScript.Run(ctx, q.rdb, []string{redisKey(q.prefix, key)},
		now.Unix(), q.secs, limit, q.secs+keySlack).Int64Slice()
	if err != nil {
		return security.Quota{}, fmt.Errorf("redislimit %s: %w", q.prefix, err)
	}
	if len(res) != 3 || res[0] != 0 && res[0] != 1 || res[1] < 0 {
		return security.Quota{}, fmt.Errorf("redislimit %s: %w", q.prefix, errBadReply)
	}
	return security.QuotaDecision(res[0] == 1, limit, int(res[1]), res[2], now), nil
}
