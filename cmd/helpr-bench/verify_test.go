package main

import (
	"context"
	"errors"
	"net"
	"testing"
)

// A fake frame stream fed to the tracker: each broken order is classified.
func TestSeqTrackerClassifiesStreams(t *testing.T) {
	cases := []struct {
		name                     string
		seqs                     []int64
		highest                  int64
		lost, dups, reord, deliv int64
	}{
		{"in order", []int64{1, 2, 3, 4}, 4, 0, 0, 0, 4},
		{"gap", []int64{1, 2, 4}, 4, 1, 0, 0, 3},
		{"tail lost", []int64{1, 2}, 4, 2, 0, 0, 2},
		{"duplicate", []int64{1, 2, 2, 3}, 3, 0, 1, 0, 3},
		{"reorder", []int64{1, 3, 2, 4}, 4, 0, 0, 1, 4},
		{"reorder then duplicate", []int64{2, 1, 1}, 2, 0, 1, 1, 2},
	}
	for _, c := range cases {
		var s seqTracker
		for _, q := range c.seqs {
			s.observe(q)
		}
		if s.lost(c.highest) != c.lost || s.dups != c.dups || s.reorders != c.reord || s.delivered != c.deliv {
			t.Errorf("%s: lost %d dups %d reorders %d delivered %d", c.name, s.lost(c.highest), s.dups, s.reorders, s.delivered)
		}
		if got, want := s.complete(c.highest), c.lost == 0; got != want {
			t.Errorf("%s: complete %v, want %v", c.name, got, want)
		}
	}
}

func TestVerdictFoldsStreams(t *testing.T) {
	v := newVerdict()
	var good, bad seqTracker
	for _, q := range []int64{1, 2, 3} {
		good.observe(q)
	}
	for _, q := range []int64{1, 3, 3} {
		bad.observe(q)
	}
	v.addStream("a", "c1", &good, 3)
	if !v.ok() {
		t.Fatalf("a complete stream failed: %v", v.list())
	}
	v.addStream("b", "c1", &bad, 3)
	lost, dups, reord := v.totals()
	if v.ok() || lost != 1 || dups != 1 || reord != 0 || len(v.list()) != 2 {
		t.Fatalf("lost %d dups %d reord %d: %v", lost, dups, reord, v.list())
	}
}

func TestCheckTargetsLoopbackOnly(t *testing.T) {
	resolve := func(addrs ...string) func(context.Context, string) ([]net.IPAddr, error) {
		return func(context.Context, string) ([]net.IPAddr, error) {
			var out []net.IPAddr
			for _, a := range addrs {
				out = append(out, net.IPAddr{IP: net.ParseIP(a)})
			}
			if len(out) == 0 {
				return nil, errors.New("no such host")
			}
			return out, nil
		}
	}
	ctx := context.Background()
	ok := []struct {
		target string
		res    func(context.Context, string) ([]net.IPAddr, error)
	}{
		{"http://127.0.0.1:8080", resolve()},
		{"http://[::1]:8080", resolve()},
		{"https://localhost:8443", resolve("127.0.0.1", "::1")},
	}
	for _, c := range ok {
		if err := checkTargets(ctx, []string{c.target}, false, c.res); err != nil {
			t.Errorf("%s: %v", c.target, err)
		}
	}
	bad := []struct {
		target string
		res    func(context.Context, string) ([]net.IPAddr, error)
	}{
		{"http://10.0.0.1:8080", resolve()},
		{"http://mixed.test:8080", resolve("127.0.0.1", "203.0.113.9")},
		{"http://gone.test", resolve()},
		{"ftp://127.0.0.1", resolve()},
	}
	for _, c := range bad {
		if err := checkTargets(ctx, []string{c.target}, false, c.res); err == nil {
			t.Errorf("%s: accepted", c.target)
		}
	}
	if err := checkTargets(ctx, []string{"http://10.0.0.1:8080"}, true, resolve()); err != nil {
		t.Errorf("--allow-remote: %v", err)
	}
}
