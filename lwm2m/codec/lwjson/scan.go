package lwjson

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// maxDepth bounds the nesting of values skipped under unknown keys.
const maxDepth = 32

// scanner reads RFC 8259 JSON from a byte slice.
type scanner struct {
	data []byte
	off  int
}

func (s *scanner) errAt(off int, msg string, args ...any) error {
	return codec.Malformed(format, off, msg, args...)
}

func (s *scanner) ws() {
	for s.off < len(s.data) {
		switch s.data[s.off] {
		case ' ', '\t', '\n', '\r':
			s.off++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte without consuming it.
func (s *scanner) next() (byte, error) {
	s.ws()
	if s.off >= len(s.data) {
		return 0, s.errAt(s.off, "unexpected end of payload")
	}
	return s.data[s.off], nil
}

func (s *scanner) expect(c byte) error {
	b, err := s.next()
	if err != nil {
		return err
	}
	if b != c {
		return s.errAt(s.off, "expected %q, found %s", c, describeByte(b))
	}
	s.off++
	return nil
}

func describeByte(b byte) string {
	if b >= 0x20 && b < 0x7f {
		return "'" + string(rune(b)) + "'"
	}
	return "byte 0x" + string("0123456789abcdef"[b>>4]) + string("0123456789abcdef"[b&15])
}

// object reads an object, calling fn for each member with the scanner
// positioned at the member's value, which fn must consume.
func (s *scanner) object(fn func(key []byte, keyOff int) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if b, err := s.next(); err != nil {
		return err
	} else if b == '}' {
		s.off++
		return nil
	}
	for {
		b, err := s.next()
		if err != nil {
			return err
		}
		if b != '"' {
			return s.errAt(s.off, "expected a member name, found %s", describeByte(b))
		}
		keyOff := s.off
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := fn(key, keyOff); err != nil {
			return err
		}
		if b, err = s.next(); err != nil {
			return err
		}
		s.off++
		switch b {
		case ',':
		case '}':
			return nil
		default:
			return s.errAt(s.off-1, "expected ',' or '}', found %s", describeByte(b))
		}
	}
}

// array reads an array, calling fn with the scanner at each element.
func (s *scanner) array(fn func(i int) error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if b, err := s.next(); err != nil {
		return err
	} else if b == ']' {
		s.off++
		return nil
	}
	for i := 0; ; i++ {
		if err := fn(i); err != nil {
			return err
		}
		b, err := s.next()
		if err != nil {
			return err
		}
		s.off++
		switch b {
		case ',':
		case ']':
			return nil
		default:
			return s.errAt(s.off-1, "expected ',' or ']', found %s", describeByte(b))
		}
	}
}

// str reads a string. Without escapes the result aliases the payload;
// with escapes it is decoded into a new slice no longer than the source.
func (s *scanner) str() ([]byte, error) {
	if err := s.expect('"'); err != nil {
		return nil, err
	}
	start := s.off
	for i := start; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			s.off = i + 1
			if !utf8.Valid(s.data[start:i]) {
				return nil, s.errAt(start-1, "string is not valid UTF-8")
			}
			return s.data[start:i], nil
		case c == '\\':
			return s.unescape(start, i)
		case c < 0x20:
			return nil, s.errAt(i, "control character 0x%02x in a string", c)
		}
	}
	return nil, s.errAt(start-1, "unterminated string")
}

func (s *scanner) unescape(start, i int) ([]byte, error) {
	out := make([]byte, 0, min(len(s.data)-start, 2*(i-start)+16))
	out = append(out, s.data[start:i]...)
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			s.off = i + 1
			if !utf8.Valid(out) {
				return nil, s.errAt(start-1, "string is not valid UTF-8")
			}
			return out, nil
		case c < 0x20:
			return nil, s.errAt(i, "control character 0x%02x in a string", c)
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(s.data) {
			break
		}
		e := s.data[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s.data, i)
			if !ok {
				return nil, s.errAt(i-2, "bad \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+6 <= len(s.data) && s.data[i] == '\\' && s.data[i+1] == 'u' {
					r2, ok = hex4(s.data, i+2)
				}
				if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, s.errAt(i-2, "bad escape \\%c", e)
		}
	}
	return nil, s.errAt(start-1, "unterminated string")
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads a number and returns its text, checked against the JSON
// grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() ([]byte, error) {
	s.ws()
	start, i := s.off, s.off
	d := s.data
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case digits() == 0:
		return nil, s.errAt(start, "expected a number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if digits() == 0 {
			return nil, s.errAt(i, "expected a digit after '.'")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, s.errAt(i, "expected a digit in the exponent")
		}
	}
	s.off = i
	return d[start:i], nil
}

// literal reads true, false or null.
func (s *scanner) literal() (string, error) {
	s.ws()
	for _, w := range [...]string{"true", "false", "null"} {
		if len(s.data)-s.off >= len(w) && string(s.data[s.off:s.off+len(w)]) == w {
			s.off += len(w)
			return w, nil
		}
	}
	return "", s.errAt(s.off, "expected a value")
}

// skip reads and discards any value.
func (s *scanner) skip(depth int) error {
	if depth > maxDepth {
		return s.errAt(s.off, "values nested deeper than %d", maxDepth)
	}
	b, err := s.next()
	if err != nil {
		return err
	}
	switch {
	case b == '{':
		return s.object(func([]byte, int) error { return s.skip(depth + 1) })
	case b == '[':
		return s.array(func(int) error { return s.skip(depth + 1) })
	case b == '"':
		_, err = s.str()
	case b == '-' || b >= '0' && b <= '9':
		_, err = s.number()
	default:
		_, err = s.literal()
	}
	return err
}
