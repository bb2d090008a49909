package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/metrics"
)

// A node's metrics listener serves the Go runtime and process collectors
// and the latency histograms beside helpr's counters, and the embedded
// store's commit count.
func TestMetricsRuntimeAndLatencySeries(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	text := metricsText(t, n)
	for _, want := range []string{
		"# TYPE go_goroutines gauge", "# TYPE process_resident_memory_bytes gauge",
		"# TYPE helpr_ack_seconds histogram", "# TYPE helpr_append_seconds histogram",
		"# TYPE helpr_fanout_seconds histogram", "# TYPE helpr_fanout_recipients histogram",
		"# TYPE helpr_store_commits_total counter", "helpr_connections 0",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// fakeCommits is a store that reports commits like the sqlite store's
// OnCommit.
type fakeCommits struct{ f func(int, time.Duration) }

func (s *fakeCommits) OnCommit(f func(rows int, took time.Duration)) { s.f = f }

// A store with OnCommit feeds the three commit series; one with only
// AppendCommits feeds helpr_store_commits_total.
func TestMetricsStoreCommits(t *testing.T) {
	reg := metrics.NewRegistry()
	s := &fakeCommits{}
	observeCommits(reg, s)
	if s.f == nil {
		t.Fatal("OnCommit not wired")
	}
	s.f(4, 3*time.Millisecond)
	text := scrapeRegistry(t, reg)
	for _, want := range []string{"helpr_store_commits_total 1", "helpr_store_rows_per_commit_sum 4",
		"helpr_store_commit_seconds_count 1", `helpr_store_rows_per_commit_bucket{le="4"} 1`} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}

	reg = metrics.NewRegistry()
	observeCommits(reg, countingStore{})
	if text := scrapeRegistry(t, reg); !strings.Contains(text, "helpr_store_commits_total 7") {
		t.Errorf("AppendCommits not exposed:\n%s", text)
	}
}

// countingStore counts commits like the sqlite store's AppendCommits.
type countingStore struct{}

func (countingStore) AppendCommits() (commits, appends int64) { return 7, 9 }

// scrapeRegistry returns reg's text exposition.
func scrapeRegistry(t *testing.T, reg *metrics.Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d", rec.Code)
	}
	return rec.Body.String()
}
