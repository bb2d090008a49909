package webhook

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// endpointCache remembers, per organisation and for a short TTL, which
// enabled endpoints subscribe to which events (ids and events only, never
// secrets), so Emit for an organisation without webhooks reads nothing.
type endpointCache struct {
	ttl    time.Duration
	mu     sync.Mutex
	m      map[string]cacheEntry
	flight singleflight.Group // one store read per organisation on a miss
	// epoch grows with every drop: a read begun before a drop is not
	// cached, and the singleflight key changes.
	epoch atomic.Uint64
}

type cacheEntry struct {
	until     time.Time // monotonic: the real clock, not Config.Now
	endpoints []cachedEndpoint
}

type cachedEndpoint struct {
	id     string
	events []string
}

// maxCachedOrgs bounds the cache; past it, entries are dropped wholesale.
const maxCachedOrgs = 10000

func newEndpointCache(ttl time.Duration) *endpointCache {
	return &endpointCache{ttl: ttl, m: map[string]cacheEntry{}}
}

func (c *endpointCache) get(orgID string) ([]cachedEndpoint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[orgID]
	if !ok || time.Now().After(e.until) {
		return nil, false
	}
	return e.endpoints, true
}

// put caches eps unless an Invalidate came after epoch was read.
func (c *endpointCache) put(orgID string, eps []cachedEndpoint, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch.Load() != epoch {
		return
	}
	if len(c.m) >= maxCachedOrgs {
		clear(c.m)
	}
	c.m[orgID] = cacheEntry{until: time.Now().Add(c.ttl), endpoints: eps}
}

func (c *endpointCache) drop(orgID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch.Add(1)
	delete(c.m, orgID)
}

// loadEndpoints reads orgID's enabled endpoints into the cache (one read
// per organisation however many Emits miss at once: singleflight).
//
// A read that an Invalidate overtook (the epoch moved) is used by the
// Emits that started before the Invalidate but not cached.
func (d *Dispatcher) loadEndpoints(ctx context.Context, orgID string, epoch uint64) ([]cachedEndpoint, error) {
	list, err := d.cfg.Store.ListWebhookEndpoints(ctx, orgID)
	if err != nil {
		return nil, err
	}
	eps := make([]cachedEndpoint, 0, len(list))
	for _, e := range list {
		if e.Enabled {
			eps = append(eps, cachedEndpoint{id: e.ID, events: slices.Clone(e.Events)})
		}
	}
	d.cache.put(orgID, eps, epoch)
	return eps, nil
}

// subscribers returns the ids of orgID's enabled endpoints subscribed to
// event, from the cache or (on a miss) the store.
func (d *Dispatcher) subscribers(ctx context.Context, orgID, event string) ([]string, error) {
	eps, ok := d.cache.get(orgID)
	if !ok {
		epoch := d.cache.epoch.Load()
		key := orgID + "\x00" + strconv.FormatUint(epoch, 10)
		v, err, _ := d.cache.flight.Do(key, func() (any, error) { return d.loadEndpoints(ctx, orgID, epoch) })
		if err != nil {
			return nil, err
		}
		eps = v.([]cachedEndpoint)
	}
	var ids []string
	for _, e := range eps {
		if slices.Contains(e.events, event) {
			ids = append(ids, e.id)
		}
	}
	return ids, nil
}
