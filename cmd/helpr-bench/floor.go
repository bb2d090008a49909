package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// The floor server is the baseline every scenario is measured against: a
// WebSocket relay on the same library as helpr (github.com/coder/websocket),
// with one reader and one writer goroutine per connection and coalesced
// writes like helpr, but without authentication, storage, rate limits or
// validation beyond parsing. It speaks just enough of helpr's public
// protocol (docs/protocol.md) and REST API (docs/api.md) for the scenarios
// to run against it unchanged, so helpr's figures can be printed as ratios
// to what this machine and library can do at all.
//
// Differences from helpr, on purpose: any token is accepted (tokens the
// floor's REST stubs hand out name their subject and organisation, so the
// relay knows who is who); nothing is stored, so a join replays nothing and
// its joined frame reports the conversation's current last seq; client_id
// is not de-duplicated; no presence frames, pings or token re-validation.

// floorShutdownTimeout bounds a graceful stop of the floor server.
const floorShutdownTimeout = 5 * time.Second

// startFloor starts a floor server on an ephemeral loopback port. baseURL
// is "http://127.0.0.1:PORT"; stop closes the listener and every
// connection (1001, going away) and waits for their handlers to return
// (safe to call more than once). The server also stops when ctx ends.
func startFloor(ctx context.Context) (baseURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("floor server: listen: %w", err)
	}
	stop = serveFloor(ctx, ln, newFloor(nil))
	return "http://" + ln.Addr().String(), stop, nil
}

// serveFloor serves f on ln until stop is called or ctx ends.
func serveFloor(ctx context.Context, ln net.Listener, f *floor) (stop func()) {
	srv := &http.Server{Handler: f.handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), floorShutdownTimeout)
			defer cancel()
			_ = srv.Shutdown(sctx) // stop accepting; hijacked sockets are ours
			f.closeAll()
			_ = srv.Close()
			<-done
			f.handlers.Wait()
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-done:
		}
	}()
	return stop
}

// runFloorServer is `helpr-bench floor-server [--addr 127.0.0.1:8090]
// [--allow-remote]`: it serves the floor until SIGINT or SIGTERM. The
// address must be loopback unless --allow-remote is given.
func runFloorServer(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("floor-server", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address (host:port)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("floor-server: unexpected arguments %q", fs.Args())
	}
	if err := checkLoopbackAddr(*addr, *allowRemote); err != nil {
		return fmt.Errorf("floor-server: %w", err)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("floor-server: listen: %w", err)
	}
	stop := serveFloor(ctx, ln, newFloor(nil))
	defer stop()
	fmt.Fprintf(stdout, "floor-server listening on http://%s (Ctrl-C to stop)\n", ln.Addr())
	<-ctx.Done()
	return nil
}

// checkLoopbackAddr refuses a host that is not a loopback IP or
// "localhost", unless allowRemote.
func checkLoopbackAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad address %q: %w", addr, err)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("address " + addr + " is not loopback (use --allow-remote to listen on it)")
}
