package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// benchAsMainEnv makes a test binary behave as helpr-bench itself (the
// tests run the floor server as a child process this way).
const benchAsMainEnv = "HELPR_BENCH_AS_MAIN"

// floorProcess is `helpr-bench floor-server` running as a child process,
// so that its memory and CPU are read from /proc like the server's.
type floorProcess struct {
	base string
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// startFloorProcess starts the floor server as a child of this process on
// a free loopback port and waits until it accepts connections.
func startFloorProcess(ctx context.Context) (*floorProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("floor process: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("floor process: pick a port: %w", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	var logs strings.Builder
	f := &floorProcess{base: "http://" + addr, done: make(chan struct{})}
	f.cmd = exec.Command(exe, "floor-server", "--addr", addr)
	f.cmd.Env = append(os.Environ(), benchAsMainEnv+"=1")
	f.cmd.Stderr = &logs
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("floor process: %w", err)
	}
	go func() { _ = f.cmd.Wait(); close(f.done) }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			return f, nil
		}
		select {
		case <-f.done:
			return nil, fmt.Errorf("floor process exited: %s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	f.stop()
	return nil, fmt.Errorf("floor process not listening on %s", addr)
}

func (f *floorProcess) pid() int { return f.cmd.Process.Pid }

// stop ends the floor process (idempotent).
func (f *floorProcess) stop() {
	f.once.Do(func() {
		_ = f.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-f.done:
		case <-time.After(10 * time.Second):
			_ = f.cmd.Process.Kill()
			<-f.done
		}
	})
}

// floorTarget starts the floor for a --floor run: in-process, or as a
// child process when server stats are wanted (--server-pid), so that
// bytes per connection compare like with like. pid is 0 in-process.
func floorTarget(ctx context.Context, withStats bool) (base string, pid int, stop func(), err error) {
	if !withStats {
		base, stop, err = startFloor(ctx)
		return base, 0, stop, err
	}
	p, err := startFloorProcess(ctx)
	if err != nil {
		return "", 0, nil, err
	}
	return p.base, p.pid(), p.stop, nil
}
