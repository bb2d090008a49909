package ws

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// The finding: on SIGTERM a node sent 1001 without waiting for running
// message.send handlers, so messages were stored but never acked. Now
// Shutdown lets every in-flight send finish: each client receives the ack
// of its stored message before the 1001 close frame, and a frame sent
// behind it is neither processed nor stored.
func TestShutdownAcksInFlightSendsBeforeClosing(t *testing.T) {
	const n = 5
	e := newOutageEnv(t, nil)
	type peer struct {
		c    *client.Conn
		conv string
	}
	peers := make([]peer, n)
	for i := range peers {
		c := e.dial(client.Options{Token: e.visitor(), WidgetKey: e.widget.PublishableKey, Origin: shopOrigin})
		if err := c.Send(deadline(t), wire.TypeConversationStart, "s", nil); err != nil {
			t.Fatal(err)
		}
		f, err := c.Await(deadline(t), client.OfType(wire.TypeJoined))
		if err != nil {
			t.Fatal(err)
		}
		var j wire.Joined
		if err := f.Decode(&j); err != nil {
			t.Fatal(err)
		}
		peers[i] = peer{c: c, conv: j.ConversationID}
	}

	e.store.slow.Store(true)
	for i, p := range peers {
		for k, ref := range []string{"in-flight", "behind"} {
			m := wire.MessageSend{ConversationID: p.conv, ClientID: fmt.Sprintf("c-%d-%d", i, k), Text: ref}
			if err := p.c.Send(deadline(t), wire.TypeMessageSend, ref, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, "every first send to reach the store", func() bool { return e.store.appending.Load() == n })

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- e.srv.Shutdown(ctx)
	}()
	waitFor(t, "every connection to be draining", func() bool {
		e.srv.mu.Lock()
		defer e.srv.mu.Unlock()
		for c := range e.srv.conns {
			if !c.draining.Load() {
				return false
			}
		}
		return e.srv.closing
	})
	close(e.store.release)

	for i, p := range peers {
		var got []string
		ctx := deadline(t)
		for {
			f, err := p.c.Next(ctx)
			if err != nil {
				if code := client.CloseStatus(err); code != int(wire.CloseGoingAway) {
					t.Fatalf("peer %d: closed %d (%v), want %d", i, code, err, wire.CloseGoingAway)
				}
				break
			}
			if f.Type != wire.TypeMessage { // the message echo may come before or after the ack
				got = append(got, f.Type+":"+f.Ref)
			}
		}
		if len(got) != 1 || got[0] != wire.TypeAck+":in-flight" {
			t.Fatalf("peer %d got %v before 1001; want exactly the ack of the in-flight send", i, got)
		}
	}
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for i, p := range peers {
		msgs, err := e.store.ListMessages(context.Background(), e.org, p.conv, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0].Text != "in-flight" {
			t.Fatalf("peer %d: stored %d messages, want only the acked one", i, len(msgs))
		}
	}
}

// Shutdown is bounded: a handler that does not finish in time is dropped
// when ctx ends, and Shutdown says so.
func TestShutdownGivesUpAtItsDeadline(t *testing.T) {
	e := newOutageEnv(t, nil)
	c := e.dial(client.Options{Token: e.visitor(), WidgetKey: e.widget.PublishableKey, Origin: shopOrigin})
	if err := c.Send(deadline(t), wire.TypeConversationStart, "s", nil); err != nil {
		t.Fatal(err)
	}
	f, err := c.Await(deadline(t), client.OfType(wire.TypeJoined))
	if err != nil {
		t.Fatal(err)
	}
	var j wire.Joined
	if err := f.Decode(&j); err != nil {
		t.Fatal(err)
	}
	e.store.slow.Store(true)
	defer close(e.store.release)
	if err := c.Send(deadline(t), wire.TypeMessageSend, "m", wire.MessageSend{ConversationID: j.ConversationID, ClientID: "c", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the send to reach the store", func() bool { return e.store.appending.Load() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown returned nil with a handler still running past its deadline")
	}
	if _, err := c.Next(deadline(t)); err == nil {
		t.Fatal("the connection was not dropped at the deadline")
	}
}

// waitFor polls cond (a state another goroutine reaches) with a deadlock
// guard.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx := deadline(t)
	for !cond() {
		if ctx.Err() != nil {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
