package main

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// ledger is what one side of a conversation has received, across its
// reconnects: message seqs must arrive exactly once and in order.
type ledger struct {
	mu         sync.Mutex
	last       int64
	violations []string
	changed    chan struct{}
}

func newLedger() *ledger { return &ledger{changed: make(chan struct{}, 1)} }

func (l *ledger) add(seq int64) {
	l.mu.Lock()
	if seq != l.last+1 {
		l.violations = append(l.violations, fmt.Sprintf("got seq %d after %d", seq, l.last))
	}
	if seq > l.last {
		l.last = seq
	}
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// lastSeq returns the highest seq received.
func (l *ledger) lastSeq() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// check fails the test on any loss, duplicate or reorder seen so far.
func (l *ledger) check(t *testing.T, who string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range l.violations {
		t.Errorf("%s: %s", who, v)
	}
}

// waitSeq waits until the ledger holds seq.
func (l *ledger) waitSeq(ctx context.Context, t *testing.T, who string, seq int64) {
	t.Helper()
	for l.lastSeq() < seq {
		select {
		case <-l.changed:
		case <-ctx.Done():
			t.Fatalf("%s: has seq %d, waited for %d", who, l.lastSeq(), seq)
		}
	}
}

// peer is a connected client whose frames a goroutine reads: chat messages
// of conv go to the ledger, everything else to frames.
type peer struct {
	c      *client.Conn
	frames chan client.Frame
	closed chan error
}

func newPeer(c *client.Conn, conv *string, l *ledger) *peer {
	p := &peer{c: c, frames: make(chan client.Frame, 1024), closed: make(chan error, 1)}
	go func() {
		for {
			f, err := c.Next(context.Background())
			if err != nil {
				p.closed <- err
				close(p.frames)
				return
			}
			if f.Type == wire.TypeMessage && l != nil {
				var m wire.Message
				if f.Decode(&m) == nil && m.ConversationID == *conv {
					l.add(m.Seq)
					continue
				}
			}
			p.frames <- f
		}
	}()
	return p
}

// await returns the first frame matching match.
func (p *peer) await(ctx context.Context, t *testing.T, what string, match func(client.Frame) bool) client.Frame {
	t.Helper()
	for {
		select {
		case f, ok := <-p.frames:
			if !ok {
				t.Fatalf("%s: connection closed: %v", what, <-p.closed)
			}
			if match(f) {
				return f
			}
		case <-ctx.Done():
			t.Fatalf("%s: timed out", what)
		}
	}
}

// send posts a message and returns its ack, or the error frame's code.
func (p *peer) send(ctx context.Context, t *testing.T, conv, clientID, text string) (wire.Ack, error) {
	t.Helper()
	ref := "s-" + clientID
	if err := p.c.Send(ctx, wire.TypeMessageSend, ref, wire.MessageSend{ConversationID: conv, ClientID: clientID, Text: text}); err != nil {
		return wire.Ack{}, err
	}
	for {
		select {
		case f, ok := <-p.frames:
			if !ok {
				return wire.Ack{}, fmt.Errorf("closed before the ack of %s", clientID)
			}
			if f.Ref != ref {
				continue
			}
			var ack wire.Ack
			if f.Type != wire.TypeAck || f.Decode(&ack) != nil {
				return wire.Ack{}, fmt.Errorf("send %s: %s %s", clientID, f.Type, f.Data)
			}
			return ack, nil
		case <-ctx.Done():
			return wire.Ack{}, ctx.Err()
		}
	}
}

// join joins conv after seq and waits for the joined frame.
func (p *peer) join(ctx context.Context, t *testing.T, conv string, after int64) {
	t.Helper()
	ref := fmt.Sprintf("j-%d", after)
	if err := p.c.Send(ctx, wire.TypeConversationJoin, ref, wire.ConversationJoin{ConversationID: conv, AfterSeq: after}); err != nil {
		t.Fatal(err)
	}
	if f := p.await(ctx, t, "join", client.Reply(ref)); f.Type != wire.TypeJoined {
		t.Fatalf("join: %s %s", f.Type, f.Data)
	}
}
