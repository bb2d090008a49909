package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/color"
	"maps"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot size in the page.
const (
	plotWidth  = 18 * vg.Centimeter
	plotHeight = 9 * vg.Centimeter
)

// reportPlot is one rendered plot: an SVG image as a data: URL, so the page
// needs no network and the SVG can run nothing (an <img> never runs
// scripts).
type reportPlot struct {
	Title string
	Src   template.URL
}

// reportPlots renders every plot the result has data for.
func reportPlots(r *Result) ([]reportPlot, error) {
	var plots []reportPlot
	add := func(title string, build func(*Result) (*plot.Plot, error)) error {
		p, err := build(r)
		if err != nil || p == nil {
			return err
		}
		src, err := svgDataURL(p)
		if err != nil {
			return fmt.Errorf("render %s plot: %w", title, err)
		}
		plots = append(plots, reportPlot{Title: title, Src: src})
		return nil
	}
	for _, pl := range []struct {
		title string
		build func(*Result) (*plot.Plot, error)
	}{
		{"Latency percentiles", latencyPlot},
		{"Throughput over time", throughputPlot},
		{"Latency over time (p50 dashed, p99 solid)", latencyTimelinePlot},
	} {
		if err := add(pl.title, pl.build); err != nil {
			return nil, err
		}
	}
	return plots, nil
}

// svgDataURL renders p as SVG inside a base64 data: URL. The base64
// alphabet cannot break out of the attribute, so the URL is safe to mark
// as such for html/template.
func svgDataURL(p *plot.Plot) (template.URL, error) {
	wt, err := p.WriterTo(plotWidth, plotHeight, "svg")
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return "", err
	}
	return template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

// latencyGroup is one bar group of the percentile plot.
type latencyGroup struct {
	name string
	p    Percentiles
}

// latencyGroups are the run's latency kinds in name order, then the
// floor's as "floor <kind>".
func latencyGroups(r *Result) []latencyGroup {
	var gs []latencyGroup
	for _, k := range slices.Sorted(maps.Keys(r.Latency)) {
		gs = append(gs, latencyGroup{k, r.Latency[k]})
	}
	if r.Floor != nil {
		for _, k := range slices.Sorted(maps.Keys(r.Floor.Latency)) {
			gs = append(gs, latencyGroup{"floor " + k, r.Floor.Latency[k]})
		}
	}
	return gs
}

// latencyPlot is a grouped bar chart: p50, p90, p99 and p99.9 for each
// latency kind. Nil when the run measured no latency.
func latencyPlot(r *Result) (*plot.Plot, error) {
	groups := latencyGroups(r)
	if len(groups) == 0 {
		return nil, nil
	}
	p := newPlot("Latency percentiles", "", "milliseconds")
	pcts := []struct {
		name string
		get  func(Percentiles) float64
	}{
		{"p50", func(p Percentiles) float64 { return p.P50 }},
		{"p90", func(p Percentiles) float64 { return p.P90 }},
		{"p99", func(p Percentiles) float64 { return p.P99 }},
		{"p99.9", func(p Percentiles) float64 { return p.P999 }},
	}
	width := vg.Points(min(24, 280/float64(len(groups)*len(pcts))))
	for i, pc := range pcts {
		vals := make(plotter.Values, len(groups))
		for j, g := range groups {
			vals[j] = pc.get(g.p)
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, fmt.Errorf("latency bars: %w", err)
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(i)-float64(len(pcts)-1)/2)
		p.Add(bars)
		p.Legend.Add(pc.name, bars)
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.name
	}
	p.NominalX(names...)
	p.Legend.Left = true
	withHeadroom(p)
	return p, nil
}

// throughputPlot draws every per-second rate of the timeline. Nil without
// a timeline.
func throughputPlot(r *Result) (*plot.Plot, error) {
	series := timelineSeries(r.Timeline, func(s Sample) map[string]float64 { return s.Rates })
	if len(series) == 0 {
		return nil, nil
	}
	p := newPlot("Throughput over time", "seconds", "per second")
	for i, k := range slices.Sorted(maps.Keys(series)) {
		if err := addLine(p, k, series[k], plotutil.Color(i), nil); err != nil {
			return nil, err
		}
	}
	withHeadroom(p)
	return p, nil
}

// latencyTimelinePlot draws p50 (dashed) and p99 (solid) per latency kind
// over time. Nil without latency samples.
func latencyTimelinePlot(r *Result) (*plot.Plot, error) {
	p50 := timelineSeries(r.Timeline, func(s Sample) map[string]float64 { return s.P50 })
	p99 := timelineSeries(r.Timeline, func(s Sample) map[string]float64 { return s.P99 })
	if len(p50)+len(p99) == 0 {
		return nil, nil
	}
	p := newPlot("Latency over time", "seconds", "milliseconds")
	kinds := slices.Sorted(maps.Keys(p99))
	for k := range p50 {
		if _, ok := p99[k]; !ok {
			kinds = append(kinds, k)
		}
	}
	for i, k := range kinds {
		if xy, ok := p50[k]; ok {
			if err := addLine(p, k+" p50", xy, plotutil.Color(i), []vg.Length{vg.Points(4), vg.Points(3)}); err != nil {
				return nil, err
			}
		}
		if xy, ok := p99[k]; ok {
			if err := addLine(p, k+" p99", xy, plotutil.Color(i), nil); err != nil {
				return nil, err
			}
		}
	}
	withHeadroom(p)
	return p, nil
}

// timelineSeries turns one map of every sample into a series per key.
func timelineSeries(tl []Sample, get func(Sample) map[string]float64) map[string]plotter.XYs {
	out := make(map[string]plotter.XYs)
	for _, s := range tl {
		for k, v := range get(s) {
			out[k] = append(out[k], plotter.XY{X: s.T, Y: v})
		}
	}
	return out
}

// withHeadroom leaves the top of the plot for the legend, above the data.
func withHeadroom(p *plot.Plot) {
	p.Legend.Top = true
	p.Y.Max += (p.Y.Max - p.Y.Min) * 0.45
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	return p
}

func addLine(p *plot.Plot, name string, xy plotter.XYs, c color.Color, dashes []vg.Length) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("line %s: %w", name, err)
	}
	l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1.5), Dashes: dashes}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}
