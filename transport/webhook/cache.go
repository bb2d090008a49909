package webhook

import (
	"context"
	"slices"
	"sync"
	"time"
)

// endpointCache remembers, per organisation and for a short TTL, which
// enabled endpoints subscribe to which events (ids and events only, never
// secrets), so Emit for an organisation without webhooks reads nothing.
type endpointCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cacheEntry
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

func (c *endpointCache) put(orgID string, eps []cachedEndpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedOrgs {
		clear(c.m)
	}
	c.m[orgID] = cacheEntry{until: time.Now().Add(c.ttl), endpoints: eps}
}

func (c *endpointCache) drop(orgID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, orgID)
}

// subscribers returns the ids of orgID's enabled endpoints subscribed to
// event, from the cache or (on a miss) the store.
func (d *Dispatcher) subscribers(ctx context.Context, orgID, event string) ([]string, error) {
	eps, ok := d.cache.get(orgID)
	if !ok {
		list, err := d.cfg.Store.ListWebhookEndpoints(ctx, orgID)
		if err != nil {
			return nil, err
		}
		eps = make([]cachedEndpoint, 0, len(list))
		for _, e := range list {
			if e.Enabled {
				eps = append(eps, cachedEndpoint{id: e.ID, events: slices.Clone(e.Events)})
			}
		}
		d.cache.put(orgID, eps)
	}
	var ids []string
	for _, e := range eps {
		if slices.Contains(e.events, event) {
			ids = append(ids, e.id)
		}
	}
	return ids, nil
}
