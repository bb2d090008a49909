package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeResult writes r as a --json file under dir.
func writeResult(t *testing.T, dir, name string, r *Result) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func sampleResult(scenario string, rate, p99 float64) *Result {
	return &Result{
		Scenario: scenario, Target: "http://127.0.0.1:8080", Started: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Seconds: 10, Verified: true,
		Counts:  Counts{Connections: 4000, Sent: 20000, Acked: 20000, Delivered: 20000},
		Rates:   map[string]float64{"messages_per_s": rate},
		Latency: map[string]Percentiles{"e2e": {Count: 20000, P50: 1, P90: 2, P99: p99, P999: 9, Max: 12}},
		Server:  &ServerStats{RSSBytes: 100 << 20, BytesPerConn: 33000, CPUPercent: 150},
		Ratios:  map[string]float64{"messages_per_s": 0.5, "e2e_p99": 2},
	}
}

// row returns the table line of metric, failing when it is missing.
func row(t *testing.T, out, metric string) []string {
	t.Helper()
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if strings.HasPrefix(strings.TrimSpace(line), metric+" ") && len(f) >= 4 {
			return f[len(strings.Fields(metric)):]
		}
	}
	t.Fatalf("no row %q in\n%s", metric, out)
	return nil
}

func TestCompareRatiosAndDirections(t *testing.T) {
	dir := t.TempDir()
	a := writeResult(t, dir, "a.json", sampleResult("rooms", 2000, 8))
	bRes := sampleResult("rooms", 3000, 4)
	bRes.Counts.Lost = 3
	bRes.Verified = false
	bRes.Server = nil
	b := writeResult(t, dir, "b.json", bRes)
	var out bytes.Buffer
	if err := runCompare([]string{a, b}, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if strings.Contains(s, "warning") {
		t.Errorf("same scenarios warned:\n%s", s)
	}
	for metric, want := range map[string][]string{
		"rate messages_per_s":        {"2000", "3000", "1.50", "better"},
		"latency e2e p99 ms":         {"8", "4", "0.50", "better"},
		"latency e2e p50 ms":         {"1", "1", "1.00", "same"},
		"count lost":                 {"0", "3", "inf", "worse"},
		"server bytes_per_conn":      {"33000", "-", "-", "n/a"},
		"floor ratio messages_per_s": {"0.500", "0.500", "1.00", "same"},
		"verified":                   {"true", "false", "worse"},
	} {
		if got := row(t, s, metric); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: got %q, want %q", metric, got, want)
		}
	}
}

func TestCompareWarnsOnDifferentScenarios(t *testing.T) {
	dir := t.TempDir()
	a := writeResult(t, dir, "a.json", sampleResult("rooms", 2000, 8))
	b := writeResult(t, dir, "b.json", sampleResult("fanout", 1000, 8))
	var out bytes.Buffer
	if err := runCompare([]string{a, b}, &out); err != nil {
		t.Fatalf("different scenarios must warn, not fail: %v", err)
	}
	if !strings.Contains(out.String(), `warning: the runs are of different scenarios (a: "rooms", b: "fanout")`) {
		t.Errorf("no warning in\n%s", out.String())
	}
	if got := row(t, out.String(), "rate messages_per_s"); got[2] != "0.50" || got[3] != "worse" {
		t.Errorf("rate row %q", got)
	}
}

func TestCompareErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeResult(t, dir, "a.json", sampleResult("rooms", 1, 1))
	garbage := filepath.Join(dir, "garbage.json")
	if err := os.WriteFile(garbage, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{good}, "want exactly two result files"},
		{[]string{good, good, good}, "want exactly two result files"},
		{[]string{good, filepath.Join(dir, "missing.json")}, "missing.json"},
		{[]string{garbage, good}, "decode result " + garbage},
		{[]string{good, empty}, "not a helpr-bench --json file"},
	} {
		var out bytes.Buffer
		err := runCompare(tc.args, &out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("runCompare(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
