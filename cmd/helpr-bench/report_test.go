package main

import (
	"encoding/base64"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// reportResult is a rooms run with a floor, a timeline and a failed check.
func reportResult() *Result {
	r := sampleResult("rooms", 2000, 8.25)
	r.Params = map[string]string{"conversations": "2000", "rate": "2000"}
	r.Machine = Machine{CPUs: 2, GoVersion: "go1.26", OS: "linux/amd64"}
	r.Latency["ack"] = Percentiles{Count: 20000, P50: 0.5, P90: 0.9, P99: 3.5, P999: 6, Max: 7}
	for i := range 10 {
		r.Timeline = append(r.Timeline, Sample{T: float64(i + 1),
			Rates: map[string]float64{"messages_per_s": 1990 + float64(i), "deliveries_per_s": 3980},
			P50:   map[string]float64{"e2e": 1, "ack": 0.5},
			P99:   map[string]float64{"e2e": 8, "ack": 3.5}})
	}
	floor := sampleResult("floor-rooms", 4000, 2)
	r.Floor = floor
	r.Ratios = map[string]float64{"messages_per_s": 0.5, "e2e_p99": 4.125}
	return r
}

// plotSVGs decodes the plots embedded in page (html/template writes the
// attribute's "+" as "&#43;", which browsers decode).
func plotSVGs(t *testing.T, page string) []string {
	t.Helper()
	re := regexp.MustCompile(`<img src="data:image/svg(?:\+|&#43;)xml;base64,([A-Za-z0-9+/=&#;]+)"`)
	var svgs []string
	for _, m := range re.FindAllStringSubmatch(page, -1) {
		b, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatalf("plot is not base64: %v", err)
		}
		svgs = append(svgs, string(b))
	}
	return svgs
}

func renderToString(t *testing.T, r *Result) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	if err := writeHTML(path, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteHTMLTablesAndPlots(t *testing.T) {
	page := renderToString(t, reportResult())
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(page), "</html>") {
		t.Fatalf("not an HTML page:\n%.200s", page)
	}
	for _, want := range []string{
		`<span class="verdict pass">PASSED</span>`,
		`<tr><td>messages_per_s</td><td>2000</td><td>4000</td><td>0.50</td></tr>`,                    // rate, floor, ratio
		`<tr><td>e2e</td><td>20000</td><td>1</td><td>2</td><td>8.250</td><td>9</td><td>12</td></tr>`, // latency row
		`<tr><td>floor e2e</td>`,
		`<tr><td>e2e_p99</td><td>4.125</td></tr>`, // floor ratio
		`<tr><td>bytes_per_conn</td><td>33000</td><td>33000</td><td>1.00</td></tr>`,
		`<tr><td>conversations</td><td>2000</td></tr>`, // params
		"2 CPUs, linux/amd64, go1.26",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	svgs := plotSVGs(t, page)
	if len(svgs) != 3 {
		t.Fatalf("%d plots, want 3 (percentiles, throughput, latency over time)", len(svgs))
	}
	for i, title := range []string{"Latency percentiles", "Throughput over time", "Latency over time"} {
		if !strings.Contains(svgs[i], "<svg") || !strings.Contains(svgs[i], ">"+title+"</text>") {
			t.Errorf("plot %d is not the %q SVG:\n%.300s", i, title, svgs[i])
		}
	}
	if !strings.Contains(svgs[1], ">deliveries_per_s</text>") || !strings.Contains(svgs[2], ">e2e p99</text>") {
		t.Error("timeline plots lack their legends")
	}
	checkOffline(t, "page", page)
	for i, s := range svgs {
		checkOffline(t, "plot "+string(rune('0'+i)), s)
	}
}

// checkOffline fails when text would make a browser fetch anything.
func checkOffline(t *testing.T, what, text string) {
	t.Helper()
	lower := strings.ToLower(text)
	for _, bad := range []string{"<script", "<link", "@import", "url(", `src="http`, `src="//`,
		`href="http`, `href="//`, "<iframe", "<object", "<embed"} {
		if strings.Contains(lower, bad) {
			t.Errorf("%s contains %q: it would not be self-contained", what, bad)
		}
	}
	// The only URLs allowed are the SVG namespace names and the target,
	// which is text.
	for _, u := range regexp.MustCompile(`https?://[^"'<> ]+`).FindAllString(text, -1) {
		if !strings.HasPrefix(u, "http://www.w3.org/") && !strings.HasPrefix(u, "http://127.0.0.1") {
			t.Errorf("%s names URL %s", what, u)
		}
	}
}

func TestWriteHTMLEscapesHostileStrings(t *testing.T) {
	r := reportResult()
	r.Scenario = `<script>alert("scenario")</script>`
	r.Target = `http://127.0.0.1:1/"><img src=x onerror=alert(1)>`
	r.Verified = false
	r.Violations = []string{`conversation <b>x</b>: seq 4 after 6 & "lost"`}
	r.Params = map[string]string{`"><script>p()</script>`: `</td></tr></table><script>v()</script>`}
	r.Latency[`<script>k()</script>`] = Percentiles{Count: 1, P50: 1, P90: 1, P99: 1, P999: 1, Max: 1}
	page := renderToString(t, r)
	for _, raw := range []string{`<script>`, `<img src=x`, `<b>x</b>`, `</table><script>`} {
		if strings.Contains(page, raw) {
			t.Errorf("page contains unescaped %q", raw)
		}
	}
	for _, escaped := range []string{
		`&lt;script&gt;alert(&#34;scenario&#34;)&lt;/script&gt;`,
		`conversation &lt;b&gt;x&lt;/b&gt;: seq 4 after 6 &amp; &#34;lost&#34;`,
		`<span class="verdict fail">FAILED</span>`,
		`&lt;script&gt;k()&lt;/script&gt;`,
	} {
		if !strings.Contains(page, escaped) {
			t.Errorf("page lacks %s", escaped)
		}
	}
	for _, s := range plotSVGs(t, page) {
		if strings.Contains(s, "<script") {
			t.Errorf("a plot carries a raw script tag")
		}
	}
}

// TestWriteHTMLWithoutData renders a run that measured nothing but counts
// (a connect run that failed early): no plots, no empty tables, no error.
func TestWriteHTMLWithoutData(t *testing.T) {
	r := &Result{Scenario: "connect", Started: time.Now(), Counts: Counts{Errors: 3}}
	page := renderToString(t, r)
	if n := len(plotSVGs(t, page)); n != 0 {
		t.Errorf("%d plots for a run without latencies or timeline", n)
	}
	for _, absent := range []string{"<h2>Rates</h2>", "<h2>Latency", "<h2>Server</h2>", "<h2>Plots</h2>", "<th>floor</th>"} {
		if strings.Contains(page, absent) {
			t.Errorf("page has %s without data", absent)
		}
	}
	if !strings.Contains(page, "<tr><td>errors</td><td>3</td></tr>") {
		t.Error("page lacks the error count")
	}
	if err := writeHTML(filepath.Join(t.TempDir(), "missing-dir", "r.html"), r); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
