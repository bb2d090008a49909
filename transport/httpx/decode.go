package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// DecodeJSON decodes the request body into dst. The body must be declared
// application/json, be at most maxBytes long, hold exactly one JSON value and
// name no field dst lacks. Failures are validation_failed (400), or
// payload_too_large (413) when the body exceeds maxBytes.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any, maxBytes int64) *Error {
	if !isJSON(r.Header.Get("Content-Type")) {
		return validation("Content-Type must be application/json")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, maxBytes)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return decodeError(err, maxBytes)
		}
		return validation("request body must hold a single JSON value")
	}
	return nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

func validation(msg string) *Error {
	return NewError(http.StatusBadRequest, CodeValidationFailed, msg)
}

// decodeError turns a json decoding error into a public message that names
// the problem (field, position) without echoing the body.
func decodeError(err error, maxBytes int64) *Error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodePayloadTooLarge,
			Message: fmt.Sprintf("request body exceeds %d bytes", maxBytes), Internal: err}
	case errors.Is(err, io.EOF):
		return validation("request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return validation("request body is truncated JSON")
	case errors.As(err, &syntax):
		return validation(fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return validation(fmt.Sprintf("field %q has the wrong type", typeErr.Field))
		}
		return validation("request body has the wrong JSON type")
	default:
		if name, ok := unknownField(err); ok {
			return validation(fmt.Sprintf("unknown field %s", name))
		}
		return &Error{Status: http.StatusBadRequest, Code: CodeValidationFailed,
			Message: "malformed request body", Internal: err}
	}
}

// unknownField extracts the field name from encoding/json's unexported
// unknown-field error ("json: unknown field \"x\"").
func unknownField(err error) (string, bool) {
	const prefix = "json: unknown field "
	msg := err.Error()
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		name := msg[len(prefix):]
		if len(name) > 66 {
			name = name[:64] + `…"`
		}
		return name, true
	}
	return "", false
}
