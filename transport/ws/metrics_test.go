package ws

import (
	"context"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// Every acked message.send is timed into helpr_ack_seconds; a refused one
// is not.
func TestMetricAckSeconds(t *testing.T) {
	e := newLimitEnv(t, nil)
	c := e.dial(e.visitor(), true)
	conv, refusal := start(t, c)
	if refusal != nil {
		t.Fatalf("start refused: %+v", *refusal)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a deadlock guard
	defer cancel()
	for _, m := range []struct{ ref, conv, want string }{
		{"m1", conv.ID, wire.TypeAck}, {"m2", conv.ID, wire.TypeAck}, {"m3", "cnv_missing", wire.TypeError},
	} {
		send := wire.MessageSend{ConversationID: m.conv, ClientID: "c-" + m.ref, Text: "hello"}
		if err := c.Send(ctx, wire.TypeMessageSend, m.ref, send); err != nil {
			t.Fatal(err)
		}
		f, err := c.Await(ctx, client.Reply(m.ref))
		if err != nil || f.Type != m.want {
			t.Fatalf("%s: answered %v (%v), want %s", m.ref, f.Type, err, m.want)
		}
	}
	if n := e.metrics.AckSeconds.Count(); n != 2 {
		t.Fatalf("helpr_ack_seconds counted %d acks, want 2", n)
	}
}
