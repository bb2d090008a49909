package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// sendKind says what a pending request waits for.
type sendKind int

const (
	pendingMessage sendKind = iota // message.send, answered by ack
	pendingStart                   // conversation.start, answered by conversation
)

// sent is one request awaiting its answer.
type sent struct {
	at   time.Time
	conv string
	kind sendKind
}

// peer is one bench connection: a reader goroutine checks every frame it
// receives; the goroutine that owns the peer sends. Safe for one sender
// and the reader; mu guards the state they share.
type peer struct {
	r       *runner
	id      int
	conn    *client.Conn
	ready   chan wire.Ready
	kind    string // "visitor" or "agent", from ready
	subject string
	done    chan struct{}
	closing atomic.Bool
	refN    atomic.Int64
	sendMu  sync.Mutex
	cancel  context.CancelFunc

	mu      sync.Mutex
	waiters map[string]chan client.Frame
	pending map[string]sent
	acked   map[string]int64       // conversation → highest acked seq
	streams map[string]*seqTracker // conversation → what this peer received
	inbox   map[string]time.Time   // conversation → first state frame seen
	readErr error
}

// newPeer wraps a dialled connection, starts its reader and waits for ready.
func newPeer(ctx context.Context, r *runner, conn *client.Conn) (*peer, error) {
	rctx, cancel := context.WithCancel(context.Background())
	p := &peer{
		r: r, id: r.nextPeerID(), conn: conn, ready: make(chan wire.Ready, 1), done: make(chan struct{}), cancel: cancel,
		waiters: map[string]chan client.Frame{}, pending: map[string]sent{}, acked: map[string]int64{},
		streams: map[string]*seqTracker{}, inbox: map[string]time.Time{},
	}
	go p.readLoop(rctx)
	select {
	case <-p.ready:
		r.addPeer(p)
		return p, nil
	case <-p.done:
		p.close()
		return nil, fmt.Errorf("await ready: %w", p.err())
	case <-ctx.Done():
		p.close()
		return nil, fmt.Errorf("await ready: %w", ctx.Err())
	}
}

func (p *peer) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readErr
}

func (p *peer) readLoop(ctx context.Context) {
	defer close(p.done)
	for {
		f, err := p.conn.Next(ctx)
		if err != nil {
			p.mu.Lock()
			p.readErr = err
			p.mu.Unlock()
			if !p.closing.Load() {
				p.r.m.add(cErrors, 1)
				p.r.v.fail("disconnected", fmt.Sprintf("connection %d (%s) lost (close status %d): %v", p.id, p.kind, client.CloseStatus(err), err))
			}
			return
		}
		p.handle(f, time.Now())
	}
}

// handle checks one frame.
func (p *peer) handle(f client.Frame, now time.Time) {
	switch f.Type {
	case wire.TypeReady:
		var rd wire.Ready
		_ = f.Decode(&rd)
		if p.kind == "" { // only the reader writes these; newPeer reads them after ready
			p.kind, p.subject = rd.Kind, rd.SubjectID
		}
		select {
		case p.ready <- rd:
		default:
		}
	case wire.TypeAck:
		p.onAck(f, now)
	case wire.TypeMessage:
		var m wire.Message
		if err := f.Decode(&m); err != nil {
			p.r.v.fail("bad_frame", "undecodable message frame")
			return
		}
		p.r.receive(p, m, now)
	case wire.TypeError:
		p.onError(f)
	case wire.TypeConversation:
		p.onConversation(f, now)
	default:
		p.answer(f)
	}
}

// answer hands a reply to the request waiting for it, if any.
func (p *peer) answer(f client.Frame) bool {
	if f.Ref == "" {
		return false
	}
	p.mu.Lock()
	ch, ok := p.waiters[f.Ref]
	delete(p.waiters, f.Ref)
	p.mu.Unlock()
	if ok {
		ch <- f
	}
	return ok
}

func (p *peer) onAck(f client.Frame, now time.Time) {
	var a wire.Ack
	if err := f.Decode(&a); err != nil {
		p.r.v.fail("bad_frame", "undecodable ack frame")
		return
	}
	p.mu.Lock()
	s, ok := p.pending[f.Ref]
	delete(p.pending, f.Ref)
	if ok && a.Seq > p.acked[a.ConversationID] {
		p.acked[a.ConversationID] = a.Seq
	}
	p.mu.Unlock()
	switch {
	case !ok:
		p.r.v.fail("unexpected_ack", fmt.Sprintf("connection %d got an ack for unknown ref %q", p.id, f.Ref))
	case a.Duplicate:
		p.r.v.fail("duplicate_ack", fmt.Sprintf("connection %d: a fresh client_id was acked as duplicate", p.id))
	default:
		p.r.m.add(cAcks, 1)
		p.r.m.observe(lAck, now.Sub(s.at))
	}
}

func (p *peer) onError(f client.Frame) {
	var e wire.Error
	_ = f.Decode(&e)
	p.mu.Lock()
	_, pend := p.pending[f.Ref]
	delete(p.pending, f.Ref)
	p.mu.Unlock()
	if p.answer(f) {
		return
	}
	p.r.m.add(cErrors, 1)
	if pend {
		p.r.v.fail("refused", fmt.Sprintf("connection %d: request refused with %s%s", p.id, e.Code, refusalHint(e.Code, e.RetryAfter)))
		return
	}
	p.r.v.fail("error_frame", fmt.Sprintf("connection %d: unsolicited error %s", p.id, e.Code))
}

func (p *peer) onConversation(f client.Frame, now time.Time) {
	track := p.r.trackInbox && p.kind == "agent"
	if f.Ref == "" && !track {
		return // an inbox event nobody measures: skip decoding it
	}
	var c wire.Conversation
	if err := f.Decode(&c); err != nil {
		p.r.v.fail("bad_frame", "undecodable conversation frame")
		return
	}
	p.mu.Lock()
	s, pend := p.pending[f.Ref]
	if pend && f.Ref != "" {
		delete(p.pending, f.Ref)
	}
	_, seen := p.inbox[c.ID]
	if track && !seen {
		p.inbox[c.ID] = now
	}
	p.mu.Unlock()
	if pend && f.Ref != "" {
		p.r.started(c.ID, s.at)
		return
	}
	if p.answer(f) {
		return
	}
	if track && !seen {
		p.r.m.add(cInboxEvents, 1)
	}
}

// deliver records a message frame in its conversation's stream.
func (p *peer) deliver(m wire.Message, now time.Time) {
	p.mu.Lock()
	st := p.streams[m.ConversationID]
	if st == nil {
		st = &seqTracker{}
		p.streams[m.ConversationID] = st
	}
	st.observe(m.Seq)
	p.mu.Unlock()
	if m.SenderKind == p.kind {
		return // this side's own message echoed back
	}
	p.r.m.add(cDeliveries, 1)
	if at, ok := sentAt(m.Text); ok {
		p.r.m.observe(lE2E, now.Sub(at))
	}
}

// request sends a frame and waits for the frame answering it.
func (p *peer) request(ctx context.Context, typ string, data any) (client.Frame, error) {
	ref := "r" + strconv.FormatInt(p.refN.Add(1), 10)
	ch := make(chan client.Frame, 1)
	p.mu.Lock()
	p.waiters[ref] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.waiters, ref)
		p.mu.Unlock()
	}()
	if err := p.send(ctx, typ, ref, data); err != nil {
		return client.Frame{}, err
	}
	select {
	case f := <-ch:
		if f.Type == wire.TypeError {
			var e wire.Error
			_ = f.Decode(&e)
			return f, fmt.Errorf("%s refused: %s%s", typ, e.Code, refusalHint(e.Code, e.RetryAfter))
		}
		return f, nil
	case <-p.done:
		return client.Frame{}, fmt.Errorf("%s: connection closed: %w", typ, p.err())
	case <-ctx.Done():
		return client.Frame{}, fmt.Errorf("%s: %w", typ, ctx.Err())
	}
}

// writeTimeout bounds one frame write.
const writeTimeout = 10 * time.Second

// send writes one frame. It does not write under the caller's ctx: the
// WebSocket library closes a connection whose write context ends, and the
// end of a run's duration must not cut a connection mid-write. ctx only
// stops a send that has not started.
func (p *peer) send(ctx context.Context, typ, ref string, data any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	return p.conn.Send(wctx, typ, ref, data)
}

// sendAsync sends a request whose answer the reader checks (an ack or a
// conversation): it stays pending until then.
func (p *peer) sendAsync(ctx context.Context, kind sendKind, typ, conv string, data any) error {
	n := p.refN.Add(1)
	ref := "s" + strconv.FormatInt(n, 10)
	p.mu.Lock()
	p.pending[ref] = sent{at: time.Now(), conv: conv, kind: kind}
	p.mu.Unlock()
	if err := p.send(ctx, typ, ref, data); err != nil {
		p.mu.Lock()
		delete(p.pending, ref)
		p.mu.Unlock()
		if ctx.Err() == nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			p.r.m.add(cErrors, 1)
			p.r.v.fail("send_failed", fmt.Sprintf("connection %d: %v", p.id, err))
		}
		return err
	}
	return nil
}

// sendMessage posts one message stamped with its send time.
func (p *peer) sendMessage(ctx context.Context, conv string) error {
	n := p.refN.Load() + 1
	now := time.Now()
	data := wire.MessageSend{
		ConversationID: conv,
		ClientID:       "b" + strconv.Itoa(p.id) + "-" + strconv.FormatInt(n, 10) + "-" + strconv.FormatInt(now.UnixNano(), 36),
		Text:           stampText(now),
	}
	if err := p.sendAsync(ctx, pendingMessage, wire.TypeMessageSend, conv, data); err != nil {
		return err
	}
	p.r.m.add(cMessages, 1)
	return nil
}

// stampText is a message text carrying its send time.
func stampText(t time.Time) string { return "bench " + strconv.FormatInt(t.UnixNano(), 10) }

// sentAt reads the send time back from a stamped text.
func sentAt(text string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(text, "bench ")
	if !ok {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// pendingCount is how many requests still await their answer.
func (p *peer) pendingCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}

// close ends the connection; the reader stops.
func (p *peer) close() {
	if p.closing.Swap(true) {
		return
	}
	_ = p.conn.CloseNow()
	p.cancel()
	<-p.done
}
