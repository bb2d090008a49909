package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

const (
	// dialTimeout bounds one connection attempt, its ready frame included.
	dialTimeout = 5 * time.Second
	// replyTimeout is how long a frame waits for its reply before the
	// client gives up on the connection and reconnects (a widget's timer).
	replyTimeout = 15 * time.Second
	// retryBackoff is the first pause after a failure; it doubles up to
	// maxBackoff, with jitter, as the protocol asks.
	retryBackoff = 100 * time.Millisecond
	maxBackoff   = 2 * time.Second
)

// errGone is a reply that never came because the connection dropped.
var errGone = errors.New("connection dropped")

// chatter is a client that behaves like the widget: it keeps one socket to
// one of nodes, and when the socket drops it reconnects (to the next live
// node), joins its conversation again after the highest seq it holds, and
// lets senders resend unacked messages with the same client id.
type chatter struct {
	name  string
	opts  client.Options
	nodes []*node
	led   *ledger

	mu     sync.Mutex
	conv   string
	cur    *session // nil while disconnected
	ready  chan struct{}
	next   int
	closes map[int]int // close code → how many times
	connAt []time.Time // each successful (re)connect
	wg     sync.WaitGroup
}

// session is one connection of a chatter.
type session struct {
	conn    *client.Conn
	mu      sync.Mutex
	replies map[string]chan client.Frame
	gone    chan struct{}
}

// newChatter starts a client connected to one of nodes (the first live one
// from start), which runs until ctx ends.
func newChatter(ctx context.Context, name string, opts client.Options, nodes []*node, start int) *chatter {
	c := &chatter{name: name, opts: opts, nodes: nodes, led: newLedger(), next: start,
		ready: make(chan struct{}), closes: map[int]int{}}
	c.wg.Add(1)
	go c.run(ctx)
	return c
}

// wait waits until the chatter's goroutine ended (after its ctx did).
func (c *chatter) wait() { c.wg.Wait() }

// run connects, reads, and reconnects with backoff until ctx ends.
func (c *chatter) run(ctx context.Context) {
	defer c.wg.Done()
	backoff := retryBackoff
	for ctx.Err() == nil {
		s, err := c.connect(ctx)
		if err != nil {
			sleep(ctx, jitter(backoff))
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff = retryBackoff
		err = c.read(ctx, s)
		c.dropped(s, err)
	}
}

// connect dials the next live node, waits for ready and joins the
// conversation after the highest seq held.
func (c *chatter) connect(ctx context.Context) (*session, error) {
	n := c.pick()
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, _, err := client.Dial(dctx, n.base, c.opts)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Await(dctx, client.OfType(wire.TypeReady)); err != nil {
		_ = conn.CloseNow()
		c.noteClose(err)
		return nil, err
	}
	s := &session{conn: conn, replies: map[string]chan client.Frame{}, gone: make(chan struct{})}
	c.mu.Lock()
	conv := c.conv
	c.mu.Unlock()
	if conv != "" {
		if err := conn.Send(dctx, wire.TypeConversationJoin, "join", wire.ConversationJoin{ConversationID: conv, AfterSeq: c.led.lastSeq()}); err != nil {
			_ = conn.CloseNow()
			return nil, err
		}
	}
	c.mu.Lock()
	c.cur = s
	c.connAt = append(c.connAt, time.Now())
	close(c.ready)
	c.mu.Unlock()
	return s, nil
}

// pick returns the next live node, round robin.
func (c *chatter) pick() *node {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range c.nodes {
		n := c.nodes[c.next%len(c.nodes)]
		if n.alive() {
			return n
		}
		c.next++
	}
	return c.nodes[c.next%len(c.nodes)]
}

// read delivers frames until the connection ends: messages of the
// conversation to the ledger, replies to whoever waits for them.
func (c *chatter) read(ctx context.Context, s *session) error {
	for {
		f, err := s.conn.Next(ctx)
		if err != nil {
			return err
		}
		if f.Type == wire.TypeMessage {
			var m wire.Message
			if f.Decode(&m) == nil && m.ConversationID == c.conversation() {
				c.led.add(m)
			}
			continue
		}
		if f.Ref == "" {
			continue
		}
		s.mu.Lock()
		ch := s.replies[f.Ref]
		delete(s.replies, f.Ref)
		s.mu.Unlock()
		if ch != nil {
			ch <- f
		}
	}
}

// dropped forgets a dead connection and moves to the next node.
func (c *chatter) dropped(s *session, err error) {
	_ = s.conn.CloseNow()
	c.noteClose(err)
	c.mu.Lock()
	c.cur = nil
	c.ready = make(chan struct{})
	c.next++
	c.mu.Unlock()
	close(s.gone)
}

// noteClose counts the close code of err (0: no close frame).
func (c *chatter) noteClose(err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	c.mu.Lock()
	c.closes[client.CloseStatus(err)]++
	c.mu.Unlock()
}

// conversation returns the conversation the chatter follows.
func (c *chatter) conversation() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conv
}

// session waits for a live connection.
func (c *chatter) session(ctx context.Context) (*session, error) {
	for {
		c.mu.Lock()
		s, ready := c.cur, c.ready
		c.mu.Unlock()
		if s != nil {
			return s, nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// request sends one frame on the current connection and returns its reply,
// or errGone when the connection drops first.
func (c *chatter) request(ctx context.Context, typ, ref string, data any) (client.Frame, error) {
	s, err := c.session(ctx)
	if err != nil {
		return client.Frame{}, err
	}
	ch := make(chan client.Frame, 1)
	s.mu.Lock()
	s.replies[ref] = ch
	s.mu.Unlock()
	defer func() { s.mu.Lock(); delete(s.replies, ref); s.mu.Unlock() }()
	if err := s.conn.Send(ctx, typ, ref, data); err != nil {
		return client.Frame{}, errGone
	}
	t := time.NewTimer(replyTimeout)
	defer t.Stop()
	select {
	case f := <-ch:
		return f, nil
	case <-s.gone:
		return client.Frame{}, errGone
	case <-t.C:
		_ = s.conn.CloseNow() // a stuck connection: reconnect, as the widget does
		return client.Frame{}, errGone
	case <-ctx.Done():
		return client.Frame{}, ctx.Err()
	}
}

// follow makes the chatter follow conv and joins it now after seq 0.
func (c *chatter) follow(ctx context.Context, conv string) error {
	c.mu.Lock()
	c.conv = conv
	c.mu.Unlock()
	f, err := c.request(ctx, wire.TypeConversationJoin, "follow", wire.ConversationJoin{ConversationID: conv, AfterSeq: c.led.lastSeq()})
	if err != nil {
		return err
	}
	if f.Type != wire.TypeJoined {
		return fmt.Errorf("%s: join: %s %s", c.name, f.Type, f.Data)
	}
	return nil
}

// sendResult is how one message.send ended.
type sendResult struct {
	ack      wire.Ack
	attempts int
	errors   []string // error frame codes seen (retried)
}

// send posts text with clientID until it is acked (a duplicate ack counts),
// resending with the same client id after every dropped connection and
// retryable error, until ctx ends. A non-retryable error ends it.
func (c *chatter) send(ctx context.Context, clientID, text string) (sendResult, error) {
	var r sendResult
	backoff := retryBackoff
	for {
		r.attempts++
		ref := fmt.Sprintf("s-%s-%d", clientID, r.attempts)
		f, err := c.request(ctx, wire.TypeMessageSend, ref, wire.MessageSend{ConversationID: c.conversation(), ClientID: clientID, Text: text})
		switch {
		case ctx.Err() != nil:
			return r, ctx.Err()
		case err != nil:
			// dropped: the session loop reconnects; resend
		case f.Type == wire.TypeAck:
			return r, f.Decode(&r.ack)
		case f.Type == wire.TypeError:
			var e wire.Error
			_ = f.Decode(&e)
			r.errors = append(r.errors, e.Code)
			if e.Code != "unavailable" && e.Code != "rate_limited" {
				return r, fmt.Errorf("%s: send %s: %s %s", c.name, clientID, e.Code, e.Message)
			}
		default:
			return r, fmt.Errorf("%s: send %s: unexpected %s", c.name, clientID, f.Type)
		}
		sleep(ctx, jitter(backoff))
		backoff = min(2*backoff, maxBackoff)
	}
}

// closeCodes returns the close codes seen so far.
func (c *chatter) closeCodes() map[int]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[int]int, len(c.closes))
	for k, v := range c.closes {
		out[k] = v
	}
	return out
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// jitter returns d ± 25 %.
func jitter(d time.Duration) time.Duration {
	return d*3/4 + rand.N(d/2+1)
}
