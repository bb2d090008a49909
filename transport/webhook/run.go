package webhook

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// Run sends due deliveries until ctx ends, with Config.Workers
// concurrent workers: each claims one due delivery at a time (a leased
// claim, so nodes sharing the store never send one delivery twice while
// its lease runs), sends it and records the outcome, and when none is
// due waits for Emit's wake-up or the poll interval (which also finds
// retries coming due and deliveries queued on other nodes). Deliveries
// left pending by a crash or restart are sent once their lease ends.
// Run returns when ctx ends and every worker stopped; an attempt cut
// short by ctx is due again at once. Run also trims the delivery log
// (Config.Retention).
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range d.cfg.Workers {
		wg.Go(func() { d.work(ctx) })
	}
	wg.Go(func() { d.purge(ctx) })
	wg.Wait()
}

// purgeEvery is how often Run trims the delivery log.
const purgeEvery = time.Hour

// purge deletes finished deliveries older than Config.Retention, at once
// and then every purgeEvery, until ctx ends (every node does; the
// deletes are idempotent).
func (d *Dispatcher) purge(ctx context.Context) {
	ticker := time.NewTicker(purgeEvery)
	defer ticker.Stop()
	for {
		n, err := d.cfg.Store.DeleteOldWebhookDeliveries(ctx, d.now().Add(-d.cfg.Retention))
		switch {
		case err != nil && ctx.Err() == nil:
			d.log.Warn().Err(err).Msg("purge old webhook deliveries")
		case n > 0:
			d.log.Info().Int("deliveries", n).Msg("old webhook deliveries purged")
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// work is one worker of Run.
func (d *Dispatcher) work(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-timer.C:
		}
		if d.Drain(ctx) > 0 {
			d.poke() // there may be more: let another worker help
		}
		timer.Reset(d.cfg.Poll)
	}
}

// Drain claims and sends, one at a time, the deliveries due now until
// none is due or ctx ends, and returns how many it attempted. Run calls
// it; tests and tools may call it directly (it is safe alongside Run).
func (d *Dispatcher) Drain(ctx context.Context) int {
	n := 0
	for ctx.Err() == nil {
		list, err := d.cfg.Store.ClaimWebhookDeliveries(ctx, d.now(), d.cfg.Lease, 1)
		if err != nil && ctx.Err() == nil {
			d.log.Error().Err(err).Msg("claim webhook deliveries")
		}
		if len(list) == 0 {
			return n
		}
		for _, del := range list {
			d.deliver(ctx, del)
			n++
		}
	}
	return n
}

// deliver makes one attempt of a claimed delivery and records it.
func (d *Dispatcher) deliver(ctx context.Context, del storage.WebhookDelivery) {
	done := context.WithoutCancel(ctx) // record the outcome even while stopping
	e, err := d.cfg.Store.GetWebhookEndpoint(ctx, del.OrgID, del.EndpointID)
	switch {
	case err != nil && ctx.Err() != nil:
		d.record(done, d.retryNow(del))
		return
	case errors.Is(err, storage.ErrNotFound):
		d.record(done, d.skip(del, "endpoint not found"))
		return
	case err != nil:
		// The store failed, not the receiver: try again later without
		// counting it against the endpoint.
		d.log.Error().Err(err).Str("delivery_id", del.ID).Msg("load webhook endpoint")
		a := d.retryNow(del)
		a.NextAttemptAt, a.Error = a.At.Add(backoffBase), "store unavailable"
		d.record(done, a)
		return
	case del.Body == "":
		d.record(done, d.skip(del, storage.WebhookErasedError))
		return
	case !e.Enabled && del.Event != EventTest:
		d.record(done, d.skip(del, "endpoint disabled"))
		return
	}
	res := d.send(ctx, e, del)
	if ctx.Err() != nil && !res.answered() {
		d.record(done, d.retryNow(del))
		return
	}
	d.record(done, d.outcome(del, res))
}

// retryNow makes an attempt cut short by shutdown due again at once,
// leaving the endpoint's count alone.
func (d *Dispatcher) retryNow(del storage.WebhookDelivery) storage.WebhookAttempt {
	now := d.now()
	return storage.WebhookAttempt{OrgID: del.OrgID, DeliveryID: del.ID, Attempt: del.Attempts, At: now,
		Status: storage.WebhookFailed, NextAttemptAt: now, Error: "interrupted by shutdown"}
}

// skip gives up a delivery that cannot be sent, leaving the endpoint's
// count alone.
func (d *Dispatcher) skip(del storage.WebhookDelivery, why string) storage.WebhookAttempt {
	d.cfg.Metrics.attempt("skipped")
	return storage.WebhookAttempt{OrgID: del.OrgID, DeliveryID: del.ID, Attempt: del.Attempts, At: d.now(),
		Status: storage.WebhookDead, Error: why}
}

// outcome turns a send result into the attempt to record.
func (d *Dispatcher) outcome(del storage.WebhookDelivery, r sendResult) storage.WebhookAttempt {
	now := d.now()
	a := storage.WebhookAttempt{OrgID: del.OrgID, DeliveryID: del.ID, Attempt: del.Attempts, At: now,
		StatusCode: r.code, LatencyMs: r.latency.Milliseconds(), Error: r.err, DisableAfter: d.cfg.DisableAfter}
	switch {
	case r.code >= 200 && r.code < 300:
		a.Status, a.Effect, a.Error = storage.WebhookDelivered, storage.WebhookEffectSuccess, ""
		d.cfg.Metrics.attempt("delivered")
	case r.code == 410:
		a.Status, a.Effect = storage.WebhookDead, storage.WebhookEffectGone
		d.cfg.Metrics.attempt("gone")
	case del.Attempts >= d.cfg.MaxAttempts:
		a.Status, a.Effect = storage.WebhookDead, storage.WebhookEffectFailure
		d.cfg.Metrics.attempt("dead")
	default:
		a.Status, a.Effect = storage.WebhookFailed, storage.WebhookEffectFailure
		a.NextAttemptAt = now.Add(d.cfg.Backoff(del.Attempts)).Truncate(time.Millisecond)
		d.cfg.Metrics.attempt("failed")
	}
	return a
}

// record stores an attempt and, when it disabled the endpoint, tells the
// owners.
func (d *Dispatcher) record(ctx context.Context, a storage.WebhookAttempt) {
	res, err := d.cfg.Store.RecordWebhookAttempt(ctx, a)
	if err != nil {
		d.log.Warn().Err(err).Str("delivery_id", a.DeliveryID).Msg("record webhook attempt")
		return
	}
	if res.Disabled {
		d.Invalidate(a.OrgID)
		d.endpointDisabled(ctx, res.Endpoint)
	}
}
