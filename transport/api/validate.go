package api

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Field limits.
const (
	maxNameLen  = 100 // runes, for organisation, agent, widget and visitor names
	maxEmailLen = 254 // bytes (RFC 5321 path limit)
	maxPhoneLen = 32
	maxIDLen    = 64
	maxUALen    = 256 // stored user agents are truncated to this many bytes
)

// normEmail validates a bare address ("a@b.example", no display name) and
// returns it trimmed and lower-cased.
func normEmail(field, s string) (string, *httpx.Error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > maxEmailLen {
		return "", invalid(field + " must be an email address of at most 254 characters")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", invalid(field + " must be a plain email address like name@example.com")
	}
	return s, nil
}

// requiredText trims s and requires 1..max runes without control characters.
func requiredText(field, s string, max int) (string, *httpx.Error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid(field + " is required")
	}
	return optionalText(field, s, max)
}

// optionalText trims s and allows 0..max runes without control characters.
func optionalText(field, s string, max int) (string, *httpx.Error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return "", invalid(field + " is too long or not valid UTF-8")
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", invalid(field + " must not contain control characters")
	}
	return s, nil
}

// optionalEmail is normEmail for a field that may be empty.
func optionalEmail(field, s string) (string, *httpx.Error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return normEmail(field, s)
}

// optionalPhone allows digits, spaces and + - ( ) . up to 32 characters.
func optionalPhone(s string) (string, *httpx.Error) {
	s = strings.TrimSpace(s)
	if len(s) > maxPhoneLen {
		return "", invalid("phone is too long")
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789 +-().", r) {
			return "", invalid("phone may hold only digits, spaces and + - ( ) .")
		}
	}
	return s, nil
}

// validID reports whether s looks like a storage id: 1..64 of [a-z0-9_].
func validID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// passwordError turns a ValidatePassword failure into its public message.
func passwordError(err error) *httpx.Error {
	switch {
	case errors.Is(err, security.ErrPasswordTooShort):
		return invalid("password must be at least 12 characters")
	case errors.Is(err, security.ErrPasswordTooLong):
		return invalid("password must be at most 128 characters")
	default:
		return invalid("password is not acceptable")
	}
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
