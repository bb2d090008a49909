package main

import (
	"html/template"
	"time"
)

// reportTemplate is the HTML report. Everything is inline: the page must
// open offline, from a file, years later.
var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"rfc3339": func(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") },
	"secs":    func(v float64) string { return formatValue(v) },
}).Parse(reportHTML))

const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>helpr-bench {{.Scenario}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232a; margin: 2em auto; max-width: 62em; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #d5dbe1; padding-bottom: .2em; }
.meta { color: #56606b; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: .25em .9em; text-align: right; border-bottom: 1px solid #eef1f4; }
th:first-child, td:first-child { text-align: left; }
th { background: #f5f7f9; font-weight: 600; }
td { font-variant-numeric: tabular-nums; }
.verdict { display: inline-block; padding: .3em .8em; border-radius: 4px; font-weight: 600; }
.pass { background: #dff3e4; color: #17602b; }
.fail { background: #fbe1e1; color: #8a1c1c; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; border: 1px solid #e3e7eb; }
figcaption { color: #56606b; font-size: .9em; }
</style>
</head>
<body>
<h1>helpr-bench: <span class="scenario">{{.Scenario}}</span></h1>
<p class="meta">Target {{.Target}} · started {{rfc3339 .Started}} · measured {{secs .Seconds}} s ·
{{.Machine.CPUs}} CPUs, {{.Machine.OS}}, {{.Machine.GoVersion}}</p>

<h2>Verification</h2>
{{if .Verified}}<p><span class="verdict pass">PASSED</span> no loss, no duplicate, no reorder, every ack received.</p>
{{else}}<p><span class="verdict fail">FAILED</span></p>
<ul class="violations">{{range .Violations}}<li>{{.}}</li>{{end}}</ul>{{end}}

<h2>Counts</h2>
<table class="counts">
<tr><th>count</th><th>run</th>{{if .HasFloor}}<th>floor</th>{{end}}</tr>
{{range .CountRows}}<tr><td>{{.Name}}</td><td>{{.Value}}</td>{{if $.HasFloor}}<td>{{.Floor}}</td>{{end}}</tr>
{{end}}</table>

{{with .RateRows}}<h2>Rates</h2>
<table class="rates">
<tr><th>rate</th><th>run</th>{{if $.HasFloor}}<th>floor</th><th>run / floor</th>{{end}}</tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{.Value}}</td>{{if $.HasFloor}}<td>{{.Floor}}</td><td>{{.Ratio}}</td>{{end}}</tr>
{{end}}</table>{{end}}

{{with .LatencyRows}}<h2>Latency (milliseconds)</h2>
<table class="latency">
<tr><th>kind</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{.Count}}</td><td>{{.P50}}</td><td>{{.P90}}</td><td>{{.P99}}</td><td>{{.P999}}</td><td>{{.Max}}</td></tr>
{{end}}</table>{{end}}

{{with .ServerRows}}<h2>Server</h2>
<table class="server">
<tr><th>stat</th><th>run</th>{{if $.HasFloor}}<th>floor</th><th>run / floor</th>{{end}}</tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{.Value}}</td>{{if $.HasFloor}}<td>{{.Floor}}</td><td>{{.Ratio}}</td>{{end}}</tr>
{{end}}</table>{{end}}

{{with .RatioRows}}<h2>Ratios to the floor server</h2>
<p class="meta">helpr's figure over the floor server's (a bare WebSocket relay on the same library), measured in the same run.</p>
<table class="ratios">
<tr><th>figure</th><th>helpr / floor</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>
{{end}}</table>{{end}}

{{with .Plots}}<h2>Plots</h2>
{{range .}}<figure><img src="{{.Src}}" alt="{{.Title}}"><figcaption>{{.Title}}</figcaption></figure>
{{end}}{{end}}

{{with .ParamRows}}<h2>Parameters</h2>
<table class="params">
<tr><th>flag</th><th>value</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>
{{end}}</table>{{end}}

<p class="meta">Generated {{rfc3339 .Generated}} by helpr-bench.</p>
</body>
</html>
`
