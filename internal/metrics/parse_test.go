package metrics

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// parsedFamily is one metric family read back from the exposition output.
type parsedFamily struct {
	help, typ string
	samples   []parsedSample
}

type parsedSample struct {
	labels map[string]string
	key    string // the raw label block, for order checks
	value  float64
}

// parseExposition is a strict reader of the text format 0.0.4 subset we
// write: HELP then TYPE then samples for each family, families in name
// order, every sample of a family after its TYPE line.
func parseExposition(text string) (map[string]*parsedFamily, []string, error) {
	families := map[string]*parsedFamily{}
	var order []string
	var cur string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, help, _ := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
			if families[name] != nil {
				return nil, nil, fmt.Errorf("family %s appears twice", name)
			}
			h, err := unescape(help, false)
			if err != nil {
				return nil, nil, err
			}
			families[name] = &parsedFamily{help: h}
			order = append(order, name)
			cur = name
		case strings.HasPrefix(line, "# TYPE "):
			name, typ, _ := strings.Cut(strings.TrimPrefix(line, "# TYPE "), " ")
			if name != cur || families[name].typ != "" {
				return nil, nil, fmt.Errorf("TYPE line for %s out of place", name)
			}
			families[name].typ = typ
		default:
			name, s, err := parseSample(line)
			if err != nil {
				return nil, nil, err
			}
			if name != cur || families[cur].typ == "" {
				return nil, nil, fmt.Errorf("sample %q outside its family", line)
			}
			families[cur].samples = append(families[cur].samples, s)
		}
	}
	return families, order, sc.Err()
}

func parseSample(line string) (string, parsedSample, error) {
	s := parsedSample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return "", s, fmt.Errorf("bad sample line %q", line)
	}
	name, rest := line[:i], line[i:]
	if rest[0] == '{' {
		end, err := parseLabels(rest, s.labels)
		if err != nil {
			return "", s, fmt.Errorf("%q: %w", line, err)
		}
		s.key, rest = rest[:end], rest[end:]
	}
	if len(rest) < 2 || rest[0] != ' ' {
		return "", s, fmt.Errorf("no value in %q", line)
	}
	v, err := strconv.ParseFloat(rest[1:], 64)
	if rest[1:] == "+Inf" {
		v, err = strconv.ParseFloat("Inf", 64)
	}
	s.value = v
	return name, s, err
}

// parseLabels reads {a="x",b="y"} at the start of s into dst and returns
// the index after the closing brace.
func parseLabels(s string, dst map[string]string) (int, error) {
	i := 1
	for {
		eq := strings.Index(s[i:], `="`)
		if eq < 0 {
			return 0, fmt.Errorf("no label value")
		}
		name := s[i : i+eq]
		i += eq + 2
		var raw strings.Builder
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' {
				raw.WriteByte(s[i])
				i++
			}
			raw.WriteByte(s[i])
		}
		if i >= len(s) {
			return 0, fmt.Errorf("unterminated label value")
		}
		v, err := unescape(raw.String(), true)
		if err != nil {
			return 0, err
		}
		if _, dup := dst[name]; dup {
			return 0, fmt.Errorf("duplicate label %s", name)
		}
		dst[name] = v
		i++
		switch {
		case i < len(s) && s[i] == ',':
			i++
		case i < len(s) && s[i] == '}':
			return i + 1, nil
		default:
			return 0, fmt.Errorf("bad label block")
		}
	}
}

func unescape(s string, quotes bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch {
		case i < len(s) && s[i] == '\\':
			b.WriteByte('\\')
		case i < len(s) && s[i] == 'n':
			b.WriteByte('\n')
		case i < len(s) && s[i] == '"' && quotes:
			b.WriteByte('"')
		default:
			return "", fmt.Errorf("bad escape in %q", s)
		}
	}
	return b.String(), nil
}
