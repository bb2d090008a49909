package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// better says which direction of a metric is an improvement.
type better int

const (
	higherBetter better = iota
	lowerBetter
)

// compareRow is one metric of the comparison; a missing side is NaN.
type compareRow struct {
	name string
	a, b float64
	dir  better
}

// runCompare is `helpr-bench compare a.json b.json`: it prints every count,
// rate, latency percentile, server stat and floor ratio of the two runs with
// b's value over a's and whether b is better or worse. Runs of different
// scenarios are compared with a warning, not refused.
func runCompare(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprintln(stdout, "usage: helpr-bench compare a.json b.json") }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errors.New("compare: want exactly two result files (a.json b.json)")
	}
	a, err := readResult(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	b, err := readResult(fs.Arg(1))
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	if a.Scenario != b.Scenario {
		fmt.Fprintf(stdout, "warning: the runs are of different scenarios (a: %q, b: %q); ratios may mean nothing\n",
			a.Scenario, b.Scenario)
	}
	fmt.Fprintf(stdout, "a: %s  %s  %s  %.1fs\nb: %s  %s  %s  %.1fs\n\n",
		a.Scenario, a.Target, a.Started.Format("2006-01-02 15:04:05"), a.Seconds,
		b.Scenario, b.Target, b.Started.Format("2006-01-02 15:04:05"), b.Seconds)
	return writeCompareTable(stdout, compareRows(a, b), a.Verified, b.Verified)
}

// readResult reads one --json result file.
func readResult(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read result: %w", err)
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode result %s: %w", path, err)
	}
	if r.Scenario == "" {
		return nil, fmt.Errorf("decode result %s: no scenario: not a helpr-bench --json file", path)
	}
	return &r, nil
}

// compareRows lists every metric of either run, in a stable order.
func compareRows(a, b *Result) []compareRow {
	var rows []compareRow
	for _, c := range countMetrics {
		rows = append(rows, compareRow{"count " + c.name, float64(c.get(a.Counts)), float64(c.get(b.Counts)), c.dir})
	}
	for _, k := range unionKeys(a.Rates, b.Rates) {
		rows = append(rows, compareRow{"rate " + k, lookup(a.Rates, k), lookup(b.Rates, k), higherBetter})
	}
	for _, k := range unionKeys(a.Latency, b.Latency) {
		pa, okA := a.Latency[k]
		pb, okB := b.Latency[k]
		for _, p := range percentileMetrics {
			rows = append(rows, compareRow{"latency " + k + " " + p.name + " ms",
				orNaN(p.get(pa), okA), orNaN(p.get(pb), okB), lowerBetter})
		}
	}
	for _, s := range serverMetrics {
		rows = append(rows, compareRow{"server " + s.name, s.get(a.Server), s.get(b.Server), lowerBetter})
	}
	for _, k := range unionKeys(a.Ratios, b.Ratios) {
		rows = append(rows, compareRow{"floor ratio " + k, lookup(a.Ratios, k), lookup(b.Ratios, k), ratioDirection(k)})
	}
	return rows
}

// countMetrics are the counts compared; more of what goes wrong is worse.
var countMetrics = []struct {
	name string
	get  func(Counts) int64
	dir  better
}{
	{"connections", func(c Counts) int64 { return c.Connections }, higherBetter},
	{"sent", func(c Counts) int64 { return c.Sent }, higherBetter},
	{"acked", func(c Counts) int64 { return c.Acked }, higherBetter},
	{"delivered", func(c Counts) int64 { return c.Delivered }, higherBetter},
	{"errors", func(c Counts) int64 { return c.Errors }, lowerBetter},
	{"lost", func(c Counts) int64 { return c.Lost }, lowerBetter},
	{"duplicates", func(c Counts) int64 { return c.Duplicates }, lowerBetter},
	{"reordered", func(c Counts) int64 { return c.Reordered }, lowerBetter},
}

// percentileMetrics are the columns of a latency distribution.
var percentileMetrics = []struct {
	name string
	get  func(Percentiles) float64
}{
	{"p50", func(p Percentiles) float64 { return p.P50 }},
	{"p90", func(p Percentiles) float64 { return p.P90 }},
	{"p99", func(p Percentiles) float64 { return p.P99 }},
	{"p99.9", func(p Percentiles) float64 { return p.P999 }},
	{"max", func(p Percentiles) float64 { return p.Max }},
}

// serverMetrics are the server's resource figures; NaN when not measured.
var serverMetrics = []struct {
	name string
	get  func(*ServerStats) float64
}{
	{"rss_bytes", func(s *ServerStats) float64 {
		return serverValue(s, func(s *ServerStats) float64 { return float64(s.RSSBytes) })
	}},
	{"bytes_per_conn", func(s *ServerStats) float64 {
		return serverValue(s, func(s *ServerStats) float64 { return s.BytesPerConn })
	}},
	{"cpu_percent", func(s *ServerStats) float64 {
		return serverValue(s, func(s *ServerStats) float64 { return s.CPUPercent })
	}},
}

func serverValue(s *ServerStats, get func(*ServerStats) float64) float64 {
	if s == nil {
		return math.NaN()
	}
	return get(s)
}

// ratioDirection: a floor ratio of a rate is better high, of anything else
// (latency, memory) better low.
func ratioDirection(key string) better {
	if strings.HasSuffix(key, "_per_s") {
		return higherBetter
	}
	return lowerBetter
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func lookup(m map[string]float64, k string) float64 {
	v, ok := m[k]
	return orNaN(v, ok)
}

func orNaN(v float64, ok bool) float64 {
	if !ok {
		return math.NaN()
	}
	return v
}

// writeCompareTable prints the rows aligned, then the verification verdicts.
func writeCompareTable(w io.Writer, rows []compareRow, verifiedA, verifiedB bool) error {
	width := len("verified")
	for _, r := range rows {
		width = max(width, len(r.name))
	}
	// Names are padded by hand so that they read left-aligned while the
	// numbers align right.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\ta\tb\tb/a\tb is\t\n", width, "metric")
	for _, r := range rows {
		ratio, verdict := judge(r)
		fmt.Fprintf(tw, "%-*s\t%s\t%s\t%s\t%s\t\n", width, r.name, formatValue(r.a), formatValue(r.b), ratio, verdict)
	}
	fmt.Fprintf(tw, "%-*s\t%t\t%t\t\t%s\t\n", width, "verified", verifiedA, verifiedB, verifiedVerdict(verifiedA, verifiedB))
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("compare: write table: %w", err)
	}
	return nil
}

// judge returns the ratio b/a as text and whether b is better, worse or
// the same, given the metric's direction.
func judge(r compareRow) (ratio, verdict string) {
	switch {
	case math.IsNaN(r.a) || math.IsNaN(r.b):
		return "-", "n/a"
	case r.a == r.b:
		return "1.00", "same"
	case r.a == 0:
		ratio = "inf"
	default:
		ratio = strconv.FormatFloat(r.b/r.a, 'f', 2, 64)
	}
	if (r.b > r.a) == (r.dir == higherBetter) {
		return ratio, "better"
	}
	return ratio, "worse"
}

func verifiedVerdict(a, b bool) string {
	switch {
	case a == b:
		return "same"
	case b:
		return "better"
	}
	return "worse"
}

// formatValue prints integers without decimals and others with enough
// precision for milliseconds.
func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatInt(int64(v), 10)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
