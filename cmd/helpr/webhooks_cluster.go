package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/transport/api"
	"github.com/helpr-chat/helpr/transport/webhook"
)

// webhookInvalidationChannel carries the ids of organisations whose
// webhook endpoints changed on one node to every node, which drop their
// cached endpoints (webhook.Dispatcher.Invalidate).
const webhookInvalidationChannel = "helpr.webhooks.invalidated"

// sharedHooks is the dispatcher as the API gets it on a cluster node:
// Invalidate also tells the other nodes, so an endpoint created, changed
// or deleted on one node counts on all of them at once (a lost pub/sub
// message only delays that to the dispatcher's cache TTL, 5 s).
type sharedHooks struct {
	*webhook.Dispatcher
	broker hub.Broker
	log    zerolog.Logger
}

// Invalidate drops orgID's cached endpoints here and publishes it. It runs
// in the request that changed an endpoint; a failed publish is logged.
func (h sharedHooks) Invalidate(orgID string) {
	h.Dispatcher.Invalidate(orgID)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := h.broker.Publish(ctx, webhookInvalidationChannel, []byte(orgID)); err != nil {
		h.log.Warn().Err(err).Str("org_id", orgID).
			Msg("publish webhook cache invalidation; other nodes catch up within the cache TTL")
	}
}

// shareInvalidations subscribes d to the invalidations of every node
// through broker and returns the Webhooks the API gets (which publishes
// its own) and the unsubscribe function.
func shareInvalidations(d *webhook.Dispatcher, broker hub.Broker, log zerolog.Logger) (api.Webhooks, func(), error) {
	unsub, err := broker.Subscribe(webhookInvalidationChannel, func(p []byte) { d.Invalidate(string(p)) })
	if err != nil {
		return nil, nil, fmt.Errorf("subscribe to webhook invalidations: %w", err)
	}
	return sharedHooks{Dispatcher: d, broker: broker, log: log}, unsub, nil
}

// webhooks returns the Webhooks of the API on this node: d itself on a
// single node, else d sharing its cache invalidations with the cluster.
func (c *cluster) webhooks(d *webhook.Dispatcher) (api.Webhooks, func(), error) {
	if c == nil {
		return d, func() {}, nil
	}
	return shareInvalidations(d, c.broker, c.log)
}
