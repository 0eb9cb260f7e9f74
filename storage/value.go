package storage

import (
	"database/sql"
	"encoding/base64"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Values are stored in three columns so telemetry rows stay small and
// numeric queries need no parsing:
//
//	vtype  lwm2m.Type number
//	num    the numeric view (integer, unsigned, float, boolean, time as Unix
//	       seconds) when it is exact, else NULL
//	txt    the text/plain form when num cannot carry the value exactly:
//	       strings, corelnk, objlnk, opaque (base64), NaN, integers beyond ±2^53
//
// Aggregates (min/max/avg) read num only. A string or corelnk that is not
// valid UTF-8 or contains NUL (which PostgreSQL text cannot hold) is kept
// base64-encoded in txt, flagged by num = 1 (num is otherwise NULL for
// those types).

const exactFloatInt = 1 << 53

type valueCols struct {
	vtype int16
	num   any // float64 or nil
	txt   any // string or nil
}

func encodeValue(v lwm2m.Value) valueCols {
	c := valueCols{vtype: int16(v.Type())}
	switch v.Type() {
	case lwm2m.TypeInteger, lwm2m.TypeTime:
		if i := v.Int(); i > -exactFloatInt && i < exactFloatInt {
			c.num = float64(i)
		} else {
			c.txt = v.Text()
		}
	case lwm2m.TypeUnsigned:
		if u := v.Uint(); u < exactFloatInt {
			c.num = float64(u)
		} else {
			c.txt = v.Text()
		}
	case lwm2m.TypeBoolean:
		c.num = v.Float()
	case lwm2m.TypeFloat:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) || (f == 0 && math.Signbit(f)) {
			c.txt = v.Text() // SQLite turns NaN into NULL and -0 into 0; keep the text form
		} else {
			c.num = f
		}
	case lwm2m.TypeNone:
	case lwm2m.TypeString, lwm2m.TypeCorelnk:
		if str := v.Str(); utf8.ValidString(str) && !strings.ContainsRune(str, 0) {
			c.txt = str
		} else {
			c.num, c.txt = 1.0, base64.StdEncoding.EncodeToString([]byte(str))
		}
	default:
		c.txt = v.Text()
	}
	return c
}

func decodeValue(vtype int64, num sql.NullFloat64, txt sql.NullString) (lwm2m.Value, error) {
	t := lwm2m.Type(vtype)
	if vtype < 0 || vtype > int64(lwm2m.TypeCorelnk) {
		return lwm2m.Value{}, fmt.Errorf("stored value has unknown type %d", vtype)
	}
	if t == lwm2m.TypeNone {
		return lwm2m.NoneValue(), nil
	}
	if txt.Valid && num.Valid && (t == lwm2m.TypeString || t == lwm2m.TypeCorelnk) {
		raw, err := base64.StdEncoding.DecodeString(txt.String)
		if err != nil {
			return lwm2m.Value{}, fmt.Errorf("stored %s value: %w", t, err)
		}
		if t == lwm2m.TypeCorelnk {
			return lwm2m.CorelnkValue(string(raw)), nil
		}
		return lwm2m.StringValue(string(raw)), nil
	}
	if txt.Valid {
		v, err := lwm2m.ParseValue(t, txt.String)
		if err != nil {
			return lwm2m.Value{}, fmt.Errorf("stored %s value: %w", t, err)
		}
		return v, nil
	}
	if !num.Valid {
		return lwm2m.Value{}, fmt.Errorf("stored %s value is empty", t)
	}
	switch t {
	case lwm2m.TypeInteger:
		return lwm2m.IntValue(int64(num.Float64)), nil
	case lwm2m.TypeTime:
		return lwm2m.UnixTimeValue(int64(num.Float64)), nil
	case lwm2m.TypeUnsigned:
		return lwm2m.UintValue(uint64(num.Float64)), nil
	case lwm2m.TypeBoolean:
		return lwm2m.BoolValue(num.Float64 != 0), nil
	case lwm2m.TypeFloat:
		return lwm2m.FloatValue(num.Float64), nil
	}
	return lwm2m.Value{}, fmt.Errorf("stored %s value has no text", t)
}
