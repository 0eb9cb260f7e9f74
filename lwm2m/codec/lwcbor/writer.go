package lwcbor

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/shoal-iot/shoal/lwm2m"
)

// appendHead writes an initial byte with the shortest argument for v.
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

func appendInt(b []byte, i int64) []byte {
	if i < 0 {
		return appendHead(b, majNeg, uint64(-1-i))
	}
	return appendHead(b, majUint, uint64(i))
}

func appendText(b []byte, s string) []byte {
	return append(appendHead(b, majText, uint64(len(s))), s...)
}

func appendBytes(b []byte, p []byte) []byte {
	return append(appendHead(b, majBytes, uint64(len(p))), p...)
}

// appendFloat writes f in the shortest of half, single and double precision
// that keeps its value exactly (RFC 8949 §4.2.2 preferred serialization);
// every NaN becomes the canonical half-precision NaN.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) {
		return append(b, 0xf9, 0x7e, 0x00)
	}
	f32 := float32(f)
	if float64(f32) != f {
		return binary.BigEndian.AppendUint64(append(b, 0xfb), math.Float64bits(f))
	}
	if h, ok := floatToHalf(f32); ok {
		return binary.BigEndian.AppendUint16(append(b, 0xf9), h)
	}
	return binary.BigEndian.AppendUint32(append(b, 0xfa), math.Float32bits(f32))
}

// floatToHalf narrows f to half precision when that loses nothing.
func floatToHalf(f float32) (uint16, bool) {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int(bits>>23) & 0xff
	mant := bits & 0x7fffff
	switch {
	case exp == 0 && mant == 0: // ±0
		return sign, true
	case exp == 0xff && mant == 0: // ±Inf
		return sign | 0x7c00, true
	case exp == 0 || exp == 0xff: // float32 subnormals and NaN
		return 0, false
	}
	e := exp - 127
	switch {
	case e >= -14 && e <= 15: // half normal
		if mant&0x1fff != 0 {
			return 0, false
		}
		return sign | uint16(e+15)<<10 | uint16(mant>>13), true
	case e >= -24 && e < -14: // half subnormal: value = m * 2^-24
		full := mant | 0x800000
		shift := uint(-e - 1)
		if full&(1<<shift-1) != 0 {
			return 0, false
		}
		return sign | uint16(full>>shift), true
	}
	return 0, false
}

// appendValue writes v by its own type: Time as tag 1 over an integer and
// Objlnk as "object:instance" text. A none value is null.
func appendValue(b []byte, v lwm2m.Value) []byte {
	switch v.Type() {
	case lwm2m.TypeString, lwm2m.TypeCorelnk:
		return appendText(b, v.Str())
	case lwm2m.TypeInteger:
		return appendInt(b, v.Int())
	case lwm2m.TypeUnsigned:
		return appendHead(b, majUint, v.Uint())
	case lwm2m.TypeFloat:
		return appendFloat(b, v.Float())
	case lwm2m.TypeBoolean:
		if v.Bool() {
			return append(b, 0xf5)
		}
		return append(b, 0xf4)
	case lwm2m.TypeOpaque:
		return appendBytes(b, v.Bytes())
	case lwm2m.TypeTime:
		return appendInt(appendHead(b, majTag, tagEpochTime), v.Int())
	case lwm2m.TypeObjlnk:
		o, i := v.Objlnk()
		var buf [11]byte
		s := strconv.AppendUint(buf[:0], uint64(o), 10)
		s = append(s, ':')
		s = strconv.AppendUint(s, uint64(i), 10)
		return append(appendHead(b, majText, uint64(len(s))), s...)
	}
	return append(b, 0xf6)
}
