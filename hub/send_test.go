package hub

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

func TestSendDeliversInOrderToEveryMember(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, Options{})
	v := e.org.visitor()
	c := e.start(t, v)
	recs := make([]*recorder, 3)
	for i, a := range []Actor{v, e.org.agents[0], e.org.agents[1]} {
		recs[i], _ = e.join(t, a, c.ID, 0)
	}
	senders := []Actor{v, e.org.agents[0], e.org.agents[1], v}
	const perSender = 15
	var wg sync.WaitGroup
	for i, a := range senders {
		wg.Go(func() {
			for j := range perSender {
				e.send(t, a, c.ID, fmt.Sprintf("s%d-%d", i, j))
			}
		})
	}
	wg.Wait()
	total := int64(len(senders) * perSender)
	for i, r := range recs {
		wantSeqs(t, fmt.Sprintf("member %d", i), r.seqs(t), 1, total)
	}
	if got := e.codec.messages.Load(); got != total {
		t.Errorf("codec encoded %d messages, want %d (once per message)", got, total)
	}
	a, b := recs[0].all(), recs[2].all()
	if &a[len(a)-1].Data[0] != &b[len(b)-1].Data[0] {
		t.Error("members got different byte slices for one message, want the same encoding")
	}
}

func TestSendIsIdempotentOnClientID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	v := e.org.visitor()
	c := e.start(t, v)
	rec, _ := e.join(t, e.org.agents[0], c.ID, 0)
	ctx := context.Background()
	first, dup, err := e.hub.Send(ctx, v, c.ID, "cid-1", "hi")
	if err != nil || dup {
		t.Fatalf("first send: dup=%v err=%v", dup, err)
	}
	again, dup, err := e.hub.Send(ctx, v, c.ID, "cid-1", "hi")
	if err != nil || !dup {
		t.Fatalf("repeated send: dup=%v err=%v, want duplicate", dup, err)
	}
	if again.ID != first.ID || again.Seq != first.Seq {
		t.Errorf("repeated send returned %s/%d, want %s/%d", again.ID, again.Seq, first.ID, first.Seq)
	}
	wantSeqs(t, "agent", rec.seqs(t), 1, 1)
	_, _, err = e.hub.Send(ctx, e.org.agents[0], c.ID, "cid-1", "hi")
	wantErr(t, "other sender reusing a client id", err, storage.ErrConflict)
}

func TestSendValidatesInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	v := e.org.visitor()
	c := e.start(t, v)
	ctx := context.Background()
	cases := []struct{ name, clientID, text string }{
		{"empty text", "c1", ""},
		{"blank text", "c1", " \n\t"},
		{"text too long", "c1", strings.Repeat("é", MaxTextLength+1)},
		{"invalid utf-8", "c1", "\xff"},
		{"empty client id", "", "hi"},
		{"client id too long", strings.Repeat("x", MaxClientIDLength+1), "hi"},
	}
	for _, tc := range cases {
		_, _, err := e.hub.Send(ctx, v, c.ID, tc.clientID, tc.text)
		wantErr(t, tc.name, err, ErrInvalid)
	}
	_, _, err := e.hub.Send(ctx, v, c.ID, strings.Repeat("x", MaxClientIDLength), strings.Repeat("é", MaxTextLength))
	if err != nil {
		t.Errorf("send at the limits: %v", err)
	}
}

func TestLeaveStopsDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	v := e.org.visitor()
	c := e.start(t, v)
	rec, m := e.join(t, e.org.agents[0], c.ID, 0)
	e.send(t, v, c.ID, "a")
	m.Leave()
	m.Leave() // idempotent
	e.send(t, v, c.ID, "b")
	if err := e.hub.Typing(context.Background(), v, c.ID, true); err != nil {
		t.Fatalf("typing: %v", err)
	}
	if got := len(rec.all()); got != 1 {
		t.Errorf("got %d frames, want 1 (nothing after Leave)", got)
	}
	if n := e.hub.roomCount(); n != 0 {
		t.Errorf("hub holds %d rooms after everyone left, want 0", n)
	}
}

// dropper is a subscriber whose queue is always full: it drops everything.
type dropper struct {
	mu      sync.Mutex
	dropped int
}

func (d *dropper) Deliver(Frame) {
	d.mu.Lock()
	d.dropped++
	d.mu.Unlock()
}

func TestDroppingSubscriberDoesNotAffectOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	v := e.org.visitor()
	c := e.start(t, v)
	slow := &dropper{}
	m, err := e.hub.Join(context.Background(), e.org.agents[0], c.ID, 0, slow)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Leave()
	rec, _ := e.join(t, v, c.ID, 0)
	for i := range 20 {
		e.send(t, v, c.ID, fmt.Sprint(i))
	}
	wantSeqs(t, "healthy member", rec.seqs(t), 1, 20)
	if slow.dropped != 20 {
		t.Errorf("dropping member was offered %d frames, want 20", slow.dropped)
	}
}
