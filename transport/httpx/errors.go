package httpx

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Stable error codes. Clients branch on these; never rename one.
const (
	CodeInvalidCredentials = "invalid_credentials"  // 401
	CodeRateLimited        = "rate_limited"         // 429, with Retry-After
	CodeRefreshReused      = "refresh_token_reused" // 401
	CodeUnauthorized       = "unauthorized"         // 401
	CodeForbidden          = "forbidden"            // 403
	CodeValidationFailed   = "validation_failed"    // 400
	CodeNotFound           = "not_found"            // 404
	CodeMethodNotAllowed   = "method_not_allowed"   // 405
	CodeConflict           = "conflict"             // 409
	CodePayloadTooLarge    = "payload_too_large"    // 413
	CodeInternal           = "internal"             // 500
	// CodeInvalidCode: a second-factor, backup or reset code is wrong,
	// expired, used up or its account locked — one answer for all (401).
	CodeInvalidCode = "invalid_code"
	// CodeInvalidToken: a link token, MFA ticket or ceremony challenge is
	// unknown, expired or already used — one answer for all (401).
	CodeInvalidToken = "invalid_token"
)

// Error is an HTTP error with a public code and message kept apart from its
// internal cause. Only Code and Message are ever sent to the client;
// Internal is for logs.
type Error struct {
	Status   int    `json:"-"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Internal error  `json:"-"`
}

// Error returns the public code and message, plus the internal cause when
// there is one. It is meant for logs, not for clients.
func (e *Error) Error() string {
	if e.Internal != nil {
		return e.Code + ": " + e.Message + ": " + e.Internal.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Internal }

// NewError returns an Error without an internal cause.
func NewError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// Internal returns the generic 500 error that wraps cause. The cause is
// never shown to the client.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal,
		Message: "internal server error", Internal: cause}
}

type errorBody struct {
	Error *Error `json:"error"`
}

// WriteError writes {"error":{"code":…,"message":…}} with status.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	WriteJSON(w, status, errorBody{Error: &Error{Code: code, Message: message}})
}

// WriteErr writes e as WriteError does; a nil e or a zero status is written
// as a 500.
func WriteErr(w http.ResponseWriter, e *Error) {
	if e == nil || e.Status == 0 {
		e = Internal(nil)
	}
	WriteError(w, e.Status, e.Code, e.Message)
}

// WriteRateLimited writes a 429 rate_limited error with a Retry-After header
// of retryAfter rounded up to whole seconds (at least 1).
func WriteRateLimited(w http.ResponseWriter, retryAfter time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds(retryAfter)))
	WriteError(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests, retry later")
}

// RetryAfterSeconds rounds d up to whole seconds, at least 1.
func RetryAfterSeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		return 1
	}
	return s
}

// WriteJSON writes v as JSON with status. The response is marked
// non-cacheable and non-sniffable.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal server error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
