package api

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// maxOfflineLen caps a widget's offline message, in runes.
const maxOfflineLen = 500

// DefaultOfflineMessage is what the widget shows when no agent is online and
// the widget has no offline message of its own.
const DefaultOfflineMessage = "We're not online right now. Leave a message and we'll get back to you by email."

// prechatRequest is the pre-chat part of a widget request. A nil field is
// absent (POST: the default; PATCH: unchanged); "" resets to the default.
type prechatRequest struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
	Phone *string `json:"phone"`
}

// prechatView is a widget's effective pre-chat modes.
type prechatView struct {
	Name  storage.FieldMode `json:"name"`
	Email storage.FieldMode `json:"email"`
	Phone storage.FieldMode `json:"phone"`
}

func viewPrechat(p storage.PrechatFields) prechatView {
	e := p.Effective()
	return prechatView{Name: e.Name, Email: e.Email, Phone: e.Phone}
}

// applyPrechat sets each field of req present in p, validating its mode.
func applyPrechat(p *storage.PrechatFields, req *prechatRequest) *httpx.Error {
	if req == nil {
		return nil
	}
	for _, f := range []struct {
		name string
		in   *string
		out  *storage.FieldMode
	}{{"name", req.Name, &p.Name}, {"email", req.Email, &p.Email}, {"phone", req.Phone, &p.Phone}} {
		if f.in == nil {
			continue
		}
		m, e := fieldMode("prechat."+f.name, *f.in)
		if e != nil {
			return e
		}
		*f.out = m
	}
	return nil
}

// fieldMode validates a pre-chat mode; "" is the field's default.
func fieldMode(field, s string) (storage.FieldMode, *httpx.Error) {
	switch m := storage.FieldMode(s); m {
	case "", storage.FieldRequired, storage.FieldOptional, storage.FieldHidden:
		return m, nil
	}
	return "", invalid(field + ` must be "required", "optional" or "hidden"`)
}

// offlineMessage trims s and allows 0..500 runes; line breaks are the only
// control characters allowed (the widget renders it as text).
func offlineMessage(s string) (string, *httpx.Error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxOfflineLen {
		return "", invalid(fmt.Sprintf("offline_message must be valid UTF-8 of at most %d characters", maxOfflineLen))
	}
	if strings.IndexFunc(s, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) >= 0 {
		return "", invalid("offline_message must not contain control characters other than line breaks")
	}
	return s, nil
}

// allowedOrigins validates and normalises a widget's origins, dropping
// duplicates.
func allowedOrigins(raw []string) ([]string, *httpx.Error) {
	if len(raw) > maxOrigins {
		return nil, invalid(fmt.Sprintf("allowed_origins holds at most %d origins", maxOrigins))
	}
	origins := make([]string, 0, len(raw))
	seen := map[string]bool{}
	for i, r := range raw {
		o, err := normOrigin(r)
		if err != nil {
			return nil, invalid(fmt.Sprintf("allowed_origins[%d]: %v", i, err))
		}
		if !seen[o] {
			seen[o] = true
			origins = append(origins, o)
		}
	}
	return origins, nil
}
