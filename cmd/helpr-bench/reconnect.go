package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// Reconnects follow the protocol's advice (docs/protocol.md, Resume and
// ordering): bounded retries, exponential backoff with jitter.
const (
	maxReconnects    = 8
	reconnectBackoff = 100 * time.Millisecond
	maxBackoff       = 5 * time.Second
	redialTimeout    = 30 * time.Second
)

// Pushback backoff: a send refused as overloaded or rate limited is resent
// (same client_id) after this, doubled per try, at most maxPushbackDelay.
const (
	pushbackDelay    = 50 * time.Millisecond
	maxPushbackDelay = 2 * time.Second
)

// Error codes that mean "not now": the frame was not processed.
const (
	codeOverloaded  = "overloaded"
	codeRateLimited = "rate_limited"
)

func isPushback(code string) bool { return code == codeOverloaded || code == codeRateLimited }

// jitter is d ± 25%.
func jitter(d time.Duration) time.Duration {
	return d*3/4 + time.Duration(rand.Int64N(int64(d)/2+1))
}

// reconnect dials the peer's subject again and resumes: it returns false
// when every try failed or the peer is closing.
func (p *peer) reconnect(ctx context.Context) bool {
	backoff := reconnectBackoff
	for range maxReconnects {
		if !sleepUntil(ctx, time.Now().Add(jitter(backoff))) || p.closing.Load() {
			return false
		}
		backoff = min(2*backoff, maxBackoff)
		conn, err := p.dialReady(ctx)
		if err != nil {
			continue
		}
		if !p.resume(conn) {
			_ = conn.CloseNow()
			return false
		}
		p.r.m.add(cReconnects, 1)
		return true
	}
	return false
}

// dialReady opens a new connection and waits for its ready frame.
func (p *peer) dialReady(ctx context.Context) (*client.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, redialTimeout)
	defer cancel()
	conn, err := p.redial(dctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Await(dctx, client.OfType(wire.TypeReady)); err != nil {
		_ = conn.CloseNow()
		return nil, err
	}
	return conn, nil
}

// resume installs conn, joins every followed conversation again after the
// highest seq received and resends every unacked message (same ref and
// client_id, in send order). False when the peer is closing.
func (p *peer) resume(conn *client.Conn) bool {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	p.mu.Lock()
	if p.closing.Load() {
		p.mu.Unlock()
		return false
	}
	p.conn = conn
	p.resumes++
	var joins []wire.ConversationJoin
	for c := range p.follows {
		var after int64
		if st := p.streams[c]; st != nil {
			after = st.last
		}
		joins = append(joins, wire.ConversationJoin{ConversationID: c, AfterSeq: after})
	}
	resend, scope := p.takeResends(), p.scope
	p.mu.Unlock()
	wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if scope != "" && conn.Send(wctx, wire.TypeInboxWatch, "", wire.InboxWatch{Scope: scope}) != nil {
		return true
	}
	for i, j := range joins {
		// The joined answers have no waiter: the reader ignores them.
		if conn.Send(wctx, wire.TypeConversationJoin, "rj"+strconv.Itoa(p.resumes)+"-"+strconv.Itoa(i), j) != nil {
			return true // dropped again: the reader sees it and reconnects
		}
	}
	for _, s := range resend {
		if conn.SendRaw(wctx, s.frame) != nil {
			return true
		}
	}
	return true
}

// takeResends marks every pending message as resent and returns them in
// send order. Called with mu held.
func (p *peer) takeResends() []sent {
	var out []sent
	for ref, s := range p.pending {
		if s.kind != pendingMessage || s.frame == nil {
			continue
		}
		s.tries++
		p.pending[ref] = s
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b sent) int { return int(a.n - b.n) })
	return out
}

// retryDelay is the wait an error frame asks for: retry_after_ms, else
// retry_after seconds, else 0 (the harness's own backoff).
func retryDelay(e wire.Error) time.Duration {
	if e.RetryAfterMS > 0 {
		return time.Duration(e.RetryAfterMS) * time.Millisecond
	}
	return time.Duration(e.RetryAfter) * time.Second
}

// pushback handles an overloaded or rate_limited answer to a pending
// message: counted, and the same frame resent after a backoff (or the
// server's retryAfter when it gave one). False when ref is no pending
// message.
func (p *peer) pushback(ref string, retryAfter time.Duration) bool {
	p.mu.Lock()
	s, ok := p.pending[ref]
	if !ok || s.kind != pendingMessage || s.frame == nil {
		p.mu.Unlock()
		return false
	}
	s.tries++
	p.pending[ref] = s
	tries := s.tries
	p.mu.Unlock()
	p.r.m.add(cPushback, 1)
	d := min(pushbackDelay<<min(tries-1, 10), maxPushbackDelay)
	if retryAfter > 0 {
		d = max(d, retryAfter)
	}
	time.AfterFunc(jitter(d), func() { p.resendPushedBack(ref, tries) })
	return true
}

// resendPushedBack resends ref unless it was answered or resent since.
func (p *peer) resendPushedBack(ref string, tries int) {
	if p.closing.Load() {
		return
	}
	wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	p.mu.Lock()
	s, ok := p.pending[ref]
	conn := p.conn
	p.mu.Unlock()
	if !ok || s.tries != tries {
		return
	}
	_ = conn.SendRaw(wctx, s.frame) // a drop now is resent by the resume
}

// dropped counts a connection that ended without the harness closing it,
// by close code and reason ("no close frame" when none arrived).
func (r *runner) dropped(err error) {
	r.m.add(cDropped, 1)
	key := "no close frame"
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		key = strconv.Itoa(int(ce.Code))
		if ce.Reason != "" {
			key += " " + ce.Reason
		}
	}
	r.dropMu.Lock()
	r.drops[key]++
	r.dropMu.Unlock()
}

// dropReasons snapshots the drop histogram.
func (r *runner) dropReasons() map[string]int64 {
	r.dropMu.Lock()
	defer r.dropMu.Unlock()
	if len(r.drops) == 0 {
		return nil
	}
	out := make(map[string]int64, len(r.drops))
	for k, v := range r.drops {
		out[k] = v
	}
	return out
}

// holds reports whether seq was already received.
func (s *seqTracker) holds(seq int64) bool {
	if seq > s.last {
		return false
	}
	_, missing := s.missing[seq]
	return !missing
}
