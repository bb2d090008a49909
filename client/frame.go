package client

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/helpr-chat/helpr/transport/wire"
)

// RawFrame is one server frame as read by NextRaw. Type and Ref are
// ordinary strings; Data is the raw JSON of the data member (nil when
// absent) and aliases the connection's read buffer: it is valid only
// until the next call to NextRaw or Next. Use Frame to keep it longer.
type RawFrame struct {
	Type string
	Ref  string
	Data []byte
}

// Frame returns f with its own copy of Data, as Next returns it.
func (f RawFrame) Frame() Frame {
	return Frame{Type: f.Type, Ref: f.Ref, Data: bytes.Clone(f.Data)}
}

// maxTypes bounds the frame types a connection keeps interned.
const maxTypes = 64

// decoder turns envelope bytes into a RawFrame in one pass, with the
// frame types seen so far interned so a known type costs no allocation.
type decoder struct {
	types map[string]string
}

// decode reads one envelope. Frames the scan does not take (escapes or
// non-ASCII in type or ref, keys that only match by case, non-string
// type or ref, malformed JSON, ...) go through encoding/json, so results
// and errors are exactly what json.Unmarshal into wire.Envelope gives.
func (d *decoder) decode(b []byte) (RawFrame, error) {
	if f, ok := d.scan(b); ok {
		return f, nil
	}
	var env wire.Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return RawFrame{}, fmt.Errorf("decode frame %q: %w", b, err)
	}
	return RawFrame{Type: env.Type, Ref: env.Ref, Data: env.Data}, nil
}

// scan is the fast path of decode (ok false: not taken).
func (d *decoder) scan(b []byte) (f RawFrame, ok bool) {
	s := scanner{b: b}
	s.space()
	if s.peek() != '{' {
		return RawFrame{}, false
	}
	ok = s.members(func(key []byte, plain bool) bool {
		if !plain {
			return false
		}
		switch string(key) {
		case "type":
			return d.str(&s, &f.Type, true)
		case "ref":
			return d.str(&s, &f.Ref, false)
		case "data":
			start := s.i
			if !s.value(1) {
				return false
			}
			f.Data = b[start:s.i:s.i]
			return true
		}
		if bytes.EqualFold(key, []byte("type")) || bytes.EqualFold(key, []byte("ref")) || bytes.EqualFold(key, []byte("data")) {
			return false // encoding/json matches these too
		}
		return s.value(1)
	})
	s.space()
	return f, ok && s.i == len(b)
}

// str reads a plain string member value into *dst, interned when intern.
func (d *decoder) str(s *scanner, dst *string, intern bool) bool {
	start := s.i
	if plain, ok := s.str(); !ok || !plain {
		return false
	}
	v := s.b[start+1 : s.i-1]
	if intern {
		*dst = d.intern(v)
	} else {
		*dst = string(v)
	}
	return true
}

// intern returns v as a string, shared with earlier equal ones.
func (d *decoder) intern(v []byte) string {
	if t, ok := d.types[string(v)]; ok {
		return t
	}
	t := string(v)
	if d.types == nil {
		d.types = make(map[string]string, 16)
	}
	if len(d.types) < maxTypes {
		d.types[t] = t
	}
	return t
}
