package client

// scanner is a strict one-pass JSON reader over b: it accepts exactly the
// syntax encoding/json accepts, without building anything. Every method
// reports false on input it does not take; the caller then hands the
// frame to encoding/json, which decides and words the error.
type scanner struct {
	b []byte
	i int
}

// maxDepth bounds nesting; deeper values go to encoding/json (its own
// limit is 10000).
const maxDepth = 512

// space skips JSON whitespace.
func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the byte at the cursor, 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str reads a string at the cursor. plain says it holds no escape and
// only ASCII, so its bytes between the quotes are its value.
func (s *scanner) str() (plain, ok bool) {
	if s.peek() != '"' {
		return false, false
	}
	plain = true
	for s.i++; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return plain, true
		case c == '\\':
			if !s.escape() {
				return false, false
			}
			plain = false
		case c < 0x20:
			return false, false
		case c >= 0x80:
			plain = false
		}
	}
	return false, false
}

// escape checks the escape whose backslash is at the cursor and leaves
// the cursor on its last byte.
func (s *scanner) escape() bool {
	if s.i+1 >= len(s.b) {
		return false
	}
	s.i++
	switch s.b[s.i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		if s.i+4 >= len(s.b) {
			return false
		}
		for _, h := range s.b[s.i+1 : s.i+5] {
			if !isHex(h) {
				return false
			}
		}
		s.i += 4
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// value reads any value at the cursor.
func (s *scanner) value(depth int) bool {
	switch c := s.peek(); {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{':
		return depth < maxDepth && s.object(depth+1)
	case c == '[':
		return depth < maxDepth && s.array(depth+1)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

// object reads an object whose members it skips.
func (s *scanner) object(depth int) bool {
	return s.members(func([]byte, bool) bool { return s.value(depth) })
}

// members reads an object at the cursor, calling member with each key
// (its bytes between the quotes; plain as str says) and the cursor on
// the member's value, which member must read.
func (s *scanner) members(member func(key []byte, plain bool) bool) bool {
	s.i++ // '{'
	s.space()
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		start := s.i
		plain, ok := s.str()
		if !ok {
			return false
		}
		key := s.b[start+1 : s.i-1]
		s.space()
		if s.peek() != ':' {
			return false
		}
		s.i++
		s.space()
		if !member(key, plain) {
			return false
		}
		s.space()
		switch s.peek() {
		case '}':
			s.i++
			return true
		case ',':
			s.i++
			s.space()
		default:
			return false
		}
	}
}

// array reads an array.
func (s *scanner) array(depth int) bool {
	s.i++ // '['
	s.space()
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth) {
			return false
		}
		s.space()
		switch s.peek() {
		case ']':
			s.i++
			return true
		case ',':
			s.i++
			s.space()
		default:
			return false
		}
	}
}

// literal reads the word lit.
func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *scanner) number() bool {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.peek() == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits reads one or more decimal digits.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
