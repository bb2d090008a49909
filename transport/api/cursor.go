package api

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Keyset cursors of the list endpoints (GET /conversations, GET
// /visitors). A cursor is opaque to clients but is no secret and carries
// none: it is the base64url (unpadded) of "v1.<kind>.<unix ms>.<id>", the
// position of the last row of the previous page. Parsing is strict — one
// canonical spelling only (re-encoding must give the input back), the
// right kind for the endpoint, a time in range, a well-formed id — so a
// malformed or edited cursor is 400 validation_failed. A cursor that
// still parses after editing is only another position: every list is
// scoped to the caller's organisation, so it reveals nothing.
const (
	cursorVersion      = "v1"
	cursorConversation = "c" // (updated_at desc, id desc)
	cursorVisitor      = "v" // (created_at desc, id desc)
	maxCursorLen       = 128
)

// cursorPos is a decoded cursor: a time at millisecond precision and an id.
type cursorPos struct {
	At time.Time
	ID string
}

// maxCursorMs bounds cursor times to year 9999, which RFC 3339 can print.
var maxCursorMs = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).UnixMilli()

// encodeCursor returns the cursor of position (at, id) for kind.
func encodeCursor(kind string, at time.Time, id string) string {
	raw := cursorVersion + "." + kind + "." + strconv.FormatInt(at.UnixMilli(), 10) + "." + id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// errBadCursor is the one answer to every malformed cursor (no oracle on
// which part was wrong).
var errBadCursor = invalid("cursor is malformed; pass next_cursor from the previous page unchanged")

// decodeCursor parses a cursor of kind strictly.
func decodeCursor(kind, s string) (cursorPos, error) {
	if s == "" || len(s) > maxCursorLen {
		return cursorPos{}, errBadCursor
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return cursorPos{}, errBadCursor
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 4 || parts[0] != cursorVersion || parts[1] != kind || !validID(parts[3]) {
		return cursorPos{}, errBadCursor
	}
	ms, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || ms < 0 || ms > maxCursorMs {
		return cursorPos{}, errBadCursor
	}
	pos := cursorPos{At: time.UnixMilli(ms).UTC(), ID: parts[3]}
	if encodeCursor(kind, pos.At, pos.ID) != s { // "+5", "05" and the like
		return cursorPos{}, errBadCursor
	}
	return pos, nil
}

// cursor reads the optional "cursor" parameter of kind (nil when
// absent).
func (q query) cursor(kind string) (*cursorPos, error) {
	s, ok := q.one("cursor")
	if !ok {
		return nil, nil
	}
	pos, err := decodeCursor(kind, s)
	if err != nil {
		return nil, err
	}
	return &pos, nil
}

// nextCursor is the next_cursor of a page of n rows asked with limit: the
// position of its last row when the page is full, else nil (the end).
func nextCursor(kind string, n, limit int, last func() (time.Time, string)) *string {
	if n < limit || n == 0 {
		return nil
	}
	at, id := last()
	s := encodeCursor(kind, at, id)
	return &s
}
