package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coder/websocket"
)

// serveFrames starts a WebSocket server that writes msgs in turn, round
// and round (once through when loop is false), and returns a client
// connected to it. Both are closed when the test ends.
func serveFrames(tb testing.TB, loop bool, msgs ...string) *Conn {
	tb.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		writeFrames(r.Context(), ws, loop, msgs)
	}))
	c, _, err := Dial(context.Background(), srv.URL, Options{})
	if err != nil {
		srv.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = c.CloseNow()
		<-done
		srv.Close()
	})
	return c
}

// writeFrames writes msgs as text messages until a write fails.
func writeFrames(ctx context.Context, ws *websocket.Conn, loop bool, msgs []string) {
	bs := make([][]byte, len(msgs))
	for i, m := range msgs {
		bs[i] = []byte(m)
	}
	for {
		for _, b := range bs {
			if ws.Write(ctx, websocket.MessageText, b) != nil {
				return
			}
		}
		if !loop {
			_, _, _ = ws.Read(ctx) // hold the connection open until the client goes
			return
		}
	}
}
