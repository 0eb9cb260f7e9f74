package senml

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// NumberKind says how a Number was written: absent, an integer that fits
// int64, an unsigned integer above MaxInt64, or a float.
type NumberKind uint8

// Number kinds.
const (
	NumberAbsent NumberKind = iota
	NumberInt
	NumberUint
	NumberFloat
)

// Number is a SenML numeric field (v, s, t, ut, bt, bv, bs). The zero value
// is "field absent". Integers are kept exact, so an LwM2M Integer or
// Unsigned Integer of 64 bits survives the trip; floats keep their bits.
type Number struct {
	kind NumberKind
	bits uint64 // int64, uint64 or float64 bits, by kind
}

// IntNumber returns an integer Number.
func IntNumber(i int64) Number { return Number{kind: NumberInt, bits: uint64(i)} }

// UintNumber returns an unsigned integer Number (stored as an integer when
// it fits int64, so equal values compare equal).
func UintNumber(u uint64) Number {
	if u <= math.MaxInt64 {
		return IntNumber(int64(u))
	}
	return Number{kind: NumberUint, bits: u}
}

// FloatNumber returns a float Number.
func FloatNumber(f float64) Number { return Number{kind: NumberFloat, bits: math.Float64bits(f)} }

// Kind returns how the number was written.
func (n Number) Kind() NumberKind { return n.kind }

// IsZero reports whether the field is absent (used by the "omitzero" tags).
func (n Number) IsZero() bool { return n.kind == NumberAbsent }

// Present reports whether the field was given.
func (n Number) Present() bool { return n.kind != NumberAbsent }

// IsIntegral reports whether n was written as an integer.
func (n Number) IsIntegral() bool { return n.kind == NumberInt || n.kind == NumberUint }

// Int64 returns n as an int64 when it is an integer in range, or a float
// holding a whole number in range.
func (n Number) Int64() (int64, bool) {
	switch n.kind {
	case NumberInt:
		return int64(n.bits), true
	case NumberFloat:
		f := math.Float64frombits(n.bits)
		if f == math.Trunc(f) && f >= -9.223372036854775e18 && f < 9.223372036854775e18 {
			return int64(f), true
		}
	}
	return 0, false
}

// Uint64 returns n as a uint64 when it is a non-negative integer.
func (n Number) Uint64() (uint64, bool) {
	switch n.kind {
	case NumberUint:
		return n.bits, true
	case NumberInt:
		if int64(n.bits) >= 0 {
			return n.bits, true
		}
	}
	return 0, false
}

// Float64 returns n as a float64 (rounded for integers beyond 2^53; 0 when
// absent).
func (n Number) Float64() float64 {
	switch n.kind {
	case NumberInt:
		return float64(int64(n.bits))
	case NumberUint:
		return float64(n.bits)
	case NumberFloat:
		return math.Float64frombits(n.bits)
	}
	return 0
}

// Add returns n+m the way RFC 8428 combines base and regular fields: an
// absent operand counts as nothing, two integers stay an integer when the
// sum fits, anything else is a float.
func (n Number) Add(m Number) Number {
	switch {
	case !m.Present():
		return n
	case !n.Present():
		return m
	}
	if n.kind == NumberInt && m.kind == NumberInt {
		a, b := int64(n.bits), int64(m.bits)
		s := a + b
		if (s > a) == (b > 0) {
			return IntNumber(s)
		}
	}
	if n.IsIntegral() && m.IsIntegral() {
		// At least one is above MaxInt64 or the int64 sum overflowed; try
		// the unsigned range before giving up exactness.
		if a, ok := n.Uint64(); ok {
			if b, ok := m.Uint64(); ok && a+b >= a {
				return UintNumber(a + b)
			}
		}
	}
	return FloatNumber(n.Float64() + m.Float64())
}

// Equal reports whether n and m are the same number written the same way;
// floats compare by value with NaN equal to NaN.
func (n Number) Equal(m Number) bool {
	if n.kind != m.kind {
		return false
	}
	if n.kind == NumberFloat {
		a, b := math.Float64frombits(n.bits), math.Float64frombits(m.bits)
		return a == b && math.Signbit(a) == math.Signbit(b) || a != a && b != b
	}
	return n.bits == m.bits
}

// String returns the JSON text of n ("absent" when absent; NaN and ±Inf as
// Go prints them).
func (n Number) String() string {
	if n.kind == NumberAbsent {
		return "absent"
	}
	return string(n.appendText(nil))
}

// appendText writes integers in decimal and floats in the shortest 'g' form,
// with ".0" appended to whole floats so they read back as floats.
func (n Number) appendText(b []byte) []byte {
	switch n.kind {
	case NumberInt:
		return strconv.AppendInt(b, int64(n.bits), 10)
	case NumberUint:
		return strconv.AppendUint(b, n.bits, 10)
	}
	start := len(b)
	b = strconv.AppendFloat(b, math.Float64frombits(n.bits), 'g', -1, 64)
	for _, c := range b[start:] {
		if c < '0' && c != '-' || c > '9' {
			return b // has '.', 'e', or is NaN/Inf
		}
	}
	return append(b, '.', '0')
}

var errNotNumber = errors.New("not a number")

// MarshalJSON writes n as a JSON number; NaN and infinities have no JSON
// form and are an error.
func (n Number) MarshalJSON() ([]byte, error) {
	switch n.kind {
	case NumberAbsent:
		return []byte("null"), nil
	case NumberFloat:
		f := math.Float64frombits(n.bits)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("senml: %v cannot be written in JSON", f)
		}
	}
	return n.appendText(make([]byte, 0, 24)), nil
}

// UnmarshalJSON reads a JSON number: without '.', 'e' or 'E' it is an
// integer (int64, else uint64, else a float when even that overflows);
// otherwise a float. JSON null leaves n absent.
func (n *Number) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*n = Number{}
		return nil
	}
	if len(s) == 0 || s[0] != '-' && (s[0] < '0' || s[0] > '9') {
		return fmt.Errorf("senml: %w: %.20s", errNotNumber, s)
	}
	isFloat := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '.' || c == 'e' || c == 'E' {
			isFloat = true
			break
		}
	}
	if !isFloat {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			*n = IntNumber(i)
			return nil
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			*n = UintNumber(u)
			return nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("senml: number %.24s is out of range", s)
	}
	*n = FloatNumber(f)
	return nil
}
