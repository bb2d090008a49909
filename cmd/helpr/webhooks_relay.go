package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/internal/metrics"
	"github.com/helpr-chat/helpr/transport/api"
	"github.com/helpr-chat/helpr/transport/webhook"
)

// Chat-event relay bounds (see webhookRelay).
const (
	relayBuffer  = 4096                  // notices waiting for the relay goroutine
	relayWait    = 50 * time.Millisecond // longest a chat action waits for room when the buffer is full
	relayFlush   = 5 * time.Second       // how long stopping waits to store the notices still buffered
	relayWarnGap = 1 * time.Minute       // at most one "dropped" warning per gap
)

// webhookRelay carries the hub's notices (hub.Options.Notify) to the
// dispatcher without holding up chat: notify puts the notice in a
// buffered channel and one goroutine (run) builds each payload and calls
// Dispatcher.Emit, in notice order. When the buffer is full (the store is
// slow or down and relayBuffer notices wait), notify waits at most
// relayWait for room and then drops the notice: the chat change itself is
// stored and delivered to clients, only its webhook is lost; drops are
// counted (helpr_webhook_notices_dropped_total) and logged (at most once
// a minute, counts only). A crash loses the buffered notices the same
// way; what Emit stored is durable.
type webhookRelay struct {
	d        *webhook.Dispatcher
	log      zerolog.Logger
	ch       chan hub.Notice
	dropped  *metrics.Counter
	drops    atomic.Int64 // since the last warning
	lastWarn atomic.Int64 // unix nanoseconds
}

func newWebhookRelay(log zerolog.Logger, reg *metrics.Registry) *webhookRelay {
	return &webhookRelay{log: log.With().Str("component", "webhook-relay").Logger(),
		ch: make(chan hub.Notice, relayBuffer),
		dropped: reg.Counter("helpr_webhook_notices_dropped_total",
			"Chat notices dropped before a webhook delivery was stored (relay buffer full).").With()}
}

// notify is hub.Options.Notify: it never blocks longer than relayWait.
func (r *webhookRelay) notify(_ context.Context, n hub.Notice) {
	select {
	case r.ch <- n:
		return
	default:
	}
	t := time.NewTimer(relayWait)
	defer t.Stop()
	select {
	case r.ch <- n:
	case <-t.C:
		r.drop(n)
	}
}

// drop counts a lost notice and warns at most once per relayWarnGap.
func (r *webhookRelay) drop(n hub.Notice) {
	r.dropped.Inc()
	r.drops.Add(1)
	now := time.Now().UnixNano()
	last := r.lastWarn.Load()
	if now-last < int64(relayWarnGap) || !r.lastWarn.CompareAndSwap(last, now) {
		return
	}
	r.log.Warn().Int64("dropped", r.drops.Swap(0)).Str("event", n.Kind).
		Msg("webhook relay buffer full: chat notices dropped, their webhooks are not sent")
}

// run emits the buffered notices until ctx ends, then stores those still
// buffered (bounded by relayFlush) and returns.
func (r *webhookRelay) run(ctx context.Context) {
	emitCtx := context.WithoutCancel(ctx) // a notice taken is stored even while stopping
	for {
		select {
		case n := <-r.ch:
			r.emit(emitCtx, n)
		case <-ctx.Done():
			r.flush()
			return
		}
	}
}

// flush emits what is still buffered, for at most relayFlush.
func (r *webhookRelay) flush() {
	ctx, cancel := context.WithTimeout(context.Background(), relayFlush)
	defer cancel()
	for {
		select {
		case n := <-r.ch:
			r.emit(ctx, n)
		default:
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// emit builds notice n's payload and stores its deliveries. Errors are
// logged with the event and ids only.
func (r *webhookRelay) emit(ctx context.Context, n hub.Notice) {
	data, ok := noticePayload(n)
	if !ok {
		return
	}
	if err := r.d.Emit(ctx, n.Conversation.OrgID, n.Kind, data); err != nil {
		r.log.Warn().Err(err).Str("event", n.Kind).Str("org_id", n.Conversation.OrgID).
			Str("conversation_id", n.Conversation.ID).Msg("webhook emit failed")
	}
}

// noticePayload is the webhook data of a hub notice (the shapes of
// transport/api, shared with the REST events).
func noticePayload(n hub.Notice) (any, bool) {
	switch n.Kind {
	case hub.NoticeConversationCreated, hub.NoticeConversationAssigned, hub.NoticeConversationClosed:
		return api.WebhookConversation(n.Conversation), true
	case hub.NoticeMessageCreated:
		if n.Message == nil {
			return nil, false
		}
		return api.WebhookMessage(n.Conversation, *n.Message), true
	}
	return nil, false
}
