package httpx

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Cookie names for browser sessions. The "__Host-" prefix makes the browser
// refuse the cookie unless it is Secure, host-only and Path=/; use CookieName
// to get the name actually in force.
const (
	AccessCookie  = "__Host-helpr_access"
	RefreshCookie = "__Host-helpr_refresh"
)

const hostPrefix = "__Host-"

// CookieName returns the cookie name in force: name itself when cookies are
// Secure, and name without its "__Host-" prefix otherwise (plain-http
// development, where browsers would reject a "__Host-" cookie).
func CookieName(name string, secure bool) string {
	if secure {
		return name
	}
	return strings.TrimPrefix(name, hostPrefix)
}

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive. Tokens are never read from the URL.
func BearerToken(r *http.Request) (string, bool) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// CookieToken returns the non-empty value of cookie name.
func CookieToken(r *http.Request, name string) (string, bool) {
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// SetTokenCookie sets cookie CookieName(name, secure) to value for ttl
// (Max-Age, whole seconds; ttl <= 0 makes a browser-session cookie):
// HttpOnly, SameSite=Strict, Path=/, Secure when secure.
func SetTokenCookie(w http.ResponseWriter, name, value string, ttl time.Duration, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName(name, secure),
		Value:    value,
		Path:     "/",
		MaxAge:   int(ttl / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteStrictMode,
	})
}

// ClearTokenCookie tells the browser to delete cookie CookieName(name, secure).
func ClearTokenCookie(w http.ResponseWriter, name string, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName(name, secure),
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteStrictMode,
	})
}

// SameOrigin reports whether the request carries exactly one Origin header
// and it equals one of own exactly (the hub's public origin and its
// aliases). A missing Origin is not the same origin.
func SameOrigin(r *http.Request, own ...string) bool {
	values := r.Header.Values("Origin")
	return len(values) == 1 && values[0] != "" && slices.Contains(own, values[0])
}
