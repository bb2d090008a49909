package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// query validates URL query parameters. Parameters the endpoint does not
// know are ignored (a token in the URL, for one, is never read); an empty
// value counts as absent.
type query struct{ v url.Values }

// parseQuery parses the request's query, refusing a malformed one or a
// repeated parameter.
func parseQuery(r *http.Request) (query, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query{}, invalid("malformed query string")
	}
	for k, vs := range v {
		if len(vs) > 1 {
			return query{}, invalid("query parameter " + strconv.Quote(truncate(k, 32)) + " is repeated")
		}
	}
	return query{v}, nil
}

// one returns the value of key and whether it is present and non-empty.
func (q query) one(key string) (string, bool) {
	s := q.v.Get(key)
	return s, s != ""
}

// int parses key as a decimal integer in [min, max] (absent: min).
func (q query) int(key string, min, max int64) (int64, error) {
	s, ok := q.one(key)
	if !ok {
		return min, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < min || n > max {
		return 0, invalid(key + " must be an integer from " + strconv.FormatInt(min, 10) + " to " + strconv.FormatInt(max, 10))
	}
	return n, nil
}

// limit parses "limit" in [1, max] (absent: def).
func (q query) limit(def, max int) (int, error) {
	if _, ok := q.one("limit"); !ok {
		return def, nil
	}
	n, err := q.int("limit", 1, int64(max))
	return int(n), err
}

// time parses key as RFC 3339 (absent: zero time), truncated to the
// millisecond storage precision.
func (q query) time(key string) (time.Time, error) {
	s, ok := q.one(key)
	if !ok {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid(key + " must be an RFC 3339 time like 2024-05-01T12:00:00Z")
	}
	return t.UTC().Truncate(time.Millisecond), nil
}

// text requires key: 1..max runes after trimming, valid UTF-8, no control
// characters.
func (q query) text(key string, max int) (string, error) {
	s, ok := q.one(key)
	if !ok || strings.TrimSpace(s) == "" {
		return "", invalid(key + " is required")
	}
	t, e := requiredText(key, s, max)
	if e != nil {
		return "", e
	}
	return t, nil
}
