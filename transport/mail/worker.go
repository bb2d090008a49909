package mail

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/storage"
)

// Run delivers mail until ctx ends: it sends whatever is due, then waits
// for Enqueue's wake-up or the poll interval (which also finds retries
// coming due and mail queued on other nodes). When ctx ends, a send in
// flight is cancelled and its mail made due again at once, so the next
// worker (after a restart, or on another node) sends it; nothing queued is
// lost. Run returns nil once stopped; only one Run works at a time.
func (q *Queue) Run(ctx context.Context) error {
	q.run.Lock()
	defer q.run.Unlock()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-q.wake:
		case <-timer.C:
		}
		q.drain(ctx)
		timer.Reset(q.cfg.Poll)
	}
}

// drain claims and delivers due mail, one at a time, until none is due or
// ctx ends.
func (q *Queue) drain(ctx context.Context) {
	for ctx.Err() == nil {
		list, err := q.cfg.Store.ClaimMail(ctx, q.cfg.Now(), q.cfg.Lease, 1)
		if err != nil && ctx.Err() == nil {
			q.log.Error().Err(err).Msg("claim mail")
		}
		if len(list) == 0 {
			return
		}
		for _, m := range list {
			q.deliver(ctx, m)
		}
	}
}

// deliver sends one claimed mail and records the outcome.
func (q *Queue) deliver(ctx context.Context, m storage.Mail) {
	log := q.log.With().Str("kind", m.Kind).Str("mail_id", m.ID).Logger()
	done := context.WithoutCancel(ctx) // record the outcome even while stopping
	env, err := compose(q.from, m.ID, m.Kind, m.To, m.Subject, m.Text, m.CreatedAt)
	if err != nil {
		log.Error().Msg("mail given up: it cannot be composed")
		q.record(log, q.cfg.Store.GiveUpMail(done, m.ID, m.Attempts, q.cfg.Now()))
		return
	}
	sctx, cancel := context.WithTimeout(ctx, q.cfg.SendTimeout)
	err = q.cfg.Sender.Send(sctx, env)
	cancel()
	now := q.cfg.Now()
	switch why, permanent := reason(err); {
	case err == nil:
		log.Info().Int("attempt", m.Attempts).Msg("mail sent")
		q.record(log, q.cfg.Store.MarkMailSent(done, m.ID, now))
	case ctx.Err() != nil:
		log.Info().Msg("mail send interrupted by shutdown; due again at once")
		q.record(log, q.cfg.Store.MarkMailFailed(done, m.ID, m.Attempts, now))
	case permanent || m.Attempts >= q.cfg.MaxAttempts:
		log.Error().Msg("mail given up")
		q.record(log, q.cfg.Store.GiveUpMail(done, m.ID, m.Attempts, now))
	default:
		wait := q.backoff(m.Attempts)
		log.Warn().Int("attempt", m.Attempts).Str("reason", why).Dur("retry_in", wait).Msg("mail not sent; will retry")
		q.record(log, q.cfg.Store.MarkMailFailed(done, m.ID, m.Attempts, now.Add(wait)))
	}
}

// record logs a failure to record a delivery outcome: the mail is then
// claimed again when its lease ends (sent twice at worst).
func (q *Queue) record(log zerolog.Logger, err error) {
	if err != nil {
		log.Warn().Err(err).Msg("mail outcome not recorded; due again when its lease ends")
	}
}
