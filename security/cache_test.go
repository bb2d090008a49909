package security

import (
	"fmt"
	"testing"
	"time"
)

func cachePrincipal(session string, exp time.Time) Principal {
	return Principal{SessionID: session, OrgID: "org_1", Kind: "agent", SubjectID: "agt_1", ExpiresAt: exp}
}

func hashOf(s string) [32]byte { return HashToken(s) }

func TestCacheEvictSessionRemovesEveryTokenOfTheFamily(t *testing.T) {
	c := newTokenCache(100_000)
	if len(c.shards) != cacheShards {
		t.Fatalf("%d shards, want %d", len(c.shards), cacheShards)
	}
	exp := t0.Add(time.Hour)
	for i := 0; i < 200; i++ { // spread over many shards
		c.put(hashOf(fmt.Sprint("a", i)), cachePrincipal("ses_a", exp), c.epoch.Load(), t0)
	}
	c.put(hashOf("b"), cachePrincipal("ses_b", exp), c.epoch.Load(), t0)
	c.evictSession("ses_a")
	for i := 0; i < 200; i++ {
		if _, ok := c.get(hashOf(fmt.Sprint("a", i))); ok {
			t.Fatalf("token %d of the evicted session still cached", i)
		}
	}
	if e, ok := c.get(hashOf("b")); !ok || e.p.SessionID != "ses_b" {
		t.Fatal("another session's token was evicted")
	}
	if c.len() != 1 {
		t.Fatalf("%d entries left, want 1", c.len())
	}
}

// A lookup that read the store before a revocation must not cache its
// result after the revocation's eviction.
func TestCacheRefusesEntryLoadedBeforeAnEviction(t *testing.T) {
	c := newTokenCache(1000)
	epoch := c.epoch.Load() // loader starts
	c.evictSession("ses_a") // revocation lands meanwhile
	c.put(hashOf("a"), cachePrincipal("ses_a", t0.Add(time.Hour)), epoch, t0)
	if _, ok := c.get(hashOf("a")); ok {
		t.Fatal("stale entry cached after an eviction")
	}
}

func TestCacheStaysWithinSizeAndDropsExpiredFirst(t *testing.T) {
	const size = 100
	c := newTokenCache(size)
	live := hashOf("live")
	c.put(live, cachePrincipal("ses_live", t0.Add(time.Hour)), 0, t0)
	for i := 0; i < size-1; i++ {
		c.put(hashOf(fmt.Sprint("old", i)), cachePrincipal(fmt.Sprint("ses_", i), t0.Add(time.Minute)), 0, t0)
	}
	if c.len() != size {
		t.Fatalf("%d entries, want %d", c.len(), size)
	}
	later := t0.Add(2 * time.Minute) // all but "live" expired
	c.put(hashOf("new"), cachePrincipal("ses_new", t0.Add(time.Hour)), 0, later)
	if _, ok := c.get(live); !ok {
		t.Fatal("a live entry was dropped while expired ones could go")
	}
	if c.len() != 2 {
		t.Fatalf("%d entries after making room, want live + new", c.len())
	}
	for i := 0; i < 10*size; i++ {
		c.put(hashOf(fmt.Sprint("flood", i)), cachePrincipal("ses_f", t0.Add(time.Hour)), 0, later)
		if c.len() > size {
			t.Fatalf("cache grew to %d, bound is %d", c.len(), size)
		}
	}
	n := 0
	for i := range c.shards {
		for _, hs := range c.shards[i].bySession {
			n += len(hs)
		}
	}
	if n != c.len() {
		t.Fatalf("session index holds %d hashes for %d entries", n, c.len())
	}
}
