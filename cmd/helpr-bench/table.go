package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
)

// printTable writes the final summary of a run (and its floor run).
func printTable(w io.Writer, r *Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\t%s\ttarget %s\t%.2fs measured\n", r.Scenario, r.Target, r.Seconds)
	c := r.Counts
	fmt.Fprintf(tw, "counts\tconnections %d\tsent %d\tacked %d\tdelivered %d\terrors %d\n", c.Connections, c.Sent, c.Acked, c.Delivered, c.Errors)
	fmt.Fprintf(tw, "verification\tlost %d\tduplicates %d\treordered %d\t%s\n", c.Lost, c.Duplicates, c.Reordered, verifiedWord(r.Verified))
	for _, k := range sortedKeys(r.Rates) {
		fmt.Fprintf(tw, "rate\t%s\t%.1f%s\n", k, r.Rates[k], floorRatio(r, k))
	}
	fmt.Fprintln(tw, "latency (ms)\tcount\tp50\tp90\tp99\tp99.9\tmax")
	for _, k := range sortedKeys(r.Latency) {
		p := r.Latency[k]
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f%s\n", k, p.Count, p.P50, p.P90, p.P99, p.P999, p.Max, floorRatio(r, k+"_p99"))
	}
	if r.Server != nil {
		fmt.Fprintf(tw, "server\trss %.1f MiB\t%.0f bytes/conn\tcpu %.1f%%%s\n", float64(r.Server.RSSBytes)/(1<<20), r.Server.BytesPerConn, r.Server.CPUPercent, floorRatio(r, "bytes_per_conn"))
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
