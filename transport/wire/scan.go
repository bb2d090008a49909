package wire

import (
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// Scanner failures. DecodeClient turns them into *Error values with the
// right code and a message for the field at hand.
var (
	errSyntax     = errors.New("malformed JSON")
	errNotObject  = errors.New("not a JSON object")
	errSurrogate  = errors.New("unpaired UTF-16 surrogate escape")
	errWrongType  = errors.New("wrong JSON type")
	errNotInteger = errors.New("not an integer")
	errRange      = errors.New("integer out of range")
)

// scanner reads a JSON text that has already passed json.Valid and
// utf8.Valid; it still fails safely (errSyntax) on anything unexpected. It
// keeps the exact member names, so decoding can reject duplicate and
// differently-cased names that encoding/json would silently accept.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.skipSpace()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// atEnd reports whether only white space is left.
func (s *scanner) atEnd() bool { return s.peek() == 0 && s.i == len(s.b) }

// object reads an object, calling member for each name; member must consume
// the value. A name with a bad \u escape is passed as nil.
func (s *scanner) object(member func(name []byte) error) error {
	if s.peek() != '{' {
		return errNotObject
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		if s.peek() != '"' {
			return errSyntax
		}
		name, err := s.str()
		if errors.Is(err, errSurrogate) {
			name, err = nil, nil
		}
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return errSyntax
		}
		s.i++
		if err := member(name); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// null consumes a null literal if one is next.
func (s *scanner) null() bool {
	return s.peek() == 'n' && s.literal("null")
}

// str reads a string. Without escapes the result aliases the input;
// otherwise it is a new buffer.
func (s *scanner) str() ([]byte, error) {
	if s.peek() != '"' {
		return nil, errWrongType
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.i++
			return s.b[start : s.i-1], nil
		case '\\':
			return s.strEscaped(append([]byte(nil), s.b[start:s.i]...))
		default:
			s.i++
		}
	}
	return nil, errSyntax
}

func (s *scanner) strEscaped(out []byte) ([]byte, error) {
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '"' {
			s.i++
			return out, nil
		}
		if c != '\\' {
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			return nil, errSyntax
		}
		e := s.b[s.i+1]
		s.i += 2
		if e == 'u' {
			r, err := s.unicodeEscape()
			if err != nil {
				return nil, err
			}
			out = utf8.AppendRune(out, r)
			continue
		}
		d, ok := simpleEscape(e)
		if !ok {
			return nil, errSyntax
		}
		out = append(out, d)
	}
	return nil, errSyntax
}

func simpleEscape(e byte) (byte, bool) {
	switch e {
	case '"', '\\', '/':
		return e, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// unicodeEscape reads the XXXX of a \uXXXX escape (and the low half of a
// surrogate pair). Unpaired surrogates are refused: they are not Unicode
// text, and encoding/json would silently turn them into U+FFFD.
func (s *scanner) unicodeEscape() (rune, error) {
	r, ok := s.hex4()
	if !ok {
		return 0, errSyntax
	}
	if !utf16.IsSurrogate(r) {
		return r, nil
	}
	if r >= 0xDC00 || s.i+6 > len(s.b) || s.b[s.i] != '\\' || s.b[s.i+1] != 'u' {
		return 0, errSurrogate
	}
	s.i += 2
	lo, ok := s.hex4()
	if !ok {
		return 0, errSyntax
	}
	if lo < 0xDC00 || lo > 0xDFFF {
		return 0, errSurrogate
	}
	return utf16.DecodeRune(r, lo), nil
}

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// int64 reads an integer. Fractions and exponents are refused even when
// their value is whole ("1.0", "1e3").
func (s *scanner) int64() (int64, error) {
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, errWrongType
	}
	neg := c == '-'
	if neg {
		s.i++
	}
	start := s.i
	var v uint64
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		if v > (1<<63)/10 {
			return 0, errRange
		}
		v = v*10 + uint64(s.b[s.i]-'0')
		s.i++
	}
	if s.i == start {
		return 0, errSyntax
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		return 0, errNotInteger
	}
	return signed(v, neg)
}

func signed(v uint64, neg bool) (int64, error) {
	switch {
	case neg && v <= 1<<63:
		return -int64(v), nil // wraps to math.MinInt64 for 1<<63, as it should
	case !neg && v < 1<<63:
		return int64(v), nil
	}
	return 0, errRange
}

// bool reads true or false.
func (s *scanner) bool() (bool, error) {
	switch s.peek() {
	case 't':
		if s.literal("true") {
			return true, nil
		}
	case 'f':
		if s.literal("false") {
			return false, nil
		}
	}
	return false, errWrongType
}

// literal consumes w if it comes next.
func (s *scanner) literal(w string) bool {
	if len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return true
	}
	return false
}

// skipValue steps over one value of any kind and returns its bytes.
func (s *scanner) skipValue() ([]byte, error) {
	c := s.peek()
	start := s.i
	var err error
	switch c {
	case 0:
		return nil, errSyntax
	case '"':
		err = s.skipString()
	case '{', '[':
		err = s.skipNested()
	default:
		for s.i < len(s.b) && !isDelimiter(s.b[s.i]) {
			s.i++
		}
	}
	return s.b[start:s.i], err
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// skipString steps over a string without decoding it.
func (s *scanner) skipString() error {
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return nil
		}
	}
	return errSyntax
}

// skipNested steps over an object or array by counting brackets; the input
// has passed json.Valid, so they balance.
func (s *scanner) skipNested() error {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if err := s.skipString(); err != nil {
				return err
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.i++
				return nil
			}
		}
		s.i++
	}
	return errSyntax
}
