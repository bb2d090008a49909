package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/transport/wire"
)

// revocationBound is the documented bound for a revocation on one node to
// close the session's sockets on every other node (README "Running a
// cluster"): Redis pub/sub normally delivers in milliseconds; a lost
// message is covered by the 30 s cache age plus the idle re-check (at
// least every 12.5 s).
const revocationBound = 45 * time.Second

// Three real `helpr serve` processes share one Redis and one MongoDB-wire
// server. A visitor on node 1 and an agent on node 2 chat as on one node;
// logging out on node 3 closes the agent's socket on node 2; a Redis outage
// and a SIGKILLed node lose no acked message and deliver nothing twice or
// out of order.
func TestClusterOfThreeNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	rds := testsvc.NewRedis(t)
	data := t.TempDir() // the nodes share the keyring
	args := []string{"--data-dir", data, "--store", "mongo", "--mongo-uri", testsvc.MongoURI(t),
		"--mongo-db", testsvc.MongoDatabase(t), "--redis-url", rds.URL()}
	n1 := startProc(t, "n1", freeAddr(t), args...)
	n2 := startProc(t, "n2", freeAddr(t), args...)
	n3 := startProc(t, "n3", freeAddr(t), args...)
	r1, r2, r3 := n1.asNode(), n2.asNode(), n3.asNode()

	tn := r1.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	vtok := r1.visitor(tn, "Vera")
	var conv string
	agentLog, visLog := newLedger(), newLedger()
	dialPeer := func(n *node, o client.Options, l *ledger) *peer {
		c := n.dial(ctx, o)
		return newPeer(c, &conv, l)
	}
	agent := dialPeer(r2, client.Options{Token: tn.owner.AccessToken}, agentLog)
	visOpts := client.Options{Token: vtok, WidgetKey: tn.widgetKey, Origin: tn.origin}
	vis := dialPeer(r1, visOpts, visLog)

	// The visitor starts on node 1; the only agent, online on node 2, is assigned.
	if err := vis.c.Send(ctx, wire.TypeConversationStart, "start", nil); err != nil {
		t.Fatal(err)
	}
	var c wire.Conversation
	_ = vis.await(ctx, t, "start", client.Reply("start")).Decode(&c)
	conv = c.ID
	_ = agent.await(ctx, t, "assignment on node 2", func(f client.Frame) bool {
		var got wire.Conversation
		return f.Type == wire.TypeConversation && f.Decode(&got) == nil && got.ID == conv && got.AssigneeID == tn.ownerID
	})
	agent.join(ctx, t, conv, 0)

	mustSend := func(p *peer, id string) int64 {
		ack, err := p.send(ctx, t, conv, id, "text "+id)
		if err != nil {
			t.Fatalf("send %s: %v", id, err)
		}
		return ack.Seq
	}
	for i := 1; i <= 3; i++ {
		mustSend(vis, fmt.Sprintf("v%d", i))
	}
	last := mustSend(agent, "a1")
	agentLog.waitSeq(ctx, t, "agent on node 2", last)
	visLog.waitSeq(ctx, t, "visitor on node 1", last)

	// Logging out on node 3 closes the agent's socket on node 2.
	start := time.Now()
	if code := r3.call("POST", "/rest/v1/auth/logout", tn.owner.AccessToken, nil, nil); code != http.StatusNoContent {
		t.Fatalf("logout on node 3: %d", code)
	}
	select {
	case err := <-agent.closed:
		if client.CloseStatus(err) != int(wire.CloseSessionRevoked) {
			t.Fatalf("agent socket on node 2: %v, want close %d", err, wire.CloseSessionRevoked)
		}
	case <-time.After(revocationBound):
		t.Fatalf("agent socket on node 2 still open %v after logout on node 3", revocationBound)
	}
	t.Logf("logout on node 3 closed the socket on node 2 after %v", time.Since(start))
	tn.owner = r2.login("owner@acme.test", "correct horse battery")
	agent = dialPeer(r2, client.Options{Token: tn.owner.AccessToken}, agentLog)
	agent.join(ctx, t, conv, agentLog.lastSeq())

	// Redis goes away mid-conversation and comes back.
	rds.Stop()
	for i := 4; i <= 6; i++ {
		last = mustSend(vis, fmt.Sprintf("v%d", i)) // stored in MongoDB, acked
	}
	rds.Start()
	agentLog.waitSeq(ctx, t, "agent after the Redis outage", last)

	// Node 1 dies with SIGKILL mid-stream; the visitor resumes on node 3.
	acked := map[string]int64{}
	for i := 7; i <= 20; i++ {
		id := fmt.Sprintf("v%d", i)
		if i == 12 {
			n1.kill()
		}
		ack, err := vis.send(ctx, t, conv, id, "text "+id)
		if err != nil {
			break // the node is gone; this one may or may not be stored
		}
		acked[id] = ack.Seq
	}
	vis = dialPeer(r3, visOpts, visLog)
	vis.join(ctx, t, conv, visLog.lastSeq())
	for i := 7; i <= 20; i++ { // resend everything not acked, with the same client ids
		id := fmt.Sprintf("v%d", i)
		if _, ok := acked[id]; ok {
			continue
		}
		acked[id] = mustSend(vis, id)
	}
	for id, seq := range acked {
		if seq < 7 {
			t.Errorf("%s acked with seq %d", id, seq)
		}
		if seq > last {
			last = seq
		}
	}
	agentLog.waitSeq(ctx, t, "agent after node 1 died", last)
	visLog.waitSeq(ctx, t, "visitor on node 3", last)
	if last != 4+3+14 {
		t.Errorf("conversation ends at seq %d, want 21 (every message once)", last)
	}
	agentLog.check(t, "agent")
	visLog.check(t, "visitor")
}
