package security

import (
	"context"
	"testing"
	"time"
)

// BenchmarkValidateHashCached is the per-frame hot path: a cached access
// token re-checked on every WebSocket frame.
func BenchmarkValidateHashCached(b *testing.B) {
	store, _ := openStore(b)
	s, err := NewSessions(SessionsConfig{Store: store})
	if err != nil {
		b.Fatal(err)
	}
	iss, err := s.Start(context.Background(), agentParams())
	if err != nil {
		b.Fatal(err)
	}
	h := HashToken(iss.AccessToken)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.ValidateHash(ctx, h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAuthenticate adds the shape check and SHA-256 of the token.
func BenchmarkAuthenticate(b *testing.B) {
	store, _ := openStore(b)
	s, err := NewSessions(SessionsConfig{Store: store})
	if err != nil {
		b.Fatal(err)
	}
	iss, err := s.Start(context.Background(), agentParams())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authenticate(ctx, iss.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateHashMiss is a cold lookup through SQLite, for scale.
func BenchmarkValidateHashMiss(b *testing.B) {
	store, _ := openStore(b)
	c := newClock()
	iss := start(b, newSessions(b, store, c), agentParams())
	h := HashToken(iss.AccessToken)
	ctx := context.Background()
	for b.Loop() {
		s := newSessions(b, store, c)
		if _, err := s.ValidateHash(ctx, h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateHashCachedMaxAge is the per-frame hot path on a cluster
// node, where cached grants are trusted for at most CacheMaxAge (30s: the
// benchmark reads the store at most once per 30s).
func BenchmarkValidateHashCachedMaxAge(b *testing.B) {
	store, _ := openStore(b)
	s, err := NewSessions(SessionsConfig{Store: store, CacheMaxAge: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	iss, err := s.Start(context.Background(), agentParams())
	if err != nil {
		b.Fatal(err)
	}
	h := HashToken(iss.AccessToken)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.ValidateHash(ctx, h); err != nil {
				b.Fatal(err)
			}
		}
	})
}
