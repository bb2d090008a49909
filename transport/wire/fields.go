package wire

import "errors"

// field describes one member of a client payload: its JSON name and where
// its value goes (exactly one of str, num, flag is set).
type field struct {
	name     string
	str      *string
	num      *int64
	flag     *bool
	optional bool
}

func stringField(name string, p *string) field { return field{name: name, str: p} }

// decodeFields reads data (an object, or nil when the envelope had none)
// into fields. Every non-optional field must be present; unknown and
// duplicate names are refused. Payloads have at most a few fields, so a
// linear search and a bit set are enough.
func decodeFields(data []byte, fields []field) error {
	if data == nil {
		for _, f := range fields {
			if !f.optional {
				return validationf("data is required")
			}
		}
		return nil
	}
	s := scanner{b: data}
	var seen uint64
	err := s.object(func(name []byte) error {
		i := fieldIndex(fields, name)
		if i < 0 {
			return unknownName(CodeValidationFailed, "field", name)
		}
		if seen&(1<<i) != 0 {
			return validationf("duplicate field %q", fields[i].name)
		}
		seen |= 1 << i
		return fields[i].read(&s)
	})
	if errors.Is(err, errNotObject) {
		return validationf("data must be a JSON object")
	}
	if err != nil {
		return asError(err)
	}
	for i, f := range fields {
		if !f.optional && seen&(1<<i) == 0 {
			return validationf("missing field %q", f.name)
		}
	}
	return nil
}

func fieldIndex(fields []field, name []byte) int {
	for i := range fields {
		if string(name) == fields[i].name {
			return i
		}
	}
	return -1
}

// read reads the field's value from s into its target.
func (f field) read(s *scanner) error {
	switch {
	case f.str != nil:
		v, err := s.str()
		if err != nil {
			return f.valueError(err, "a string")
		}
		*f.str = string(v)
	case f.num != nil:
		v, err := s.int64()
		if err != nil {
			return f.valueError(err, "an integer")
		}
		*f.num = v
	default:
		v, err := s.bool()
		if err != nil {
			return f.valueError(err, "true or false")
		}
		*f.flag = v
	}
	return nil
}

// valueError explains a scanner failure on the field's value.
func (f field) valueError(err error, want string) error {
	switch {
	case errors.Is(err, errWrongType), errors.Is(err, errNotInteger):
		return validationf("%s must be %s", f.name, want)
	case errors.Is(err, errRange):
		return validationf("%s is out of range", f.name)
	case errors.Is(err, errSurrogate):
		return validationf("%s must be valid Unicode text", f.name)
	}
	return asError(err)
}
