// Package client is a small Go client for helpr's WebSocket protocol
// (docs/protocol.md). It speaks the public wire format only and is used by
// helpr's own integration tests and load harness.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/transport/wire"
)

// Options says how to connect.
type Options struct {
	// Token is an access or visitor token. By default it is sent in the
	// Authorization header; with AuthFrame it is sent in a first auth frame.
	Token     string
	AuthFrame bool
	// Origin, when set, is sent as the Origin header (what a browser does).
	Origin string
	// WidgetKey is a visitor's publishable key, sent as ?key=.
	WidgetKey string
	// Header holds any other request headers (cookies, for instance).
	Header http.Header
}

// Frame is one decoded server frame.
type Frame struct {
	Type string
	Ref  string
	Data json.RawMessage
}

// Decode unmarshals the frame's data into v.
func (f Frame) Decode(v any) error { return json.Unmarshal(f.Data, v) }

// Conn is one client connection. Send and Next may be used from different
// goroutines, but each only from one at a time.
type Conn struct {
	ws *websocket.Conn
	// The reader's state: buf holds the last message read, rest its
	// frames not yet returned (while more is true), dec the frame decoder.
	buf  []byte
	rest []byte
	more bool
	dec  decoder
}

// maxKeptBuffer is the largest read buffer kept between messages.
const maxKeptBuffer = 64 << 10

// Dial connects to the helpr server at baseURL ("http://host:port").
func Dial(ctx context.Context, baseURL string, o Options) (*Conn, *http.Response, error) {
	u, err := wsURL(baseURL, o.WidgetKey)
	if err != nil {
		return nil, nil, err
	}
	h := http.Header{}
	for k, v := range o.Header {
		h[k] = v
	}
	if o.Origin != "" {
		h.Set("Origin", o.Origin)
	}
	if o.Token != "" && !o.AuthFrame {
		h.Set("Authorization", "Bearer "+o.Token)
	}
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, resp, err
	}
	ws.SetReadLimit(1 << 20)
	c := &Conn{ws: ws}
	if o.Token != "" && o.AuthFrame {
		if err := c.Send(ctx, wire.TypeAuth, "", wire.Auth{Token: o.Token}); err != nil {
			_ = ws.CloseNow()
			return nil, resp, err
		}
	}
	return c, resp, nil
}

func wsURL(baseURL, key string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/") + "/rest/v1/ws")
	if err != nil {
		return "", fmt.Errorf("parse base url: %w", err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	if key != "" {
		u.RawQuery = url.Values{"key": {key}}.Encode()
	}
	return u.String(), nil
}

// Send writes one frame.
func (c *Conn) Send(ctx context.Context, typ, ref string, data any) error {
	var raw json.RawMessage
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("encode %s: %w", typ, err)
		}
		raw = b
	}
	b, err := json.Marshal(wire.Envelope{Type: typ, Ref: ref, Data: raw})
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	return c.SendRaw(ctx, b)
}

// SendRaw writes bytes as one text message, unchecked (for tests of the
// server's validation).
func (c *Conn) SendRaw(ctx context.Context, b []byte) error {
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// Next returns the next server frame, splitting coalesced messages.
func (c *Conn) Next(ctx context.Context) (Frame, error) {
	f, err := c.NextRaw(ctx)
	if err != nil {
		return Frame{}, err
	}
	return f.Frame(), nil
}

// NextRaw is Next without the copy: the frame's Data aliases the read
// buffer and is valid only until the next call to NextRaw or Next. It
// decodes the envelope in one pass and, once warm, reads a frame of a
// type seen before without allocating (a non-empty Ref is one string).
func (c *Conn) NextRaw(ctx context.Context) (RawFrame, error) {
	if !c.more {
		if err := c.read(ctx); err != nil {
			return RawFrame{}, err
		}
	}
	raw := c.rest
	if i := bytes.IndexByte(raw, '\n'); i >= 0 {
		raw, c.rest = raw[:i], raw[i+1:]
	} else {
		c.rest, c.more = nil, false
	}
	return c.dec.decode(raw)
}

// read reads the next message into c.buf, reusing it.
func (c *Conn) read(ctx context.Context) error {
	_, r, err := c.ws.Reader(ctx)
	if err != nil {
		return err
	}
	if cap(c.buf) > maxKeptBuffer {
		c.buf = nil
	}
	b := c.buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	c.buf, c.rest, c.more = b, b, true
	return nil
}

// Await returns the first frame for which match is true, discarding the
// frames before it.
func (c *Conn) Await(ctx context.Context, match func(Frame) bool) (Frame, error) {
	for {
		f, err := c.Next(ctx)
		if err != nil {
			return Frame{}, err
		}
		if match(f) {
			return f, nil
		}
	}
}

// Close closes the connection normally.
func (c *Conn) Close() error { return c.ws.Close(websocket.StatusNormalClosure, "") }

// CloseNow drops the connection without the close handshake.
func (c *Conn) CloseNow() error { return c.ws.CloseNow() }

// CloseStatus returns the WebSocket close code carried by err, or -1.
func CloseStatus(err error) int { return int(websocket.CloseStatus(err)) }

// OfType matches frames of type typ.
func OfType(typ string) func(Frame) bool { return func(f Frame) bool { return f.Type == typ } }

// Reply matches the frame answering ref (an ack, a result or an error).
func Reply(ref string) func(Frame) bool { return func(f Frame) bool { return f.Ref == ref } }
