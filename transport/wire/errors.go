package wire

import (
	"errors"
	"slices"
)

// ErrorCode is the stable code of an error frame. Clients branch on it, so a
// code is never renamed or reused. After an error frame the connection stays
// open; docs/protocol.md carries the same table.
type ErrorCode string

// Error codes: the one table (keep errorCodes and docs/protocol.md in step).
const (
	// CodeBadFrame: the message is not one JSON object with a string
	// "type": not valid UTF-8 JSON, not an object, trailing data after the
	// object, a missing type, a malformed or unknown envelope field.
	CodeBadFrame ErrorCode = "bad_frame"
	// CodeUnknownType: the frame's type is not a client frame type.
	CodeUnknownType ErrorCode = "unknown_type"
	// CodeValidationFailed: the frame's data breaks the schema (missing,
	// unknown or duplicate field, wrong JSON type, length, range or enum).
	CodeValidationFailed ErrorCode = "validation_failed"
	// CodeUnauthorized: the token in an auth frame is invalid or expired.
	CodeUnauthorized ErrorCode = "unauthorized"
	// CodeForbidden: the subject may not do this (a visitor claiming a
	// conversation, an auth frame for another subject).
	CodeForbidden ErrorCode = "forbidden"
	// CodeNotFound: no such conversation or agent for this subject. Records
	// of other organisations or other visitors are reported this way too,
	// so ids reveal nothing.
	CodeNotFound ErrorCode = "not_found"
	// CodeConflict: the state changed under the request (claiming a
	// conversation someone else holds); reload and retry.
	CodeConflict ErrorCode = "conflict"
	// CodeConversationClosed: the conversation is closed to new messages.
	CodeConversationClosed ErrorCode = "conversation_closed"
	// CodeRateLimited: the connection's frame budget is spent, or a
	// per-visitor limit refused the frame (conversation.start; the error
	// then carries RetryAfter); the frame was not processed. Slow down.
	CodeRateLimited ErrorCode = "rate_limited"
	// CodeInternal: the server failed; the frame may be retried later.
	CodeInternal ErrorCode = "internal"
	// CodeUnavailable: the store (or the session check) did not answer; the
	// frame may or may not have taken effect. Retry it with backoff (a
	// message.send with the same client_id is stored at most once).
	CodeUnavailable ErrorCode = "unavailable"
	// CodeOverloaded: the node could not take the message.send now (its
	// store is behind); the message was not stored. Resend the same
	// client_id after RetryAfterMS milliseconds.
	CodeOverloaded ErrorCode = "overloaded"
)

var errorCodes = []ErrorCode{
	CodeBadFrame, CodeUnknownType, CodeValidationFailed, CodeUnauthorized,
	CodeForbidden, CodeNotFound, CodeConflict, CodeConversationClosed,
	CodeRateLimited, CodeInternal, CodeUnavailable, CodeOverloaded,
}

// ErrorCodes returns every defined error code, in table order.
func ErrorCodes() []ErrorCode { return slices.Clone(errorCodes) }

// Known reports whether c is one of the defined error codes.
func (c ErrorCode) Known() bool { return slices.Contains(errorCodes, c) }

// NewError returns an *Error with code and message. The message is sent to
// the client: it must say what was wrong without echoing client values.
func NewError(code ErrorCode, message string) *Error {
	return &Error{Code: string(code), Message: message}
}

// Error returns "code: message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// CodeOf returns the code of the *Error in err's chain, CodeInternal for any
// other error, and "" for nil.
func CodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return ErrorCode(e.Code)
	}
	return CodeInternal
}
