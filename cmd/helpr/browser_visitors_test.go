package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// visitorPool lets the browser script play visitors who chat through the
// protocol, straight to a node (not through the browsers' cut proxy), so the
// console scenarios can make messages arrive in conversations that are not
// open without driving a second browser:
//
//	POST /__visitor-start?name=N&text=T  → {"conversation_id": …} (a new
//	     visitor starts a conversation and says T, acked)
//	POST /__visitor-say?conv=ID&text=T   → 204 once T is acked
type visitorPool struct {
	n  *node
	tn tenant

	mu    sync.Mutex // one frame exchange at a time
	convs map[string]*visitorConn
	seq   int
	wg    sync.WaitGroup // the readers
}

// visitorConn is one visitor's connection. Its reader goroutine keeps
// reading (so the server's pings are answered while the script is busy
// elsewhere) and hands on the replies to the pool's requests.
type visitorConn struct {
	c       *client.Conn
	replies chan client.Frame
}

func newVisitorPool(n *node, tn tenant) *visitorPool {
	return &visitorPool{n: n, tn: tn, convs: map[string]*visitorConn{}}
}

// register adds the pool's controls to the host site's mux.
func (p *visitorPool) register(mux *http.ServeMux) {
	mux.HandleFunc("POST /__visitor-start", func(w http.ResponseWriter, r *http.Request) {
		id, err := p.start(r.Context(), r.URL.Query().Get("name"), r.URL.Query().Get("text"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"conversation_id": id})
	})
	mux.HandleFunc("POST /__visitor-say", func(w http.ResponseWriter, r *http.Request) {
		if err := p.say(r.Context(), r.URL.Query().Get("conv"), r.URL.Query().Get("text")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// close drops every visitor connection and waits for the readers.
func (p *visitorPool) close() {
	p.mu.Lock()
	for _, v := range p.convs {
		_ = v.c.CloseNow()
	}
	p.convs = map[string]*visitorConn{}
	p.mu.Unlock()
	p.wg.Wait()
}

// start creates a visitor through the widget, connects it as the widget
// iframe would, starts a conversation and sends text (when not empty).
func (p *visitorPool) start(ctx context.Context, name, text string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	token, err := p.session(ctx, name)
	if err != nil {
		return "", err
	}
	c, _, err := client.Dial(ctx, p.n.base, client.Options{Token: token, AuthFrame: true, WidgetKey: p.tn.widgetKey, Origin: p.tn.origin})
	if err != nil {
		return "", fmt.Errorf("dial: %w", err)
	}
	v := &visitorConn{c: c, replies: make(chan client.Frame, 16)}
	p.wg.Add(1)
	go p.read(v)
	f, err := p.exchange(ctx, v, wire.TypeConversationStart, nil, wire.TypeConversation)
	if err != nil {
		_ = c.CloseNow()
		return "", err
	}
	var conv wire.Conversation
	if err := f.Decode(&conv); err != nil {
		_ = c.CloseNow()
		return "", fmt.Errorf("decode conversation: %w", err)
	}
	p.convs[conv.ID] = v
	if text != "" {
		if err := p.send(ctx, v, conv.ID, text); err != nil {
			return "", err
		}
	}
	return conv.ID, nil
}

// read passes frames answering a request (with a ref) on and drops the
// rest, until the connection ends.
func (p *visitorPool) read(v *visitorConn) {
	defer p.wg.Done()
	defer close(v.replies)
	for {
		f, err := v.c.Next(context.Background())
		if err != nil {
			return
		}
		if f.Ref == "" {
			continue
		}
		select {
		case v.replies <- f:
		default: // nobody is waiting for it any more
		}
	}
}

// say sends text as the visitor of a conversation start created.
func (p *visitorPool) say(ctx context.Context, conv, text string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.convs[conv]
	if v == nil {
		return fmt.Errorf("no visitor for conversation %q", conv)
	}
	return p.send(ctx, v, conv, text)
}

func (p *visitorPool) send(ctx context.Context, v *visitorConn, conv, text string) error {
	p.seq++
	msg := wire.MessageSend{ConversationID: conv, ClientID: fmt.Sprintf("vis-%d-%d", time.Now().UnixNano(), p.seq), Text: text}
	_, err := p.exchange(ctx, v, wire.TypeMessageSend, msg, wire.TypeAck)
	return err
}

// exchange sends one frame and waits for its reply, which must be of type want.
func (p *visitorPool) exchange(ctx context.Context, v *visitorConn, typ string, data any, want string) (client.Frame, error) {
	p.seq++
	ref := fmt.Sprintf("r%d", p.seq)
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := v.c.Send(ctx, typ, ref, data); err != nil {
		return client.Frame{}, fmt.Errorf("%s: %w", typ, err)
	}
	for {
		select {
		case <-ctx.Done():
			return client.Frame{}, fmt.Errorf("%s: %w", typ, ctx.Err())
		case f, ok := <-v.replies:
			if !ok {
				return client.Frame{}, fmt.Errorf("%s: connection closed", typ)
			}
			if f.Ref != ref {
				continue
			}
			if f.Type != want {
				return client.Frame{}, fmt.Errorf("%s: got %s %s", typ, f.Type, f.Data)
			}
			return f, nil
		}
	}
}

// session creates a visitor session through the widget, as the iframe does.
func (p *visitorPool) session(ctx context.Context, name string) (string, error) {
	body, _ := json.Marshal(map[string]string{"publishable_key": p.tn.widgetKey, "name": name})
	req, err := http.NewRequestWithContext(ctx, "POST", p.n.base+"/rest/v1/visitor/sessions", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", p.tn.origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("visitor session: %w", err)
	}
	defer resp.Body.Close()
	var vs struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&vs); err != nil || resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("visitor session: status %d, %v", resp.StatusCode, err)
	}
	return vs.Token, nil
}
