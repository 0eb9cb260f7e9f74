package lwm2m

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Type is an LwM2M data type (Core TS, appendix C).
type Type uint8

// The LwM2M 1.1 data types. TypeNone is the type of executable resources and
// of a value that is absent.
const (
	TypeNone Type = iota
	TypeString
	TypeInteger
	TypeUnsigned
	TypeFloat
	TypeBoolean
	TypeOpaque
	TypeTime
	TypeObjlnk
	TypeCorelnk
)

var typeNames = [...]string{
	TypeNone:     "none",
	TypeString:   "string",
	TypeInteger:  "integer",
	TypeUnsigned: "unsigned",
	TypeFloat:    "float",
	TypeBoolean:  "boolean",
	TypeOpaque:   "opaque",
	TypeTime:     "time",
	TypeObjlnk:   "objlnk",
	TypeCorelnk:  "corelnk",
}

// ErrInvalidValue is wrapped by every value conversion error.
var ErrInvalidValue = errors.New("invalid value")

// String returns the lower-case name used in JSON ("unsigned", "objlnk", …).
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// ParseType accepts the JSON names above and the DDF spellings ("Unsigned
// Integer", "Objlnk", "Corelnk", "" for executable resources).
func ParseType(s string) (Type, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return TypeNone, nil
	case "string":
		return TypeString, nil
	case "integer":
		return TypeInteger, nil
	case "unsigned", "unsigned integer":
		return TypeUnsigned, nil
	case "float":
		return TypeFloat, nil
	case "boolean":
		return TypeBoolean, nil
	case "opaque":
		return TypeOpaque, nil
	case "time":
		return TypeTime, nil
	case "objlnk":
		return TypeObjlnk, nil
	case "corelnk":
		return TypeCorelnk, nil
	}
	return TypeNone, fmt.Errorf("unknown data type %q", s)
}

// MarshalText implements encoding.TextMarshaler.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Type) UnmarshalText(b []byte) error {
	v, err := ParseType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Value is one typed LwM2M value. The zero value has TypeNone. Values are
// immutable; Opaque shares its byte slice with the caller.
type Value struct {
	typ Type
	num uint64 // integer, unsigned, float bits, boolean, time (unix s), objlnk (o<<16|i)
	str string // string, corelnk
	raw []byte // opaque
}

// NoneValue returns the absent value.
func NoneValue() Value { return Value{} }

// StringValue returns a String value.
func StringValue(s string) Value { return Value{typ: TypeString, str: s} }

// IntValue returns an Integer value.
func IntValue(i int64) Value { return Value{typ: TypeInteger, num: uint64(i)} }

// UintValue returns an Unsigned Integer value.
func UintValue(u uint64) Value { return Value{typ: TypeUnsigned, num: u} }

// FloatValue returns a Float value.
func FloatValue(f float64) Value { return Value{typ: TypeFloat, num: math.Float64bits(f)} }

// BoolValue returns a Boolean value.
func BoolValue(b bool) Value {
	v := Value{typ: TypeBoolean}
	if b {
		v.num = 1
	}
	return v
}

// OpaqueValue returns an Opaque value; b is not copied.
func OpaqueValue(b []byte) Value { return Value{typ: TypeOpaque, raw: b} }

// TimeValue returns a Time value with one-second resolution.
func TimeValue(t time.Time) Value { return Value{typ: TypeTime, num: uint64(t.Unix())} }

// UnixTimeValue returns a Time value from Unix seconds.
func UnixTimeValue(sec int64) Value { return Value{typ: TypeTime, num: uint64(sec)} }

// ObjlnkValue returns an Objlnk value "o:i". 65535:65535 is the null link.
func ObjlnkValue(o, i uint16) Value {
	return Value{typ: TypeObjlnk, num: uint64(o)<<16 | uint64(i)}
}

// CorelnkValue returns a Corelnk value (a CoRE link-format string).
func CorelnkValue(s string) Value { return Value{typ: TypeCorelnk, str: s} }

// Type returns the value's data type.
func (v Value) Type() Type { return v.typ }

// IsNone reports whether v carries no value.
func (v Value) IsNone() bool { return v.typ == TypeNone }

// Str returns the text of a String or Corelnk value, else "".
func (v Value) Str() string {
	if v.typ == TypeString || v.typ == TypeCorelnk {
		return v.str
	}
	return ""
}

// Int returns an Integer value (Unsigned and Time converted); else 0.
func (v Value) Int() int64 {
	switch v.typ {
	case TypeInteger, TypeTime, TypeUnsigned:
		return int64(v.num)
	case TypeBoolean:
		return int64(v.num)
	}
	return 0
}

// Uint returns an Unsigned value (Integer converted); else 0.
func (v Value) Uint() uint64 {
	switch v.typ {
	case TypeInteger, TypeTime, TypeUnsigned, TypeBoolean:
		return v.num
	}
	return 0
}

// Float returns a Float value, or any numeric value converted; else 0.
func (v Value) Float() float64 {
	switch v.typ {
	case TypeFloat:
		return math.Float64frombits(v.num)
	case TypeInteger, TypeTime:
		return float64(int64(v.num))
	case TypeUnsigned:
		return float64(v.num)
	case TypeBoolean:
		return float64(v.num)
	}
	return 0
}

// Bool returns a Boolean value; else false.
func (v Value) Bool() bool { return v.typ == TypeBoolean && v.num != 0 }

// Bytes returns an Opaque value's bytes; else nil.
func (v Value) Bytes() []byte {
	if v.typ == TypeOpaque {
		return v.raw
	}
	return nil
}

// Time returns a Time value in UTC; else the zero time.
func (v Value) Time() time.Time {
	if v.typ != TypeTime {
		return time.Time{}
	}
	return time.Unix(int64(v.num), 0).UTC()
}

// Objlnk returns an Objlnk value's object and instance ids.
func (v Value) Objlnk() (obj, inst uint16) {
	if v.typ != TypeObjlnk {
		return 0, 0
	}
	return uint16(v.num >> 16), uint16(v.num)
}

// Numeric reports whether v is an Integer, Unsigned, Float or Time (the
// types telemetry charts and alarm thresholds work on) and returns it.
func (v Value) Numeric() (float64, bool) {
	switch v.typ {
	case TypeInteger, TypeUnsigned, TypeFloat, TypeTime:
		return v.Float(), true
	case TypeBoolean:
		return v.Float(), true
	}
	return 0, false
}

// Equal reports whether v and w have the same type and value. Floats compare
// by bits, so NaN equals NaN and 0 differs from -0.
func (v Value) Equal(w Value) bool {
	if v.typ != w.typ || v.num != w.num || v.str != w.str {
		return false
	}
	return bytes.Equal(v.raw, w.raw)
}

// Text returns the text/plain representation (Core TS 1.1 §7.3): decimal
// numbers, "0"/"1" booleans, Unix seconds for time, "o:i" for objlnk and
// base64 for opaque.
func (v Value) Text() string {
	switch v.typ {
	case TypeString, TypeCorelnk:
		return v.str
	case TypeInteger, TypeTime:
		return strconv.FormatInt(int64(v.num), 10)
	case TypeUnsigned:
		return strconv.FormatUint(v.num, 10)
	case TypeFloat:
		return strconv.FormatFloat(math.Float64frombits(v.num), 'g', -1, 64)
	case TypeBoolean:
		if v.num != 0 {
			return "1"
		}
		return "0"
	case TypeOpaque:
		return base64.StdEncoding.EncodeToString(v.raw)
	case TypeObjlnk:
		return strconv.FormatUint(v.num>>16, 10) + ":" + strconv.FormatUint(v.num&0xffff, 10)
	}
	return ""
}

// String is for humans and logs: the text form, with opaque shown as hex
// length only when long.
func (v Value) String() string {
	if v.typ == TypeOpaque && len(v.raw) > 32 {
		return fmt.Sprintf("opaque(%d bytes)", len(v.raw))
	}
	if v.typ == TypeNone {
		return "none"
	}
	return v.Text()
}

// ParseValue converts the text/plain representation s to a value of type t.
// Opaque text is base64 (standard or URL alphabet, padding optional).
func ParseValue(t Type, s string) (Value, error) {
	switch t {
	case TypeString:
		return StringValue(s), nil
	case TypeCorelnk:
		return CorelnkValue(s), nil
	case TypeInteger:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%w: %q is not an integer", ErrInvalidValue, s)
		}
		return IntValue(i), nil
	case TypeUnsigned:
		u, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%w: %q is not an unsigned integer", ErrInvalidValue, s)
		}
		return UintValue(u), nil
	case TypeFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%w: %q is not a float", ErrInvalidValue, s)
		}
		return FloatValue(f), nil
	case TypeBoolean:
		switch s {
		case "1", "true":
			return BoolValue(true), nil
		case "0", "false":
			return BoolValue(false), nil
		}
		return Value{}, fmt.Errorf("%w: %q is not a boolean (0 or 1)", ErrInvalidValue, s)
	case TypeTime:
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return UnixTimeValue(i), nil
		}
		if ts, err := time.Parse(time.RFC3339, s); err == nil {
			return TimeValue(ts), nil
		}
		return Value{}, fmt.Errorf("%w: %q is neither Unix seconds nor RFC 3339", ErrInvalidValue, s)
	case TypeObjlnk:
		o, i, err := parseObjlnk(s)
		if err != nil {
			return Value{}, err
		}
		return ObjlnkValue(o, i), nil
	case TypeOpaque:
		b, err := decodeBase64(s)
		if err != nil {
			return Value{}, fmt.Errorf("%w: opaque is not base64: %v", ErrInvalidValue, err)
		}
		return OpaqueValue(b), nil
	case TypeNone:
		if s == "" {
			return NoneValue(), nil
		}
		return Value{}, fmt.Errorf("%w: a value of type none must be empty", ErrInvalidValue)
	}
	return Value{}, fmt.Errorf("%w: unknown type %v", ErrInvalidValue, t)
}

func parseObjlnk(s string) (uint16, uint16, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("%w: objlnk %q is not \"object:instance\"", ErrInvalidValue, s)
	}
	o, err1 := strconv.ParseUint(a, 10, 16)
	i, err2 := strconv.ParseUint(b, 10, 16)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%w: objlnk %q: ids must be 0..65535", ErrInvalidValue, s)
	}
	return uint16(o), uint16(i), nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// Convert returns v as type t when the conversion loses nothing: integers
// between Integer, Unsigned, Time and whole Floats (in range), String to
// any type through its text form, anything to String via Text. It is how
// decoders coerce a value to the type the object model expects.
func (v Value) Convert(t Type) (Value, error) {
	if v.typ == t {
		return v, nil
	}
	switch t {
	case TypeString:
		if v.typ == TypeOpaque {
			return StringValue(string(v.raw)), nil
		}
		return StringValue(v.Text()), nil
	case TypeCorelnk:
		if v.typ == TypeString {
			return CorelnkValue(v.str), nil
		}
	case TypeOpaque:
		if v.typ == TypeString {
			return OpaqueValue([]byte(v.str)), nil
		}
	}
	if v.typ == TypeString {
		return ParseValue(t, v.str)
	}
	switch t {
	case TypeInteger, TypeTime:
		var i int64
		switch v.typ {
		case TypeInteger, TypeTime:
			i = int64(v.num)
		case TypeUnsigned:
			if v.num > math.MaxInt64 {
				return Value{}, fmt.Errorf("%w: %d overflows integer", ErrInvalidValue, v.num)
			}
			i = int64(v.num)
		case TypeFloat:
			f := math.Float64frombits(v.num)
			if f != math.Trunc(f) || f < -9.223372036854775e18 || f >= 9.223372036854775e18 {
				return Value{}, fmt.Errorf("%w: %v is not a whole number", ErrInvalidValue, f)
			}
			i = int64(f)
		case TypeBoolean:
			i = int64(v.num)
		default:
			return Value{}, convErr(v, t)
		}
		if t == TypeTime {
			return UnixTimeValue(i), nil
		}
		return IntValue(i), nil
	case TypeUnsigned:
		switch v.typ {
		case TypeInteger, TypeTime:
			if int64(v.num) < 0 {
				return Value{}, fmt.Errorf("%w: %d is negative", ErrInvalidValue, int64(v.num))
			}
			return UintValue(v.num), nil
		case TypeFloat:
			f := math.Float64frombits(v.num)
			if f != math.Trunc(f) || f < 0 || f >= 1.8446744073709552e19 {
				return Value{}, fmt.Errorf("%w: %v is not an unsigned whole number", ErrInvalidValue, f)
			}
			return UintValue(uint64(f)), nil
		case TypeBoolean:
			return UintValue(v.num), nil
		}
	case TypeFloat:
		switch v.typ {
		case TypeInteger, TypeTime, TypeUnsigned:
			return FloatValue(v.Float()), nil
		}
	case TypeBoolean:
		switch v.typ {
		case TypeInteger, TypeUnsigned:
			if v.num <= 1 {
				return BoolValue(v.num == 1), nil
			}
		}
	}
	return Value{}, convErr(v, t)
}

func convErr(v Value, t Type) error {
	return fmt.Errorf("%w: cannot use %s value %s as %s", ErrInvalidValue, v.typ, v, t)
}
