package lwjson

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// value types an entry's value for the resource at p: as type t when the
// model knows the resource, else by the value's own kind.
func value(e *entry, p lwm2m.Path, t lwm2m.Type, known bool) (lwm2m.Value, error) {
	if t == lwm2m.TypeNone {
		known = false // executable resources carry no type to coerce to
	}
	f := &e.value
	var v lwm2m.Value
	switch e.kind {
	case kindNumber:
		return number(f, p, t, known)
	case kindBool:
		v = lwm2m.BoolValue(e.b)
	case kindObjlnk:
		var err error
		if v, err = lwm2m.ParseValue(lwm2m.TypeObjlnk, string(f.text)); err != nil {
			return lwm2m.Value{}, badValue(f, p, err)
		}
	case kindString:
		if !known {
			return lwm2m.StringValue(string(f.text)), nil
		}
		// Opaque text is base64 (ParseValue also takes the URL alphabet
		// and missing padding); every other type reads its text form.
		v, err := lwm2m.ParseValue(t, string(f.text))
		if err != nil {
			return lwm2m.Value{}, badValue(f, p, err)
		}
		return v, nil
	}
	return convert(v, f, p, t, known)
}

func convert(v lwm2m.Value, f *field, p lwm2m.Path, t lwm2m.Type, known bool) (lwm2m.Value, error) {
	if !known || v.Type() == t {
		return v, nil
	}
	if t == lwm2m.TypeOpaque {
		return lwm2m.Value{}, codec.MalformedAt(format, f.off, p, "an opaque resource takes base64 text in \"sv\"")
	}
	c, err := v.Convert(t)
	if err != nil {
		return lwm2m.Value{}, badValue(f, p, err)
	}
	return c, nil
}

func badValue(f *field, p lwm2m.Path, err error) error {
	msg := strings.TrimPrefix(err.Error(), lwm2m.ErrInvalidValue.Error()+": ")
	return codec.MalformedAt(format, f.off, p, "%s", msg)
}

// number types a "v" value. Integers are read exactly (no detour through
// float64); a number with a fraction or exponent is a float, accepted for
// an integer type only when whole and in range.
func number(f *field, p lwm2m.Path, t lwm2m.Type, known bool) (lwm2m.Value, error) {
	text := f.text
	isInt := !bytes.ContainsAny(text, ".eE")
	neg := text[0] == '-'
	var u uint64
	inRange := false
	if isInt {
		u, inRange = parseDigits(text[btoi(neg):])
	}
	if known {
		switch t {
		case lwm2m.TypeInteger, lwm2m.TypeTime:
			i, err := toInt(text, isInt, neg, u, inRange)
			if err != "" {
				return lwm2m.Value{}, codec.MalformedAt(format, f.off, p, "%s resource: %s %s", t, text, err)
			}
			if t == lwm2m.TypeTime {
				return lwm2m.UnixTimeValue(i), nil
			}
			return lwm2m.IntValue(i), nil
		case lwm2m.TypeUnsigned:
			switch {
			case neg && (!isInt || u != 0):
				return lwm2m.Value{}, codec.MalformedAt(format, f.off, p, "unsigned resource: %s is negative", text)
			case isInt && inRange:
				return lwm2m.UintValue(u), nil
			case isInt:
				return lwm2m.Value{}, codec.MalformedAt(format, f.off, p, "unsigned resource: %s is out of range", text)
			}
			fl, err := strconv.ParseFloat(string(text), 64)
			if err != nil || fl != math.Trunc(fl) || fl >= 1<<64 {
				return lwm2m.Value{}, codec.MalformedAt(format, f.off, p, "unsigned resource: %s is not a whole number in range", text)
			}
			return lwm2m.UintValue(uint64(fl)), nil
		case lwm2m.TypeFloat:
			fl, err := strconv.ParseFloat(string(text), 64)
			if err != nil {
				return lwm2m.Value{}, codec.MalformedAt(format, f.off, p, "float resource: %s is out of range", text)
			}
			return lwm2m.FloatValue(fl), nil
		}
	}
	var v lwm2m.Value
	switch {
	case isInt && inRange && !neg && u > math.MaxInt64:
		v = lwm2m.UintValue(u)
	case isInt && inRange && (!neg || u <= 1<<63):
		v = lwm2m.IntValue(signed(u, neg))
	default:
		fl, err := strconv.ParseFloat(string(text), 64)
		if err != nil {
			return lwm2m.Value{}, codec.MalformedAt(format, f.off, p, "%s is out of range", text)
		}
		v = lwm2m.FloatValue(fl)
		if !isInt && fl == math.Trunc(fl) && fl >= -(1<<63) && fl < 1<<63 {
			v = lwm2m.IntValue(int64(fl)) // a whole number, written with a fraction or exponent
		}
	}
	return convert(v, f, p, t, known)
}

// toInt reads an Integer or Time; the second result says what is wrong.
func toInt(text []byte, isInt, neg bool, u uint64, inRange bool) (int64, string) {
	if isInt {
		if !inRange || !neg && u > math.MaxInt64 || neg && u > 1<<63 {
			return 0, "is out of the 64-bit range"
		}
		return signed(u, neg), ""
	}
	fl, err := strconv.ParseFloat(string(text), 64)
	if err != nil || fl != math.Trunc(fl) || fl < -(1<<63) || fl >= 1<<63 {
		return 0, "is not a whole number in the 64-bit range"
	}
	return int64(fl), ""
}

func signed(u uint64, neg bool) int64 {
	if neg {
		return int64(-u) // two's complement: also right for u == 1<<63
	}
	return int64(u)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseDigits reads an unsigned decimal; false when it overflows uint64.
func parseDigits(b []byte) (uint64, bool) {
	var u uint64
	for _, c := range b {
		d := uint64(c - '0')
		if u > (math.MaxUint64-d)/10 {
			return 0, false
		}
		u = u*10 + d
	}
	return u, true
}
