package brokertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/hub"
)

var concurrencyCases = []testCase{
	{"ConcurrentPublishersKeepTheirOrder", testConcurrentPublishersKeepTheirOrder},
	{"ConcurrentSubscribeAndUnsubscribe", testConcurrentSubscribeAndUnsubscribe},
}

// Publishers on two nodes and three channels at once: every subscriber of
// a channel gets every payload of it, each publisher's in its order.
func testConcurrentPublishersKeepTheirOrder(t *testing.T, newNode func() hub.Broker) {
	nodes := map[string]hub.Broker{"a": newNode(), "b": newNode()}
	channels := []string{"room.1", "room.2", "room.3"}
	const perPublisher = 100
	inboxes := map[string]map[string]*inbox{} // node → channel → inbox
	for name, node := range nodes {
		inboxes[name] = map[string]*inbox{}
		for _, ch := range channels {
			inboxes[name][ch] = newInbox()
			subscribe(t, node, ch, inboxes[name][ch])
		}
	}
	var wg sync.WaitGroup
	for name, node := range nodes {
		for _, ch := range channels {
			wg.Go(func() {
				for _, p := range sequence(name+"/"+ch, perPublisher) {
					if err := node.Publish(context.Background(), ch, []byte(p)); err != nil {
						t.Errorf("publish: %v", err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	for node, byChannel := range inboxes {
		for ch, in := range byChannel {
			got := in.waitFor(t, node+" "+ch, len(nodes)*perPublisher)
			for from := range nodes {
				mine := slices.DeleteFunc(slices.Clone(got), func(p string) bool { return !strings.HasPrefix(p, from+"/") })
				if want := sequence(from+"/"+ch, perPublisher); !slices.Equal(mine, want) {
					t.Errorf("node %s, %s, from %s: got %d payloads (in order: %v), want %d in publish order",
						node, ch, from, len(mine), slices.Equal(mine, want), perPublisher)
				}
			}
		}
	}
}

// Goroutines subscribe, publish from another node and unsubscribe at once
// on a few shared channels: each subscription is active when Subscribe
// returns, and nothing races (run with -race).
func testConcurrentSubscribeAndUnsubscribe(t *testing.T, newNode func() hub.Broker) {
	pub, sub := newNode(), newNode()
	channels := []string{"churn.0", "churn.1", "churn.2"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				ch := channels[(g+i)%len(channels)]
				token := fmt.Sprintf("%d/%d", g, i)
				in := newInbox()
				unsub, err := sub.Subscribe(ch, in.fn)
				if err != nil {
					t.Errorf("subscribe %s: %v", ch, err)
					return
				}
				err = pub.Publish(context.Background(), ch, []byte(token))
				if err == nil && !in.waitForPayload(token) {
					t.Errorf("%s: subscriber %s never received its own payload (subscription not active on return)", ch, token)
				}
				unsub()
				if err != nil {
					t.Errorf("publish: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Every subscription is gone: a new one on each channel gets only what
	// follows it.
	for _, ch := range channels {
		in := newInbox()
		subscribe(t, sub, ch, in)
		barrier(t, pub, ch, in, "end")
		if got := in.all(); !slices.Equal(got, []string{"end"}) {
			t.Errorf("%s: a new subscriber got %q, want only the payload that followed it", ch, got)
		}
	}
}
