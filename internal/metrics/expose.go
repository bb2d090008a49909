package metrics

import (
	"math"
	"strconv"
	"strings"
)

// ContentType is the media type of the text exposition format 0.0.4.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// expose renders every family with at least one sample: a HELP and a TYPE
// line, then its samples.
func (r *Registry) expose() []byte {
	names, families := r.snapshot()
	var b []byte
	var samples []sample
	for i, f := range families {
		samples = f.collect(samples[:0])
		if len(samples) == 0 {
			continue
		}
		help, typ := f.describe()
		b = append(b, "# HELP "+names[i]+" "...)
		b = append(b, helpEscaper.Replace(help)...)
		b = append(b, "\n# TYPE "+names[i]+" "+typ+"\n"...)
		for _, s := range samples {
			b = appendSample(b, names[i], s)
		}
	}
	return b
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	valueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// appendSample appends `name{label="value",…} value` and a newline.
func appendSample(b []byte, name string, s sample) []byte {
	b = append(b, name...)
	for i, l := range s.labelNames {
		if i == 0 {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = append(b, l+`="`...)
		b = append(b, valueEscaper.Replace(s.labelValues[i])...)
		b = append(b, '"')
	}
	if len(s.labelNames) > 0 {
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = append(b, s.value...)
	return append(b, '\n')
}

// formatFloat renders a sample value as Prometheus expects.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
