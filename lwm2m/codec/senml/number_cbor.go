package senml

import (
	"encoding/binary"
	"fmt"
	"math"
)

// CBOR major types and the heads this file reads and writes (RFC 8949 §3).
const (
	majorUint   = 0
	majorNegInt = 1
	majorArray  = 4
	majorTag    = 6
	majorSimple = 7

	tagDecimalFraction = 4 // RFC 8949 §3.4.4: [exponent, mantissa]

	simpleNull      = 22
	simpleUndefined = 23
	aiFloat16       = 25
	aiFloat32       = 26
	aiFloat64       = 27
)

// MarshalCBOR writes an integer as major type 0 or 1 and a float as the
// shortest of half, single or double precision that holds it exactly (NaN as
// the half-precision quiet NaN). This is the canonical form of RFC 8428's
// CBOR example (1.5 is f9 3e00, 120.1 is a double).
func (n Number) MarshalCBOR() ([]byte, error) {
	switch n.kind {
	case NumberAbsent:
		return []byte{0xf6}, nil
	case NumberInt:
		i := int64(n.bits)
		if i < 0 {
			return appendHead(nil, majorNegInt, uint64(-1-i)), nil
		}
		return appendHead(nil, majorUint, uint64(i)), nil
	case NumberUint:
		return appendHead(nil, majorUint, n.bits), nil
	}
	return appendFloat(nil, math.Float64frombits(n.bits)), nil
}

func appendHead(b []byte, major byte, v uint64) []byte {
	m := major << 5
	switch {
	case v < 24:
		return append(b, m|byte(v))
	case v <= math.MaxUint8:
		return append(b, m|24, byte(v))
	case v <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(v))
	case v <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), v)
}

func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) {
		return append(b, 0xf9, 0x7e, 0x00)
	}
	f32 := float32(f)
	if float64(f32) != f {
		return binary.BigEndian.AppendUint64(append(b, 0xfb), math.Float64bits(f))
	}
	if h, ok := float16Exact(f32); ok {
		return binary.BigEndian.AppendUint16(append(b, 0xf9), h)
	}
	return binary.BigEndian.AppendUint32(append(b, 0xfa), math.Float32bits(f32))
}

// float16Exact returns the IEEE 754 half-precision bits of f when the
// conversion loses nothing (f is not NaN).
func float16Exact(f float32) (uint16, bool) {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int(bits>>23&0xff) - 127
	mant := bits & 0x7fffff
	switch {
	case bits&0x7fffffff == 0: // ±0
		return sign, true
	case exp == 128: // ±Inf (NaN excluded by the caller)
		return sign | 0x7c00, true
	case exp >= -14 && exp <= 15: // normal half
		if mant&0x1fff != 0 {
			return 0, false
		}
		return sign | uint16(exp+15)<<10 | uint16(mant>>13), true
	case exp >= -24 && exp < -14: // subnormal half: value = m * 2^-24
		full := mant | 0x800000 // implicit bit
		shift := uint(-exp - 1) // (23 - (exp+24)) = -exp-1
		if full&(1<<shift-1) != 0 {
			return 0, false
		}
		return sign | uint16(full>>shift), true
	}
	return 0, false
}

// float16ToFloat64 widens IEEE 754 half-precision bits.
func float16ToFloat64(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h >> 10 & 0x1f)
	mant := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(mant, -24)
	case 31:
		if mant != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1024+mant, exp-25)
}

// UnmarshalCBOR reads an integer (major 0 or 1), a float of any width, a
// decimal fraction (tag 4, as Leshan writes times), or null/undefined
// (absent). The decoder has checked that data is one well-formed item.
func (n *Number) UnmarshalCBOR(data []byte) error {
	v, rest, err := readNumber(data, true)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("senml: trailing bytes after number")
	}
	*n = v
	return nil
}

// readHead splits a CBOR head into major type, additional info and
// argument. Indefinite lengths (ai 31) are refused here: numbers have none.
func readHead(b []byte) (major, ai byte, arg uint64, rest []byte, err error) {
	if len(b) == 0 {
		return 0, 0, 0, nil, fmt.Errorf("senml: number truncated")
	}
	major, ai = b[0]>>5, b[0]&0x1f
	b = b[1:]
	var size int
	switch {
	case ai < 24:
		return major, ai, uint64(ai), b, nil
	case ai <= 27:
		size = 1 << (ai - 24)
	default:
		return 0, 0, 0, nil, fmt.Errorf("senml: unexpected CBOR head 0x%02x where a number belongs", major<<5|ai)
	}
	if len(b) < size {
		return 0, 0, 0, nil, fmt.Errorf("senml: number truncated")
	}
	for _, c := range b[:size] {
		arg = arg<<8 | uint64(c)
	}
	return major, ai, arg, b[size:], nil
}

func readNumber(b []byte, allowTag bool) (Number, []byte, error) {
	major, ai, arg, rest, err := readHead(b)
	if err != nil {
		return Number{}, nil, err
	}
	switch major {
	case majorUint:
		return UintNumber(arg), rest, nil
	case majorNegInt:
		if arg > math.MaxInt64 {
			return Number{}, nil, fmt.Errorf("senml: integer -1-%d is below the int64 range", arg)
		}
		return IntNumber(-1 - int64(arg)), rest, nil
	case majorSimple:
		switch ai {
		case simpleNull, simpleUndefined:
			return Number{}, rest, nil
		case aiFloat16:
			return FloatNumber(float16ToFloat64(uint16(arg))), rest, nil
		case aiFloat32:
			return FloatNumber(float64(math.Float32frombits(uint32(arg)))), rest, nil
		case aiFloat64:
			return FloatNumber(math.Float64frombits(arg)), rest, nil
		}
		return Number{}, nil, fmt.Errorf("senml: simple value %d is not a number", arg)
	case majorTag:
		if allowTag && arg == tagDecimalFraction {
			return readDecimalFraction(rest)
		}
		return Number{}, nil, fmt.Errorf("senml: CBOR tag %d is not supported on a number", arg)
	}
	return Number{}, nil, fmt.Errorf("senml: expected a number, found CBOR major type %d", major)
}

// readDecimalFraction reads the [exponent, mantissa] array of tag 4. Whole
// results that fit int64 stay integers.
func readDecimalFraction(b []byte) (Number, []byte, error) {
	major, _, arg, rest, err := readHead(b)
	if err != nil {
		return Number{}, nil, err
	}
	if major != majorArray || arg != 2 {
		return Number{}, nil, fmt.Errorf("senml: decimal fraction is not a two-element array")
	}
	e, rest, err := readNumber(rest, false)
	if err != nil {
		return Number{}, nil, err
	}
	m, rest, err := readNumber(rest, false)
	if err != nil {
		return Number{}, nil, err
	}
	exp, ok1 := e.Int64()
	mant, ok2 := m.Int64()
	if !e.IsIntegral() || !m.IsIntegral() || !ok1 || !ok2 || exp < -400 || exp > 400 {
		return Number{}, nil, fmt.Errorf("senml: decimal fraction needs an integer exponent (within ±400) and an int64 mantissa")
	}
	if exp >= 0 {
		v := mant
		for i := int64(0); i < exp; i++ {
			if v > math.MaxInt64/10 || v < math.MinInt64/10 {
				return FloatNumber(float64(mant) * math.Pow10(int(exp))), rest, nil
			}
			v *= 10
		}
		return IntNumber(v), rest, nil
	}
	if exp >= -22 {
		// 10^22 is the largest power of ten a float64 holds exactly, so
		// this division is correctly rounded.
		return FloatNumber(float64(mant) / math.Pow10(int(-exp))), rest, nil
	}
	return FloatNumber(float64(mant) * math.Pow10(int(exp))), rest, nil
}
