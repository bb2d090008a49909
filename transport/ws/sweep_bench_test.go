package ws

import (
	"testing"
	"time"
)

// benchSweepConns connects conns idle connections over sessions sessions.
func benchSweepConns(b *testing.B, f *sweepFixture, conns, sessions int) []*conn {
	b.Helper()
	out := make([]*conn, 0, conns)
	for i := 0; i < sessions; i++ {
		hash, p := f.session(b)
		for j := 0; j < conns/sessions; j++ {
			out = append(out, f.conn(hash, p))
		}
	}
	return out
}

// BenchmarkSweepIdleFresh is one sweep over 2,048 idle connections (512
// sessions, 4 connections each) whose cached grants are fresh: a single
// node, or a cluster between two store reads.
func BenchmarkSweepIdleFresh(b *testing.B) {
	f := newSweepFixture(b, 0)
	conns := benchSweepConns(b, f, 2048, 512)
	b.ReportAllocs()
	for b.Loop() {
		f.sweep(conns)
	}
}

// BenchmarkSweepIdleStale is one sweep over the same connections in a
// cluster (30 s cache age) where every cached grant has gone stale: each
// session's grant is read from the store again, and the sweep is counted
// until every re-validation has finished.
func BenchmarkSweepIdleStale(b *testing.B) {
	f := newSweepFixtureTTL(b, 30*time.Second, 1<<20*time.Hour) // no expiry however long it runs
	conns := benchSweepConns(b, f, 2048, 512)
	b.ReportAllocs()
	for b.Loop() {
		f.clk.Add(31 * time.Second)
		f.sweep(conns)
		f.srv.revalidate.wait()
	}
	for _, c := range conns {
		if c.ended() {
			b.Fatal("a valid session was closed")
		}
	}
}
