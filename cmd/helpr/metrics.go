package main

import (
	"time"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/internal/metrics"
)

var _ hub.Observer = (*metrics.Helpr)(nil)

// commitReporter is a store that reports each append commit (the sqlite
// store's OnCommit).
type commitReporter interface {
	OnCommit(f func(rows int, took time.Duration))
}

// commitCounter is a store that counts its append commits (the sqlite
// store's AppendCommits).
type commitCounter interface {
	AppendCommits() (commits, appends int64)
}

// newMetrics returns the node's registry (Go runtime and process collectors
// included) and helpr's metric set, with the commit series of raw, the
// backend before any wrapping, when it reports them.
func newMetrics(raw any) (*metrics.Registry, *metrics.Helpr) {
	reg := metrics.NewRegistry()
	reg.RegisterRuntime()
	m := metrics.NewHelpr(reg)
	observeCommits(reg, raw)
	return reg, m
}

// observeCommits registers the store commit series of raw: all of them
// from OnCommit when raw has it, else helpr_store_commits_total from
// AppendCommits, else none.
func observeCommits(reg *metrics.Registry, raw any) {
	switch s := raw.(type) {
	case commitReporter:
		s.OnCommit(metrics.NewStore(reg).CommitDone)
	case commitCounter:
		metrics.StoreCommitsFunc(reg, func() float64 {
			commits, _ := s.AppendCommits()
			return float64(commits)
		})
	}
}
