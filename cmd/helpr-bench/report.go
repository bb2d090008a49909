package main

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"time"
)

// writeHTML writes r as one self-contained HTML page at path: inline CSS,
// the summary tables (counts, rates, latency percentiles, server stats,
// floor ratios, verification) and plots rendered with gonum/plot as SVG
// images inside data: URLs. The page loads nothing from the network, and
// every string from the result is escaped by html/template.
func writeHTML(path string, r *Result) error {
	if r == nil {
		return fmt.Errorf("write html report: no result")
	}
	var buf bytes.Buffer
	if err := renderHTML(&buf, r); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// renderHTML renders the page into buf.
func renderHTML(buf *bytes.Buffer, r *Result) error {
	plots, err := reportPlots(r)
	if err != nil {
		return err
	}
	return reportTemplate.Execute(buf, reportData{Result: r, Plots: plots, Generated: time.Now().UTC()})
}

// reportData is what the template sees.
type reportData struct {
	*Result
	Plots     []reportPlot
	Generated time.Time
}

// reportRow is one line of a key/value table, with the floor's value and
// helpr's ratio to it when the run has a floor.
type reportRow struct {
	Name         string
	Value, Floor string
	Ratio        string
}

// ParamRows lists the run's flags in name order.
func (d reportData) ParamRows() []reportRow {
	var rows []reportRow
	for _, k := range slices.Sorted(maps.Keys(d.Params)) {
		rows = append(rows, reportRow{Name: k, Value: d.Params[k]})
	}
	return rows
}

// CountRows lists the counts.
func (d reportData) CountRows() []reportRow {
	var rows []reportRow
	for _, c := range countMetrics {
		row := reportRow{Name: c.name, Value: strconv.FormatInt(c.get(d.Counts), 10)}
		if d.Floor != nil {
			row.Floor = strconv.FormatInt(c.get(d.Floor.Counts), 10)
		}
		rows = append(rows, row)
	}
	return rows
}

// RateRows lists the rates with the floor's figure and the ratio.
func (d reportData) RateRows() []reportRow {
	var floor map[string]float64
	if d.Floor != nil {
		floor = d.Floor.Rates
	}
	var rows []reportRow
	for _, k := range unionKeys(d.Rates, floor) {
		rows = append(rows, floorRow(k, lookup(d.Rates, k), lookup(floor, k)))
	}
	return rows
}

// ServerRows lists the server's resource figures (empty when not measured).
func (d reportData) ServerRows() []reportRow {
	if d.Server == nil {
		return nil
	}
	var floor *ServerStats
	if d.Floor != nil {
		floor = d.Floor.Server
	}
	var rows []reportRow
	for _, s := range serverMetrics {
		rows = append(rows, floorRow(s.name, s.get(d.Server), s.get(floor)))
	}
	return rows
}

// RatioRows lists helpr's figures over the floor's.
func (d reportData) RatioRows() []reportRow {
	var rows []reportRow
	for _, k := range slices.Sorted(maps.Keys(d.Ratios)) {
		rows = append(rows, reportRow{Name: k, Value: formatValue(d.Ratios[k])})
	}
	return rows
}

// latencyRow is one latency distribution in the table.
type latencyRow struct {
	Name                     string
	Count                    int64
	P50, P90, P99, P999, Max string
}

// LatencyRows lists every latency distribution, then the floor's.
func (d reportData) LatencyRows() []latencyRow {
	var rows []latencyRow
	for _, g := range latencyGroups(d.Result) {
		p := g.p
		rows = append(rows, latencyRow{Name: g.name, Count: p.Count, P50: formatValue(p.P50),
			P90: formatValue(p.P90), P99: formatValue(p.P99), P999: formatValue(p.P999), Max: formatValue(p.Max)})
	}
	return rows
}

// floorRow is a value with the floor's and their ratio.
func floorRow(name string, v, floor float64) reportRow {
	row := reportRow{Name: name, Value: formatValue(v), Floor: formatValue(floor), Ratio: "-"}
	if !math.IsNaN(v) && !math.IsNaN(floor) && floor != 0 {
		row.Ratio = strconv.FormatFloat(v/floor, 'f', 2, 64)
	}
	return row
}

// HasFloor reports whether the run measured the floor too.
func (d reportData) HasFloor() bool { return d.Floor != nil }
