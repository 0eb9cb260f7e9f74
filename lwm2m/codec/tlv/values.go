package tlv

import (
	"encoding/binary"
	"math"
	"unicode/utf8"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// Value encodings (Core TS 1.1 §7.4.3 and appendix C): integers, unsigned
// integers and times are big-endian two's complement in 1, 2, 4 or 8 bytes;
// floats are IEEE 754 in 4 or 8 bytes; booleans one byte 0 or 1; object
// links two 16-bit ids; strings UTF-8; opaque raw; none empty.

// decodeValue converts the value bytes of leaf TLV h to type t. The TLV's
// header starts at off and it is a child of parent; its path is built only
// for an error. Integers of 3, 5, 6 or 7 bytes, which some clients write,
// are accepted and sign-extended; the encoder only writes 1, 2, 4 or 8.
func (d *decoder) decodeValue(t lwm2m.Type, h header, off int, parent lwm2m.Path) (lwm2m.Value, error) {
	b := d.data[h.start:h.end]
	switch t {
	case lwm2m.TypeString, lwm2m.TypeCorelnk:
		if !utf8.Valid(b) {
			return lwm2m.Value{}, codec.MalformedAt(format, h.start+firstInvalidUTF8(b), parent.Child(h.id), "%s value is not valid UTF-8", t)
		}
		if d.str == "" {
			d.str = string(d.data) // once per payload; values are substrings of it
		}
		s := d.str[h.start:h.end]
		if t == lwm2m.TypeCorelnk {
			return lwm2m.CorelnkValue(s), nil
		}
		return lwm2m.StringValue(s), nil
	case lwm2m.TypeInteger, lwm2m.TypeTime:
		if len(b) == 0 || len(b) > 8 {
			return lwm2m.Value{}, codec.MalformedAt(format, off, parent.Child(h.id), "%s value must be 1 to 8 bytes long, not %d", t, len(b))
		}
		i := int64(int8(b[0])) // sign-extend from the first byte
		for _, c := range b[1:] {
			i = i<<8 | int64(c)
		}
		if t == lwm2m.TypeTime {
			return lwm2m.UnixTimeValue(i), nil
		}
		return lwm2m.IntValue(i), nil
	case lwm2m.TypeUnsigned:
		if len(b) == 0 || len(b) > 8 {
			return lwm2m.Value{}, codec.MalformedAt(format, off, parent.Child(h.id), "unsigned value must be 1 to 8 bytes long, not %d", len(b))
		}
		var u uint64
		for _, c := range b {
			u = u<<8 | uint64(c)
		}
		return lwm2m.UintValue(u), nil
	case lwm2m.TypeFloat:
		switch len(b) {
		case 4:
			return lwm2m.FloatValue(float64(math.Float32frombits(binary.BigEndian.Uint32(b)))), nil
		case 8:
			return lwm2m.FloatValue(math.Float64frombits(binary.BigEndian.Uint64(b))), nil
		}
		return lwm2m.Value{}, codec.MalformedAt(format, off, parent.Child(h.id), "float value takes 4 or 8 bytes, not %d", len(b))
	case lwm2m.TypeBoolean:
		if len(b) != 1 || b[0] > 1 {
			return lwm2m.Value{}, codec.MalformedAt(format, off, parent.Child(h.id), "boolean value must be one byte 0 or 1, got % x", b)
		}
		return lwm2m.BoolValue(b[0] == 1), nil
	case lwm2m.TypeObjlnk:
		if len(b) != 4 {
			return lwm2m.Value{}, codec.MalformedAt(format, off, parent.Child(h.id), "objlnk value takes 4 bytes, not %d", len(b))
		}
		return lwm2m.ObjlnkValue(binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])), nil
	case lwm2m.TypeOpaque:
		out := make([]byte, len(b))
		copy(out, b)
		return lwm2m.OpaqueValue(out), nil
	case lwm2m.TypeNone:
		if len(b) != 0 {
			return lwm2m.Value{}, codec.MalformedAt(format, off, parent.Child(h.id), "resource is executable and carries no value, got %d bytes", len(b))
		}
		return lwm2m.NoneValue(), nil
	}
	return lwm2m.Value{}, codec.MalformedAt(format, off, parent.Child(h.id), "unknown data type %v", t)
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return 0
}

// intLen is the shortest of 1, 2, 4 or 8 bytes holding i in two's
// complement.
func intLen(i int64) int {
	switch {
	case i >= math.MinInt8 && i <= math.MaxInt8:
		return 1
	case i >= math.MinInt16 && i <= math.MaxInt16:
		return 2
	case i >= math.MinInt32 && i <= math.MaxInt32:
		return 4
	}
	return 8
}

// float32Exact reports whether f survives a round trip through float32.
func float32Exact(f float64) bool {
	return math.Float64bits(float64(float32(f))) == math.Float64bits(f)
}

// valueLen is the encoded size of v.
func valueLen(v lwm2m.Value) int {
	switch v.Type() {
	case lwm2m.TypeString, lwm2m.TypeCorelnk:
		return len(v.Str())
	case lwm2m.TypeInteger, lwm2m.TypeTime:
		return intLen(v.Int())
	case lwm2m.TypeUnsigned:
		if u := v.Uint(); u <= math.MaxInt64 {
			return intLen(int64(u))
		}
		return 8
	case lwm2m.TypeFloat:
		if float32Exact(v.Float()) {
			return 4
		}
		return 8
	case lwm2m.TypeBoolean:
		return 1
	case lwm2m.TypeObjlnk:
		return 4
	case lwm2m.TypeOpaque:
		return len(v.Bytes())
	}
	return 0
}

// appendValue appends the encoding of v, whose size valueLen(v) is n.
func appendValue(dst []byte, v lwm2m.Value, n int) []byte {
	switch v.Type() {
	case lwm2m.TypeString, lwm2m.TypeCorelnk:
		return append(dst, v.Str()...)
	case lwm2m.TypeInteger, lwm2m.TypeTime, lwm2m.TypeUnsigned:
		u := v.Uint()
		for n--; n >= 0; n-- {
			dst = append(dst, byte(u>>(8*n)))
		}
		return dst
	case lwm2m.TypeFloat:
		if n == 4 {
			return binary.BigEndian.AppendUint32(dst, math.Float32bits(float32(v.Float())))
		}
		return binary.BigEndian.AppendUint64(dst, math.Float64bits(v.Float()))
	case lwm2m.TypeBoolean:
		if v.Bool() {
			return append(dst, 1)
		}
		return append(dst, 0)
	case lwm2m.TypeObjlnk:
		o, i := v.Objlnk()
		return binary.BigEndian.AppendUint32(dst, uint32(o)<<16|uint32(i))
	case lwm2m.TypeOpaque:
		return append(dst, v.Bytes()...)
	}
	return dst
}
