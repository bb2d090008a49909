package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// Small bounds for these tests; each asserts "closed before" a bound many
// times larger, so a slow machine cannot fail them.
var testHTTPTimeouts = httpTimeouts{Read: 300 * time.Millisecond, Idle: 300 * time.Millisecond}

const closedWithin = 10 * time.Second

// trickle opens a raw TCP connection to addr, sends head (a request with a
// Content-Length body) and then one body byte every 50 ms, and returns how
// long the server took to close the connection; it fails the test if the
// connection is still open after closedWithin.
func trickle(t *testing.T, addr, head string) time.Duration {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	start := time.Now()
	if _, err := io.WriteString(nc, head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := nc.Write([]byte{'a'}); err != nil {
					return
				}
			}
		}
	}()
	return awaitClosed(t, nc, start)
}

// awaitClosed reads (and discards any response) until the server closes
// nc, failing the test when that takes longer than closedWithin.
func awaitClosed(t *testing.T, nc net.Conn, start time.Time) time.Duration {
	t.Helper()
	_ = nc.SetReadDeadline(start.Add(closedWithin))
	_, err := io.Copy(io.Discard, nc)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the connection is still open after %s", closedWithin)
	}
	return time.Since(start)
}

func bodyRequest(path string) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{", path)
}

// A client trickling a request body is cut off by the read bound, on the
// public listener and on the profiles' one; an idle keep-alive connection
// by the idle bound.
func TestHTTPServerBoundsSlowBodiesAndIdleConnections(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0", func(c *Config) { c.httpTimeouts = testHTTPTimeouts })
	t.Run("public listener, slow body", func(t *testing.T) {
		trickle(t, n.addr(), bodyRequest("/rest/v1/auth/login"))
	})
	t.Run("profiles listener, slow body", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer servePprof(ln, zerolog.Nop(), testHTTPTimeouts)()
		trickle(t, ln.Addr().String(), bodyRequest("/debug/pprof/symbol"))
	})
	t.Run("public listener, idle keep-alive", func(t *testing.T) {
		nc, err := net.Dial("tcp", n.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		start := time.Now()
		if _, err := io.WriteString(nc, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		awaitClosed(t, nc, start) // answered, then closed as idle
	})
}

// The read and idle bounds do not apply to a WebSocket: one stays open and
// answering well past both.
func TestHTTPServerBoundsSpareWebSockets(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0", func(c *Config) { c.httpTimeouts = testHTTPTimeouts })
	tn := n.registerTenant("Acme", "ada@acme.test", "https://shop.example")
	ctx := testCtx(t)
	c := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	for i := range 3 {
		time.Sleep(2 * testHTTPTimeouts.Read) // past both bounds, again and again
		ref := fmt.Sprintf("p%d", i)
		if err := c.Send(ctx, wire.TypePing, ref, nil); err != nil {
			t.Fatalf("send after %d bounds: %v", 2*(i+1), err)
		}
		if _, err := c.Await(ctx, client.Reply(ref)); err != nil {
			t.Fatalf("no pong after %d bounds: %v", 2*(i+1), err)
		}
	}
}
