package security

import (
	"sync"
	"sync/atomic"
	"time"
)

// cacheShards is the shard count of a large token cache. Hashes are
// uniform, so the first byte picks a shard.
const cacheShards = 64

// tokenCache maps access-token hashes to their principals, bounded in size,
// with an index from session id to hashes so a revocation evicts a whole
// family. Each entry remembers when the store (or this node's own write)
// last vouched for it, so that callers can bound how long it is trusted. It
// is safe for concurrent use.
//
// Revocation races with a lookup that read the store before the revocation
// but inserts after it: epoch counts evictions, a loader reads it before its
// store read, and put refuses an entry when it has moved since.
type tokenCache struct {
	shards   []cacheShard
	perShard int
	epoch    atomic.Uint64
}

type cacheShard struct {
	mu        sync.RWMutex
	entries   map[[32]byte]cacheEntry
	bySession map[string][][32]byte
}

// cacheEntry is a cached principal and the time it was put.
type cacheEntry struct {
	p        Principal
	loadedAt time.Time
}

func newTokenCache(size int) *tokenCache {
	n := cacheShards
	if size < cacheShards*16 {
		n = 1 // too small to spread without going over size
	}
	c := &tokenCache{shards: make([]cacheShard, n), perShard: max(1, size/n)}
	for i := range c.shards {
		c.shards[i].entries = make(map[[32]byte]cacheEntry)
		c.shards[i].bySession = make(map[string][][32]byte)
	}
	return c
}

func (c *tokenCache) shard(h [32]byte) *cacheShard {
	return &c.shards[int(h[0])%len(c.shards)]
}

// get returns the cached entry of h, expired or not.
func (c *tokenCache) get(h [32]byte) (cacheEntry, bool) {
	sh := c.shard(h)
	sh.mu.RLock()
	e, ok := sh.entries[h]
	sh.mu.RUnlock()
	return e, ok
}

// put caches p under h, loaded at now, unless a session was evicted since
// the caller read epoch. A full shard first drops expired entries, then
// arbitrary ones.
func (c *tokenCache) put(h [32]byte, p Principal, epoch uint64, now time.Time) {
	sh := c.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if c.epoch.Load() != epoch {
		return
	}
	if _, ok := sh.entries[h]; ok { // same hash, same token, same session
		sh.entries[h] = cacheEntry{p: p, loadedAt: now}
		return
	}
	if len(sh.entries) >= c.perShard {
		sh.makeRoom(c.perShard, now)
	}
	sh.entries[h] = cacheEntry{p: p, loadedAt: now}
	sh.bySession[p.SessionID] = append(sh.bySession[p.SessionID], h)
}

// drop removes h alone (a token the store no longer knows). It is not a
// revocation: epoch does not move.
func (c *tokenCache) drop(h [32]byte) {
	sh := c.shard(h)
	sh.mu.Lock()
	if e, ok := sh.entries[h]; ok {
		sh.remove(h, e.p.SessionID)
	}
	sh.mu.Unlock()
}

// evictSession drops every cached token of session id.
func (c *tokenCache) evictSession(id string) {
	c.epoch.Add(1)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		for _, h := range sh.bySession[id] {
			delete(sh.entries, h)
		}
		delete(sh.bySession, id)
		sh.mu.Unlock()
	}
}

// makeRoom drops expired entries, then arbitrary ones (map order is
// random) until 1/16 of the shard is free, so a full shard does not pay a
// scan on every insert.
func (sh *cacheShard) makeRoom(limit int, now time.Time) {
	for h, e := range sh.entries {
		if !now.Before(e.p.ExpiresAt) {
			sh.remove(h, e.p.SessionID)
		}
	}
	target := limit - max(1, limit/16)
	for h, e := range sh.entries {
		if len(sh.entries) <= target {
			break
		}
		sh.remove(h, e.p.SessionID)
	}
}

func (sh *cacheShard) remove(h [32]byte, sessionID string) {
	delete(sh.entries, h)
	hs := sh.bySession[sessionID]
	for i := range hs {
		if hs[i] == h {
			hs[i] = hs[len(hs)-1]
			hs = hs[:len(hs)-1]
			break
		}
	}
	if len(hs) == 0 {
		delete(sh.bySession, sessionID)
		return
	}
	sh.bySession[sessionID] = hs
}

// len returns the number of cached entries (for tests).
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.RLock()
		n += len(c.shards[i].entries)
		c.shards[i].mu.RUnlock()
	}
	return n
}
