package sqlite

import (
	"encoding/json"
	"fmt"
	"time"
)

// ms converts t to Unix milliseconds for storage; the zero time is NULL.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// msTime scans a Unix-millisecond column into a UTC time.Time; NULL scans
// as the zero time.
type msTime struct{ t *time.Time }

// at returns a scan destination for the time pointed to by t.
func at(t *time.Time) msTime { return msTime{t} }

// Scan implements sql.Scanner.
func (m msTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*m.t = time.Time{}
	case int64:
		*m.t = time.UnixMilli(v).UTC()
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}

// nullIfEmpty stores "" as NULL (used for optional unique keys).
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func encodeOrigins(origins []string) (string, error) {
	if len(origins) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(origins)
	if err != nil {
		return "", fmt.Errorf("encode allowed origins: %w", err)
	}
	return string(b), nil
}

// origins scans a JSON array of strings; an empty array scans as nil.
type origins struct{ v *[]string }

// Scan implements sql.Scanner.
func (o origins) Scan(src any) error {
	var raw []byte
	switch v := src.(type) {
	case string:
		raw = []byte(v)
	case []byte:
		raw = v
	default:
		return fmt.Errorf("scan allowed origins: unexpected %T", src)
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("scan allowed origins: %w", err)
	}
	if len(list) == 0 {
		list = nil
	}
	*o.v = list
	return nil
}
