package senml

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// Decode decodes a payload addressed to p into the node at p. Every record
// must carry a value and lie under p; records for a multiple resource need
// resource-instance paths. An empty payload or pack gives an empty object,
// instance or (when the model says so) multiple resource.
func (c *Codec) Decode(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) (lwm2m.Node, error) {
	if p.IsRoot() {
		return lwm2m.Node{}, codec.NotRepresentable(c.format, "the root path holds no single node; decode records instead")
	}
	recs, err := c.decode(p, data, m, true)
	if err != nil {
		return lwm2m.Node{}, err
	}
	n, err := codec.NodeFromRecords(c.format, p, recs)
	if err != nil {
		return lwm2m.Node{}, err
	}
	if n.IsLeaf() && n.Value.IsNone() {
		if multiple, _ := codec.IsMultiple(m, p); multiple && p.IsResource() {
			return lwm2m.NewMultipleResource(p.Last()), nil
		}
		return lwm2m.Node{}, codec.MalformedAt(c.format, -1, p, "the payload carries no value for this resource")
	}
	return n, nil
}

// DecodeRecords decodes a payload into flat records with full paths and
// timestamps (Send, historical notifications, composite operations). A
// record without any value field is a path-only record (Value none), as a
// Read-Composite or Observe-Composite request lists its paths.
func (c *Codec) DecodeRecords(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) ([]lwm2m.Record, error) {
	return c.decode(p, data, m, false)
}

func (c *Codec) decode(req lwm2m.Path, data []byte, m lwm2m.ModelProvider, needValues bool) ([]lwm2m.Record, error) {
	if c.err != nil {
		return nil, c.err
	}
	if len(data) == 0 || c.format == lwm2m.FormatSenMLJSON && len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	pack, err := c.packs.DecodePack(data)
	if err != nil {
		return nil, err
	}
	if len(pack) > c.maxRecords {
		return nil, codec.Malformed(c.format, -1, "the pack has %d records, more than the limit of %d", len(pack), c.maxRecords)
	}
	d := decoder{c: c, req: req, m: m, needValues: needValues}
	out := make([]lwm2m.Record, 0, len(pack))
	var rs resolver
	for i := range pack {
		x, err := rs.next(&pack[i])
		if err != nil {
			return nil, codec.Malformed(c.format, -1, "record %d: %s", i, strings.TrimPrefix(err.Error(), ErrInvalidPack.Error()+": "))
		}
		r, err := d.record(i, &x)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if i, j, ok := findDuplicate(out); ok {
		return nil, codec.Malformed(c.format, -1, "record %d (%s): same path and time as record %d", j, out[j].Path, i)
	}
	return out, nil
}

// decoder holds what mapping one payload's records needs.
type decoder struct {
	c          *Codec
	req        lwm2m.Path
	m          lwm2m.ModelProvider
	needValues bool
	now        time.Time // read from c.now at most once
	haveNow    bool
}

func (d *decoder) clock() time.Time {
	if !d.haveNow {
		d.now, d.haveNow = d.c.now(), true
	}
	return d.now
}

func (d *decoder) record(i int, x *resolved) (lwm2m.Record, error) {
	f := d.c.format
	path, ok := parseName(x.baseName, x.name)
	if !ok {
		name := x.fullName()
		if name == "" {
			return lwm2m.Record{}, codec.Malformed(f, -1, "record %d: no name (neither bn nor n)", i)
		}
		if _, err := lwm2m.ParsePath(name); err != nil {
			return lwm2m.Record{}, codec.Malformed(f, -1, "record %d: name %q is not an LwM2M path: %s", i, name,
				strings.TrimPrefix(err.Error(), lwm2m.ErrInvalidPath.Error()+": "))
		}
		return lwm2m.Record{}, codec.Malformed(f, -1, "record %d: name %q is the root; a record names an object, instance, resource or resource instance", i, name)
	}
	fail := func(format string, args ...any) error {
		return codec.Malformed(f, -1, "record %d (%s): %s", i, path, fmt.Sprintf(format, args...))
	}
	nv := x.src.valueCount()
	switch {
	case nv > 1:
		return lwm2m.Record{}, fail("%s", multipleValues(x.src))
	case !path.HasPrefix(d.req):
		return lwm2m.Record{}, fail("not under the request path %s", d.req)
	case x.sum.Present():
		return lwm2m.Record{}, fail("a sum (s) has no meaning in LwM2M")
	case nv == 0 && d.needValues:
		return lwm2m.Record{}, fail("no value")
	case nv == 1 && path.Len() < 3:
		return lwm2m.Record{}, fail("a value needs a resource or resource-instance path")
	}
	t, err := resolveTime(x.time, d.clock)
	if err != nil {
		return lwm2m.Record{}, fail("%v", err)
	}
	v, err := value(path, x, d.m)
	if err != nil {
		return lwm2m.Record{}, fail("%v", err)
	}
	return lwm2m.Record{Path: path, Value: v, Time: t}, nil
}

// value types the record's value through the model. Unknown resources take
// the value's natural type: whole numbers integer, other numbers float.
func value(p lwm2m.Path, x *resolved, m lwm2m.ModelProvider) (lwm2m.Value, error) {
	if x.src.valueCount() == 0 {
		return lwm2m.NoneValue(), nil
	}
	rm, known := lwm2m.ResourceModelAt(m, p)
	want := lwm2m.TypeNone
	if known {
		switch {
		case rm.Multiple && p.Len() == 3:
			return lwm2m.Value{}, errors.New("the resource is multiple-instance: its values need resource-instance paths")
		case !rm.Multiple && p.Len() == 4:
			return lwm2m.Value{}, errors.New("the resource is single-instance: it has no resource instances")
		case rm.Type == lwm2m.TypeNone:
			return lwm2m.Value{}, errors.New("the resource is executable and holds no value")
		}
		want = rm.Type
	}
	mismatch := func(what string) error {
		return fmt.Errorf("value is %s, resource is %s", what, want)
	}
	switch {
	case x.value.Present():
		return numberValue(x.value, want, known)
	case x.str != nil:
		switch want {
		case lwm2m.TypeNone, lwm2m.TypeString:
			return lwm2m.StringValue(*x.str), nil
		case lwm2m.TypeCorelnk:
			return lwm2m.CorelnkValue(*x.str), nil
		}
		return lwm2m.Value{}, mismatch("a string")
	case x.boolean != nil:
		if known && want != lwm2m.TypeBoolean {
			return lwm2m.Value{}, mismatch("a boolean")
		}
		return lwm2m.BoolValue(*x.boolean), nil
	case x.data != nil:
		if known && want != lwm2m.TypeOpaque {
			return lwm2m.Value{}, mismatch("opaque data")
		}
		return lwm2m.OpaqueValue(x.data), nil
	}
	if known && want != lwm2m.TypeObjlnk {
		return lwm2m.Value{}, mismatch("an object link")
	}
	v, err := lwm2m.ParseValue(lwm2m.TypeObjlnk, *x.objlnk)
	if err != nil {
		return lwm2m.Value{}, fmt.Errorf("vlo %q is not an object link \"object:instance\" (ids 0..65535)", *x.objlnk)
	}
	return v, nil
}

func numberValue(n Number, want lwm2m.Type, known bool) (lwm2m.Value, error) {
	var v lwm2m.Value
	switch n.Kind() {
	case NumberInt:
		i, _ := n.Int64()
		v = lwm2m.IntValue(i)
	case NumberUint:
		u, _ := n.Uint64()
		v = lwm2m.UintValue(u)
	default:
		if i, ok := n.Int64(); ok && !known {
			return lwm2m.IntValue(i), nil
		}
		v = lwm2m.FloatValue(n.Float64())
	}
	if !known {
		return v, nil
	}
	switch want {
	case lwm2m.TypeInteger, lwm2m.TypeUnsigned, lwm2m.TypeFloat, lwm2m.TypeTime:
		out, err := v.Convert(want)
		if err != nil {
			return lwm2m.Value{}, fmt.Errorf("resource is %s: %s", want,
				strings.TrimPrefix(err.Error(), lwm2m.ErrInvalidValue.Error()+": "))
		}
		return out, nil
	}
	return lwm2m.Value{}, fmt.Errorf("value is a number, resource is %s", want)
}

// findDuplicate reports two records with the same path and time.
func findDuplicate(recs []lwm2m.Record) (first, second int, found bool) {
	if len(recs) <= 32 {
		for j := 1; j < len(recs); j++ {
			for i := 0; i < j; i++ {
				if recs[i].Path == recs[j].Path && recs[i].Time.Equal(recs[j].Time) {
					return i, j, true
				}
			}
		}
		return 0, 0, false
	}
	type key struct {
		p   lwm2m.Path
		s   int64
		nst int
	}
	seen := make(map[key]int, len(recs))
	for j, r := range recs {
		k := key{r.Path, r.Time.Unix(), r.Time.Nanosecond()}
		if i, ok := seen[k]; ok {
			return i, j, true
		}
		seen[k] = j
	}
	return 0, 0, false
}
