package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// printTable writes the final summary of a run (and its floor run).
func printTable(w io.Writer, r *Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\t%s\ttarget %s\t%.2fs measured\n", r.Scenario, r.Target, r.Seconds)
	c := r.Counts
	fmt.Fprintf(tw, "counts\tconnections %d\tsent %d\tacked %d\tdelivered %d\terrors %d\n", c.Connections, c.Sent, c.Acked, c.Delivered, c.Errors)
	fmt.Fprintf(tw, "verification\tlost %d\tduplicates %d\treordered %d\t%s\n", c.Lost, c.Duplicates, c.Reordered, verifiedWord(r.Verified))
	fmt.Fprintf(tw, "connections\tdropped %d\treconnected %d\tpushback %d\treplayed %d\t%s\n", c.Dropped, c.Reconnected, c.Pushback, c.Replayed, dropsText(r.Drops))
	if r.SetupSeconds > 0 {
		fmt.Fprintf(tw, "setup\t%.2fs\t%d connections\n", r.SetupSeconds, c.Connections)
	}
	for _, k := range sortedKeys(r.Rates) {
		fmt.Fprintf(tw, "rate\t%s\t%.1f%s\n", k, r.Rates[k], floorRatio(r, k))
	}
	fmt.Fprintln(tw, "latency (ms)\tcount\tp50\tp90\tp99\tp99.9\tmax")
	for _, k := range sortedKeys(r.Latency) {
		p := r.Latency[k]
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f%s\n", k, p.Count, p.P50, p.P90, p.P99, p.P999, p.Max, floorRatio(r, k+"_p99"))
	}
	if r.Server != nil {
		fmt.Fprintf(tw, "server\trss %.1f MiB\t%.0f bytes/conn\tcpu %.1f%%%s\t%.0f µs/msg\n", float64(r.Server.RSSBytes)/(1<<20), r.Server.BytesPerConn, r.Server.CPUPercent, floorRatio(r, "bytes_per_conn"), r.Server.MicrosPerMsg)
	}
	if h := r.Harness; h != nil {
		fmt.Fprintf(tw, "harness\tcpu %.1f%%\t%.0f µs/msg\n", h.CPUPercent, h.MicrosPerMsg)
	}
	for _, v := range r.Violations {
		fmt.Fprintf(tw, "VIOLATION\t%s\n", v)
	}
	_ = tw.Flush()
	if r.Floor != nil {
		fmt.Fprintln(w, "--- floor (same scenario against the minimal relay, same run) ---")
		printTable(w, r.Floor)
	}
}

// dropsText is the drop histogram, "1006: 2, no close frame: 1" ("-" when
// nothing dropped).
func dropsText(d map[string]int64) string {
	if len(d) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(d))
	for _, k := range sortedKeys(d) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, d[k]))
	}
	return strings.Join(parts, ", ")
}

func verifiedWord(ok bool) string {
	if ok {
		return "VERIFIED"
	}
	return "FAILED"
}

// floorRatio is "  (×1.23 floor)" when the run has a floor ratio for key.
func floorRatio(r *Result, key string) string {
	if v, ok := r.Ratios[key]; ok {
		return fmt.Sprintf("\t×%.2f floor", v)
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
