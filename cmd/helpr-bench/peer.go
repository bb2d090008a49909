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
	at    time.Time
	conv  string
	kind  sendKind
	n     int64  // the ref's number: resends go out in send order
	frame []byte // message.send: the encoded frame, resent as is after a drop or pushback
	tries int    // resends so far (a resent message may be acked as a duplicate)
}

// peer is one bench connection: a reader goroutine checks every frame it
// receives; the goroutine that owns the peer sends. Safe for one sender
// and the reader; mu guards the state they share.
type peer struct {
	r       *runner
	id      int
	redial  func(ctx context.Context) (*client.Conn, error) // a new connection for the same subject
	ready   chan wire.Ready
	kind    string // "visitor" or "agent", from ready
	subject string
	done    chan struct{}
	closing atomic.Bool
	refN    atomic.Int64
	sendMu  sync.Mutex
	cancel  context.CancelFunc

	mu      sync.Mutex
	conn    *client.Conn // replaced on reconnect (under sendMu and mu)
	waiters map[string]chan client.Frame
	pending map[string]sent
	retired map[string]struct{}    // refs acked after a resend: a second ack for them is expected
	follows map[string]struct{}    // conversations to join again after a reconnect
	resumes int                    // reconnects so far
	scope   string                 // the inbox.watch scope to set again after a reconnect ("": none sent)
	acked   map[string]int64       // conversation → highest acked seq
	streams map[string]*seqTracker // conversation → what this peer received
	inbox   map[string]time.Time   // conversation → first state frame seen
	readErr error
}

// newPeer wraps a dialled connection, starts its reader and waits for ready.
func newPeer(ctx context.Context, r *runner, conn *client.Conn, redial func(context.Context) (*client.Conn, error)) (*peer, error) {
	rctx, cancel := context.WithCancel(context.Background())
	p := &peer{
		r: r, id: r.nextPeerID(), conn: conn, redial: redial, ready: make(chan wire.Ready, 1), done: make(chan struct{}), cancel: cancel,
		waiters: map[string]chan client.Frame{}, pending: map[string]sent{}, acked: map[string]int64{},
		streams: map[string]*seqTracker{}, inbox: map[string]time.Time{},
		retired: map[string]struct{}{}, follows: map[string]struct{}{},
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
		f, err := p.currentConn().NextRaw(ctx)
		if err == nil {
			p.handle(ownFrame(f), time.Now())
			continue
		}
		if p.closing.Load() || ctx.Err() != nil {
			p.setErr(err)
			return
		}
		p.r.dropped(err)
		if p.kind != "" && p.redial != nil && p.reconnect(ctx) {
			continue
		}
		p.setErr(err)
		if !p.closing.Load() {
			p.r.m.add(cErrors, 1)
			p.r.v.fail("disconnected", fmt.Sprintf("connection %d (%s) lost and not reconnected (close status %d): %v", p.id, p.kind, client.CloseStatus(err), err))
		}
		return
	}
}

func (p *peer) setErr(err error) {
	p.mu.Lock()
	p.readErr = err
	p.mu.Unlock()
}

// currentConn is the connection in use.
func (p *peer) currentConn() *client.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn
}

// ownFrame is f as handle takes it: message and ack frames, which handle
// reads before the next NextRaw and keeps nothing of, share the read
// buffer; the others, which may be handed on, get their own copy.
func ownFrame(f client.RawFrame) client.Frame {
	if f.Type == wire.TypeMessage || f.Type == wire.TypeAck {
		return client.Frame{Type: f.Type, Ref: f.Ref, Data: f.Data}
	}
	return f.Frame()
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
		m, err := decodeMessage(f.Data)
		if err != nil {
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
	a, err := decodeAck(f.Data)
	if err != nil {
		p.r.v.fail("bad_frame", "undecodable ack frame")
		return
	}
	p.mu.Lock()
	s, ok := p.pending[f.Ref]
	delete(p.pending, f.Ref)
	_, late := p.retired[f.Ref]
	if ok && s.tries > 0 {
		p.retired[f.Ref] = struct{}{}
	}
	if ok && a.Seq > p.acked[a.ConversationID] {
		p.acked[a.ConversationID] = a.Seq
	}
	p.mu.Unlock()
	switch {
	case !ok && late:
		// The answer to a second send of a message already acked.
	case !ok:
		p.r.v.fail("unexpected_ack", fmt.Sprintf("connection %d got an ack for unknown ref %q", p.id, f.Ref))
	case a.Duplicate && s.tries == 0:
		p.r.v.fail("duplicate_ack", fmt.Sprintf("connection %d: a fresh client_id was acked as duplicate", p.id))
	default:
		p.r.m.add(cAcks, 1)
		p.r.m.observe(lAck, now.Sub(s.at))
	}
}

func (p *peer) onError(f client.Frame) {
	var e wire.Error
	_ = f.Decode(&e)
	if isPushback(e.Code) && p.pushback(f.Ref, retryDelay(e)) {
		return
	}
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

// deliver records a message frame in its conversation's stream. After a
// reconnect a seq already held is a replay of the resume (the protocol's
// at-least-once across reconnects): dropped, as the widget does.
func (p *peer) deliver(m wire.Message, now time.Time) {
	p.mu.Lock()
	st := p.streams[m.ConversationID]
	if st == nil {
		st = &seqTracker{}
		p.streams[m.ConversationID] = st
	}
	if p.resumes > 0 && st.holds(m.Seq) {
		p.mu.Unlock()
		p.r.m.add(cReplayed, 1)
		return
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
	return p.currentConn().Send(wctx, typ, ref, data)
}

// sendAsync sends a request whose answer the reader checks (a
// conversation): it stays pending until then.
func (p *peer) sendAsync(ctx context.Context, kind sendKind, typ, conv string, data any) error {
	n := p.refN.Add(1)
	ref := "s" + strconv.FormatInt(n, 10)
	p.mu.Lock()
	p.pending[ref] = sent{at: time.Now(), conv: conv, kind: kind, n: n}
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

// errGone is a send on a connection that is closed for good.
var errGone = errors.New("connection closed")

// sendMessage posts one message stamped with its send time. The frame is
// encoded by hand and kept while pending: a write that fails because the
// connection dropped is not an error, the reader reconnects and resends it
// with the same client_id.
func (p *peer) sendMessage(ctx context.Context, conv string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-p.done:
		return errGone
	default:
	}
	n := p.refN.Add(1)
	now := time.Now()
	ref := "s" + strconv.FormatInt(n, 10)
	clientID := "b" + strconv.Itoa(p.id) + "-" + strconv.FormatInt(n, 10) + "-" + strconv.FormatInt(now.UnixNano(), 36)
	frame := appendMessageSend(make([]byte, 0, 160), ref, conv, clientID, stampText(now))
	wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	p.mu.Lock()
	p.pending[ref] = sent{at: now, conv: conv, kind: pendingMessage, n: n, frame: frame}
	conn := p.conn
	p.mu.Unlock()
	p.r.m.add(cMessages, 1)
	if err := conn.SendRaw(wctx, frame); err != nil && p.closing.Load() {
		return err
	}
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
	_ = p.currentConn().CloseNow()
	p.cancel()
	<-p.done
}

// follow marks conv as joined: a reconnect joins it again.
func (p *peer) follow(conv string) {
	p.mu.Lock()
	p.follows[conv] = struct{}{}
	p.mu.Unlock()
}

// watchInbox sends inbox.watch with scope; a reconnect sends it again.
func (p *peer) watchInbox(ctx context.Context, scope string) error {
	p.mu.Lock()
	p.scope = scope
	p.mu.Unlock()
	return p.send(ctx, wire.TypeInboxWatch, "", wire.InboxWatch{Scope: scope})
}
