package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Encode returns the frame {"type":typ,"ref":ref,"data":payload} as compact
// single-line JSON: ref is left out when empty, data when payload is nil.
// The payload is marshalled by encoding/json and must be a JSON object.
// The output never contains a raw newline, so frames can be joined with
// "\n" into one WebSocket message. It works for frames in both directions.
func Encode(typ, ref string, payload any) ([]byte, error) {
	if typ == "" {
		return nil, errors.New("encode frame: empty type")
	}
	var data []byte
	if payload != nil {
		var err error
		if data, err = json.Marshal(payload); err != nil {
			return nil, fmt.Errorf("encode %s frame: %w", typ, err)
		}
		if string(data) == "null" {
			data = nil // a nil pointer: no data
		} else if data[0] != '{' {
			return nil, fmt.Errorf("encode %s frame: data must be a JSON object", typ)
		}
	}
	b := make([]byte, 0, 32+len(typ)+len(ref)+len(data))
	b = appendHead(b, typ, ref)
	if data != nil {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	}
	return append(b, '}'), nil
}

// appendHead appends `{"type":typ` and `,"ref":ref` when ref is set.
func appendHead(b []byte, typ, ref string) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, typ)
	if ref != "" {
		b = append(b, `,"ref":`...)
		b = appendString(b, ref)
	}
	return b
}

// EncodeMessage encodes a message frame. It is the fan-out hot path: the
// bytes equal Encode(TypeMessage, "", m) but are built by hand in one
// allocation.
func EncodeMessage(m *Message) []byte {
	b := make([]byte, 0, 160+len(m.ConversationID)+len(m.ID)+len(m.ClientID)+
		len(m.SenderKind)+len(m.SenderID)+len(m.Text)+len(m.CreatedAt))
	b = append(b, `{"type":"message","data":{"conversation_id":`...)
	b = appendString(b, m.ConversationID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, m.Seq, 10)
	b = append(b, `,"id":`...)
	b = appendString(b, m.ID)
	b = append(b, `,"client_id":`...)
	b = appendString(b, m.ClientID)
	b = append(b, `,"sender_kind":`...)
	b = appendString(b, m.SenderKind)
	if m.SenderID != "" {
		b = append(b, `,"sender_id":`...)
		b = appendString(b, m.SenderID)
	}
	b = append(b, `,"text":`...)
	b = appendString(b, m.Text)
	b = append(b, `,"created_at":`...)
	b = appendString(b, m.CreatedAt)
	return append(b, "}}"...)
}

// EncodeAck encodes the ack frame answering ref. The bytes equal
// Encode(TypeAck, ref, a).
func EncodeAck(ref string, a *Ack) []byte {
	b := make([]byte, 0, 160+len(ref)+len(a.ConversationID)+len(a.ClientID)+
		len(a.MessageID)+len(a.CreatedAt))
	b = appendHead(b, TypeAck, ref)
	b = append(b, `,"data":{"conversation_id":`...)
	b = appendString(b, a.ConversationID)
	b = append(b, `,"client_id":`...)
	b = appendString(b, a.ClientID)
	b = append(b, `,"message_id":`...)
	b = appendString(b, a.MessageID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, a.Seq, 10)
	b = append(b, `,"created_at":`...)
	b = appendString(b, a.CreatedAt)
	if a.Duplicate {
		b = append(b, `,"duplicate":true`...)
	}
	return append(b, "}}"...)
}

// SplitFrames splits one WebSocket message from the server into its frames
// (separated by "\n"), skipping empty lines. The frames alias b.
func SplitFrames(b []byte) [][]byte {
	frames := make([][]byte, 0, bytes.Count(b, []byte{'\n'})+1)
	for len(b) > 0 {
		line, rest, _ := bytes.Cut(b, []byte{'\n'})
		if len(line) > 0 {
			frames = append(frames, line)
		}
		b = rest
	}
	return frames
}

const hexDigits = "0123456789abcdef"

// safeASCII marks the ASCII bytes a JSON string may carry unescaped. Like
// encoding/json it escapes <, > and & too, so a frame pasted into HTML is
// inert.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string exactly as encoding/json does:
// control characters, quotes, backslashes, <, >, & and U+2028/U+2029
// escaped, invalid UTF-8 replaced by \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safeASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = appendEscapedByte(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		} else {
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendEscapedByte(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
