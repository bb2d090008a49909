package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/helpr-chat/helpr/transport/wire"
)

// defaultFrameRate is helpr's default --ws-frame-rate per connection.
const defaultFrameRate = 20

// room is one conversation: a visitor and an agent connection.
type room struct {
	conv    string
	visitor *peer
	agent   *peer
}

// runRooms is `rooms` (and `cluster`, where the visitor and the agent of a
// conversation connect to different targets): conversations each with a
// visitor and an agent sending at --rate overall; e2e and ack latency; every
// stream verified.
func runRooms(ctx context.Context, r *runner, warn io.Writer) error {
	cfg := r.cfg
	r.baseline()
	t, err := provision(ctx, r.rest[0], cfg.orgEmail, cfg.password, cfg.agentAccounts)
	if err != nil {
		return err
	}
	perConn := cfg.rate / float64(2*cfg.conversations)
	if perConn > defaultFrameRate {
		fmt.Fprintf(warn, "helpr-bench: %.1f messages/s per connection is over helpr's default --ws-frame-rate %d: start the server with a higher one\n", perConn, defaultFrameRate)
	}
	live := r.openRooms(ctx, t)
	r.beginMeasure()
	r.sendAll(ctx, live)
	r.endMeasure(r.openPeers())
	r.drain()
	members := map[string][]*peer{}
	for _, rm := range live {
		members[rm.conv] = []*peer{rm.visitor, rm.agent}
	}
	r.finish(members)
	if acked, delivered := r.m.get(cAcks), r.m.get(cDeliveries); acked != delivered {
		r.v.fail("count_mismatch", fmt.Sprintf("%d messages acked but %d delivered to the peer", acked, delivered))
	}
	return nil
}

// openRooms sets up every conversation in two phases: first each visitor
// connects and starts its conversation, then each agent connects and joins
// one. A conversation start reaches every agent connection of the
// organisation whatever its inbox scope, so starting them all before any
// agent is online saves the server (and the harness) conversations ×
// agents frames. In a cluster the visitor and the agent of a conversation
// use different targets. Both follow the conversation: after a reconnect
// they join it again. It returns the rooms that opened.
func (r *runner) openRooms(ctx context.Context, t *tenant) []*room {
	n := r.cfg.conversations
	rooms := make([]*room, n)
	r.parallel(ctx, n, r.cfg.ramp, "setup", func(ctx context.Context, i int) error {
		v, conv, err := r.startConversation(ctx, i%len(r.targets), t.WidgetKey)
		if err == nil {
			rooms[i] = &room{conv: conv, visitor: v}
		}
		return err
	})
	r.parallel(ctx, n, r.cfg.ramp, "setup", func(ctx context.Context, i int) error {
		if rooms[i] == nil {
			return nil
		}
		a, err := r.joinAgent(ctx, (i+1)%len(r.targets), t.Tokens[i%len(t.Tokens)].Access, rooms[i].conv)
		if err != nil {
			rooms[i] = nil
			return err
		}
		rooms[i].agent = a
		rooms[i].visitor.follow(rooms[i].conv)
		return nil
	})
	live := make([]*room, 0, n)
	for _, rm := range rooms {
		if rm != nil {
			live = append(live, rm)
		}
	}
	return live
}

// joinAgent connects an agent, sets its inbox scope and joins conv.
func (r *runner) joinAgent(ctx context.Context, target int, token, conv string) (*peer, error) {
	a, err := r.dialWatchingAgent(ctx, target, token)
	if err != nil {
		return nil, err
	}
	joinAt := time.Now()
	if _, err := a.request(ctx, wire.TypeConversationJoin, wire.ConversationJoin{ConversationID: conv}); err != nil {
		return nil, err
	}
	r.m.observe(lJoin, time.Since(joinAt))
	a.follow(conv)
	return a, nil
}

// startConversation connects a visitor and starts its conversation.
func (r *runner) startConversation(ctx context.Context, target int, widgetKey string) (*peer, string, error) {
	v, err := r.dialVisitor(ctx, target, widgetKey)
	if err != nil {
		return nil, "", err
	}
	startAt := time.Now()
	f, err := v.request(ctx, wire.TypeConversationStart, nil)
	if err != nil {
		return nil, "", err
	}
	r.m.observe(lStart, time.Since(startAt))
	var c struct {
		ID string `json:"id"`
	}
	if err := f.Decode(&c); err != nil || c.ID == "" {
		return nil, "", fmt.Errorf("conversation.start: no conversation in the answer")
	}
	return v, c.ID, nil
}

// dialWatchingAgent connects an agent and sets its inbox scope. Every agent
// connection would otherwise receive every conversation's activity (the
// console's inbox): --agent-inbox says how much.
func (r *runner) dialWatchingAgent(ctx context.Context, target int, token string) (*peer, error) {
	a, err := r.dialAgent(ctx, target, token)
	if err != nil {
		return nil, err
	}
	if err := a.watchInbox(ctx, r.cfg.agentInbox); err != nil {
		return nil, err
	}
	return a, nil
}

// sendAll makes both sides of every room send at their share of --rate
// for --duration, send times spread evenly.
func (r *runner) sendAll(ctx context.Context, rooms []*room) {
	if len(rooms) == 0 {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, r.cfg.duration)
	defer cancel()
	senders := 2 * len(rooms)
	interval := time.Duration(float64(time.Second) * float64(senders) / r.cfg.rate)
	begin := time.Now()
	var wg sync.WaitGroup
	for i, rm := range rooms {
		for side, p := range []*peer{rm.visitor, rm.agent} {
			k := 2*i + side
			offset := interval * time.Duration(k) / time.Duration(senders)
			wg.Add(1)
			go func() {
				defer wg.Done()
				pace(sctx, begin.Add(offset), interval, func() bool { return p.sendMessage(sctx, rm.conv) == nil })
			}()
		}
	}
	wg.Wait()
}

// pace calls send at first, then every interval, until ctx ends or send
// fails. A sender that falls behind does not catch up in a burst. One timer
// per sender, reset for each send.
func pace(ctx context.Context, first time.Time, interval time.Duration, send func() bool) {
	t := time.NewTimer(time.Until(first))
	defer t.Stop()
	next := first
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ctx.Err() != nil || !send() {
			return
		}
		next = next.Add(interval)
		now := time.Now()
		if next.Before(now) {
			next = now
		}
		t.Reset(next.Sub(now))
	}
}
