package webhook

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// noAllow leaves AllowHosts empty: the production default.
func noAllow(c *Config) { c.AllowHosts = nil }

// An endpoint on 127.0.0.1 stored without CheckURL (or whose name
// re-resolved) is refused at dial time: the receiver sees nothing.
func TestLoopbackRefusedAtDialTime(t *testing.T) {
	e := newEnv(t, noAllow)
	rc := newReceiver(t)
	ep := e.endpoint(rc.srv.URL, "message.created")
	e.emit("message.created", map[string]any{"n": 1})
	e.drain()
	if rc.count.Load() != 0 {
		t.Fatal("the receiver on 127.0.0.1 was reached without AllowHosts")
	}
	d := e.deliveries(ep.ID)[0]
	if d.Status != storage.WebhookFailed || d.LastError != "destination address refused" {
		t.Errorf("delivery %#v", d)
	}
}

// A host name resolving to 127.0.0.1 (localhost: DNS rebinding's end
// state) is refused on the connected address, although 127.0.0.1 the
// name is not what AllowHosts would have to name; a custom resolver that
// answers 127.0.0.1 for a public-looking name is refused too.
func TestNameResolvingToLoopbackRefused(t *testing.T) {
	e := newEnv(t, noAllow)
	rc := newReceiver(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rc.srv.URL, "http://"))
	ep := e.endpoint("http://localhost:"+port+"/hook", "message.created")
	e.emit("message.created", map[string]any{"n": 1})
	e.drain()
	if rc.count.Load() != 0 || e.deliveries(ep.ID)[0].LastError != "destination address refused" {
		t.Fatalf("localhost reached: %d requests, %#v", rc.count.Load(), e.deliveries(ep.ID)[0])
	}

	rebind := newEnv(t, noAllow, func(c *Config) { c.Resolver = loopbackResolver(t) })
	ep = rebind.endpoint("http://hooks.example.com:"+port+"/hook", "message.created")
	rebind.emit("message.created", map[string]any{"n": 1})
	rebind.drain()
	if rc.count.Load() != 0 || rebind.deliveries(ep.ID)[0].LastError != "destination address refused" {
		t.Fatalf("rebound name reached: %#v", rebind.deliveries(ep.ID)[0])
	}

	allowed := newEnv(t, func(c *Config) { c.AllowHosts = []string{"localhost"} })
	ep = allowed.endpoint("http://localhost:"+port+"/hook", "message.created")
	allowed.emit("message.created", map[string]any{"n": 1})
	allowed.drain()
	if d := allowed.deliveries(ep.ID)[0]; d.Status != storage.WebhookDelivered {
		t.Fatalf("localhost allowed by name: %#v", d)
	}
}

// loopbackResolver is a resolver whose DNS server (a goroutine answering
// over an in-memory pipe) says every name is 127.0.0.1.
func loopbackResolver(t *testing.T) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		client, server := net.Pipe()
		go answerA(server)
		return client, nil
	}}
}

// answerA answers DNS queries (TCP framing: the resolver frames a
// non-packet connection with a two-byte length) with an A record
// 127.0.0.1, or an empty answer for other types.
func answerA(c net.Conn) {
	defer c.Close()
	for {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		q := make([]byte, int(l[0])<<8|int(l[1]))
		if _, err := io.ReadFull(c, q); err != nil || len(q) < 12 {
			return
		}
		end := 12
		for end < len(q) && q[end] != 0 {
			end += int(q[end]) + 1
		}
		end += 5 // zero label, qtype, qclass
		if end > len(q) {
			return
		}
		qtype := uint16(q[end-4])<<8 | uint16(q[end-3])
		resp := append([]byte{}, q[:end]...)
		resp[2], resp[3] = 0x81, 0x80 // response, recursion desired and available, no error
		resp[6], resp[7], resp[8], resp[9], resp[10], resp[11] = 0, 0, 0, 0, 0, 0
		if qtype == 1 {
			resp[7] = 1
			resp = append(resp, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1)
		}
		framed := append([]byte{byte(len(resp) >> 8), byte(len(resp))}, resp...)
		if _, err := c.Write(framed); err != nil {
			return
		}
	}
}

// A redirect is not followed: the target never sees the request, and the
// attempt fails with the 3xx.
func TestRedirectNotFollowed(t *testing.T) {
	e := newEnv(t)
	target := newReceiver(t)
	rc := newReceiver(t)
	rc.handle(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.srv.URL+"/stolen", http.StatusTemporaryRedirect)
	})
	ep := e.endpoint(rc.srv.URL, "message.created")
	e.emit("message.created", map[string]any{"n": 1})
	e.drain()
	if target.count.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
	d := e.deliveries(ep.ID)[0]
	if d.Status != storage.WebhookFailed || d.LastStatusCode != 307 || d.LastError != "redirect not followed" {
		t.Errorf("delivery %#v", d)
	}
}

// A receiver slower than Timeout fails the attempt with "timeout".
func TestSlowReceiverTimesOut(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Timeout = 200 * time.Millisecond })
	rc := newReceiver(t)
	rc.handle(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	ep := e.endpoint(rc.srv.URL, "message.created")
	e.emit("message.created", map[string]any{"n": 1})
	start := time.Now()
	e.drain()
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("attempt took %v", el)
	}
	d := e.deliveries(ep.ID)[0]
	if d.Status != storage.WebhookFailed || d.LastError != "timeout" || d.LastStatusCode != 0 {
		t.Errorf("delivery %#v", d)
	}
}

// An endless answer body is read only up to MaxResponseBytes: the
// attempt ends at once as delivered instead of running into the timeout.
func TestResponseBodyCapped(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxResponseBytes = 1024; c.Timeout = 5 * time.Second })
	rc := newReceiver(t)
	written := make(chan int64, 1)
	rc.handle(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat("x", 4096))
		var n int64
		for n < 1<<30 {
			if _, err := w.Write(chunk); err != nil {
				break
			}
			n += int64(len(chunk))
		}
		written <- n
	})
	ep := e.endpoint(rc.srv.URL, "message.created")
	e.emit("message.created", map[string]any{"n": 1})
	start := time.Now()
	e.drain()
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("attempt took %v: the body was not capped", el)
	}
	if d := e.deliveries(ep.ID)[0]; d.Status != storage.WebhookDelivered {
		t.Errorf("delivery %#v", d)
	}
	select {
	case n := <-written:
		if n >= 1<<30 {
			t.Errorf("the receiver wrote %d bytes unhindered", n)
		}
	case <-time.After(5 * time.Second):
		t.Error("the receiver never saw the connection close")
	}
}
