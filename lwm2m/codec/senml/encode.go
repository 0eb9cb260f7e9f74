package senml

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// Encode encodes the node n living at p, untimestamped, with a base name
// for the records' common path ("bn":"/3/0/", "n":"6/0"). A leaf whose
// value is none is written as a name-only record.
func (c *Codec) Encode(p lwm2m.Path, n *lwm2m.Node) ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	if err := n.Validate(p); err != nil {
		return nil, fmt.Errorf("%s: %w", c.format, err)
	}
	return c.encode(n.Records(p))
}

// EncodeRecords encodes flat records lying at or under p. Records with a
// value need a resource or resource-instance path; records whose value is
// none are written name-only (a Read-Composite request's paths). Timestamps
// are written as absolute base times (bt) wherever the time changes from
// one record to the next; no two records may share a path and a time.
func (c *Codec) EncodeRecords(p lwm2m.Path, recs []lwm2m.Record) ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	for i := range recs {
		r := &recs[i]
		switch {
		case !r.Path.HasPrefix(p):
			return nil, c.recordErr(i, r.Path, "is not under %s", p)
		case r.Path.IsRoot():
			return nil, c.recordErr(i, r.Path, "names no object, instance or resource")
		case !r.Value.IsNone() && r.Path.Len() < 3:
			return nil, c.recordErr(i, r.Path, "a value needs a resource or resource-instance path")
		}
	}
	if i, j, ok := findDuplicate(recs); ok {
		return nil, c.recordErr(j, recs[j].Path, "has the same path and time as record %d", i)
	}
	return c.encode(recs)
}

func (c *Codec) recordErr(i int, p lwm2m.Path, format string, args ...any) error {
	return fmt.Errorf("%s: record %d (%s): %w: %s", c.format, i, p, lwm2m.ErrInvalidNode, fmt.Sprintf(format, args...))
}

func (c *Codec) encode(recs []lwm2m.Record) ([]byte, error) {
	if len(recs) == 0 {
		return c.packs.EncodePack(nil)
	}
	nm := newNaming(recs)
	pack := make(Pack, len(recs))
	var base time.Time
	for i := range recs {
		r, raw := &recs[i], &pack[i]
		if i == 0 && nm.baseName != "" {
			raw.BaseName = &nm.baseName
		}
		raw.Name = nm.name(r.Path)
		if !r.Time.Equal(base) {
			if r.Time.IsZero() {
				raw.BaseTime = IntNumber(0) // back to "now": untimestamped
			} else {
				t, err := timeNumber(r.Time)
				if err != nil {
					return nil, codec.NotRepresentable(c.format, "record %d (%s): %v", i, r.Path, err)
				}
				raw.BaseTime = t
			}
			base = r.Time
		}
		if err := c.setValue(raw, r.Value); err != nil {
			return nil, codec.NotRepresentable(c.format, "record %d (%s): %v", i, r.Path, err)
		}
	}
	return c.packs.EncodePack(pack)
}

// setValue puts v into the record's value field for its type.
func (c *Codec) setValue(raw *Record, v lwm2m.Value) error {
	switch v.Type() {
	case lwm2m.TypeNone:
	case lwm2m.TypeString, lwm2m.TypeCorelnk:
		s := v.Str()
		if !utf8.ValidString(s) {
			return fmt.Errorf("%s value is not valid UTF-8", v.Type())
		}
		raw.StringValue = &s
	case lwm2m.TypeInteger, lwm2m.TypeTime:
		raw.Value = IntNumber(v.Int())
	case lwm2m.TypeUnsigned:
		raw.Value = UintNumber(v.Uint())
	case lwm2m.TypeFloat:
		f := v.Float()
		if c.format == lwm2m.FormatSenMLJSON && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return fmt.Errorf("float %v has no JSON form", f)
		}
		raw.Value = FloatNumber(f)
	case lwm2m.TypeBoolean:
		b := v.Bool()
		raw.BoolValue = &b
	case lwm2m.TypeOpaque:
		raw.DataValue = Data(v.Bytes())
		if raw.DataValue == nil {
			raw.DataValue = Data{} // empty, not absent
		}
	case lwm2m.TypeObjlnk:
		o, i := v.Objlnk()
		s := strconv.FormatUint(uint64(o), 10) + ":" + strconv.FormatUint(uint64(i), 10)
		raw.ObjectLink = &s
	default:
		return fmt.Errorf("unknown value type %s", v.Type())
	}
	return nil
}
