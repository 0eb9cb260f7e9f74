package lwcbor

import (
	"math"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// natural returns the value a leaf carries when no model says otherwise:
// integers are Integer (Unsigned above the int64 range), floats Float, text
// String, bytes Opaque (copied, so the value outlives the payload buffer),
// tagged times Time and null the none value.
func (r *reader) natural(it item, p lwm2m.Path) (lwm2m.Value, error) {
	switch it.kind {
	case kindUint:
		if it.u > math.MaxInt64 {
			return lwm2m.UintValue(it.u), nil
		}
		return lwm2m.IntValue(int64(it.u)), nil
	case kindNeg:
		if it.u > math.MaxInt64 {
			return lwm2m.Value{}, codec.MalformedAt(r.f, it.off, p, "integer -1-%d is below the 64-bit range", it.u)
		}
		return lwm2m.IntValue(-1 - int64(it.u)), nil
	case kindFloat:
		return lwm2m.FloatValue(it.f), nil
	case kindBool:
		return lwm2m.BoolValue(it.b), nil
	case kindNull:
		return lwm2m.NoneValue(), nil
	case kindBytes:
		return lwm2m.OpaqueValue(append([]byte{}, it.s...)), nil
	case kindText:
		return lwm2m.StringValue(string(it.s)), nil
	case kindTime:
		return lwm2m.UnixTimeValue(it.t), nil
	}
	return lwm2m.Value{}, codec.MalformedAt(r.f, it.off, p, "not a value")
}

// value converts a leaf for the resource at p, coercing it to type t when
// the model knows the resource (known) (Value.Convert rules). Opaque resources take byte strings
// only, and byte strings only feed Opaque resources, so that text and binary
// data are never silently reinterpreted. A resource the model does not know
// keeps the natural type.
func (r *reader) value(it item, p lwm2m.Path, t lwm2m.Type, known bool) (lwm2m.Value, error) {
	v, err := r.natural(it, p)
	if err != nil || it.kind == kindNull {
		return v, err
	}
	if !known || t == lwm2m.TypeNone || v.Type() == t {
		return v, nil
	}
	if t == lwm2m.TypeOpaque || v.Type() == lwm2m.TypeOpaque {
		return lwm2m.Value{}, codec.MalformedAt(r.f, it.off, p, "a %s resource cannot take %s", t, describe(it))
	}
	c, err := v.Convert(t)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), lwm2m.ErrInvalidValue.Error()+": ")
		return lwm2m.Value{}, codec.MalformedAt(r.f, it.off, p, "%s resource: %s", t, msg)
	}
	return c, nil
}

func describe(it item) string {
	switch it.kind {
	case kindBytes:
		return "a byte string"
	case kindText:
		return "a text string"
	case kindFloat:
		return "a float"
	case kindBool:
		return "a boolean"
	case kindTime:
		return "a date/time"
	}
	return "an integer"
}

// modelCache caches the object model last looked up: the records of a payload
// mostly come object by object.
type modelCache struct {
	m     lwm2m.ModelProvider
	id    uint16
	obj   *lwm2m.ObjectModel
	found bool
	valid bool
}

// resourceType returns the model's type for the resource at p (depth >= 3).
func (c *modelCache) resourceType(p lwm2m.Path) (lwm2m.Type, bool) {
	if c.m == nil || p.Len() < 3 {
		return lwm2m.TypeNone, false
	}
	if !c.valid || c.id != p.Object() {
		c.id, c.valid = p.Object(), true
		c.obj, c.found = c.m.Object(p.Object(), "")
	}
	if !c.found {
		return lwm2m.TypeNone, false
	}
	r, ok := c.obj.Resource(p.Resource())
	if !ok {
		return lwm2m.TypeNone, false
	}
	return r.Type, true
}
