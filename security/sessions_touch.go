package security

import (
	"context"
	"sync"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// SessionToucher is the optional store method Sessions uses to record
// activity (storage.SessionStore.TouchSession): a store passed as
// SessionsConfig.Store that has it gets last-activity times.
type SessionToucher interface {
	TouchSession(ctx context.Context, id string, at time.Time) error
}

const (
	// defaultTouchInterval is how often, at most, one session's activity
	// is written to the store.
	defaultTouchInterval = time.Minute
	// maxTouchesInFlight bounds concurrent activity writes; beyond it a
	// touch is skipped (and tried again on the session's next use).
	maxTouchesInFlight = 32
	// touchTimeout bounds one activity write.
	touchTimeout = 5 * time.Second
	touchShards  = 16
	// maxTouchEntries is the size past which a shard forgets sessions not
	// touched within the interval (forgetting one costs one extra write).
	maxTouchEntries = 4096
)

// activity throttles last-activity writes: at most one per session per
// interval, written off the request path by a bounded number of
// goroutines. It is safe for concurrent use.
type activity struct {
	store    SessionToucher
	interval time.Duration
	shards   [touchShards]touchShard
	slots    chan struct{}
	inflight sync.WaitGroup // for tests: writes not finished yet
}

type touchShard struct {
	mu   sync.RWMutex
	last map[string]time.Time
}

// newActivity returns the throttle, or nil (no touches) when store cannot
// touch or interval is negative.
func newActivity(store SessionStore, interval time.Duration) *activity {
	t, ok := store.(SessionToucher)
	if !ok || interval < 0 {
		return nil
	}
	if interval == 0 {
		interval = defaultTouchInterval
	}
	a := &activity{store: t, interval: interval, slots: make(chan struct{}, maxTouchesInFlight)}
	for i := range a.shards {
		a.shards[i].last = make(map[string]time.Time)
	}
	return a
}

// note records that agent session p was used at now, writing it to the
// store unless it was written within the interval. Visitor sessions are
// not tracked (nobody lists them, and they are many).
func (a *activity) note(p Principal, now time.Time) {
	if a == nil || p.Kind != storage.SubjectAgent || p.SessionID == "" {
		return
	}
	sh := &a.shards[p.SessionID[len(p.SessionID)-1]%touchShards]
	sh.mu.RLock()
	last, seen := sh.last[p.SessionID]
	sh.mu.RUnlock()
	if seen && now.Sub(last) < a.interval {
		return // the common case: a shared lock and a map read
	}
	sh.mu.Lock()
	last, seen = sh.last[p.SessionID]
	due := !seen || now.Sub(last) >= a.interval // another caller may have won
	if due {
		if len(sh.last) >= maxTouchEntries {
			sh.pruneLocked(now, a.interval)
		}
		sh.last[p.SessionID] = now
	}
	sh.mu.Unlock()
	if due {
		a.write(sh, p.SessionID, now)
	}
}

// pruneLocked forgets sessions not touched within interval (their next use
// writes again, as it would anyway), or every session if none is that old.
func (sh *touchShard) pruneLocked(now time.Time, interval time.Duration) {
	for id, t := range sh.last {
		if now.Sub(t) >= interval {
			delete(sh.last, id)
		}
	}
	if len(sh.last) >= maxTouchEntries {
		clear(sh.last)
	}
}

// write stores the activity in the background, or forgets it (so the next
// use tries again) when too many writes are in flight.
func (a *activity) write(sh *touchShard, id string, at time.Time) {
	select {
	case a.slots <- struct{}{}:
	default:
		sh.mu.Lock()
		delete(sh.last, id)
		sh.mu.Unlock()
		return
	}
	a.inflight.Add(1)
	go func() {
		defer a.inflight.Done()
		defer func() { <-a.slots }()
		ctx, cancel := context.WithTimeout(context.Background(), touchTimeout)
		defer cancel()
		// Best effort: a lost touch only makes last activity look older.
		_ = a.store.TouchSession(ctx, id, at.UTC().Truncate(time.Millisecond))
	}()
}

// wait blocks until the writes started so far are done (tests, shutdown).
func (a *activity) wait() {
	if a != nil {
		a.inflight.Wait()
	}
}

// mark records that session id was written active at now without writing
// (a session just started has LastSeenAt = CreatedAt).
func (a *activity) mark(p Principal, now time.Time) {
	if a == nil || p.Kind != storage.SubjectAgent || p.SessionID == "" {
		return
	}
	sh := &a.shards[p.SessionID[len(p.SessionID)-1]%touchShards]
	sh.mu.Lock()
	if len(sh.last) >= maxTouchEntries {
		sh.pruneLocked(now, a.interval)
	}
	sh.last[p.SessionID] = now
	sh.mu.Unlock()
}
