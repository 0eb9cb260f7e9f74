// Package text implements the LwM2M text/plain content format (0, Core TS
// 1.1 §7.3): the value of one resource or one resource instance written as
// text — decimal numbers, "0"/"1" booleans, Unix seconds for time, "o:i"
// for object links and base64 for opaque. Anything larger than a single
// value is not representable.
package text

import (
	"fmt"
	"unicode/utf8"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

const format = lwm2m.FormatText

// Codec encodes and decodes text/plain. It has no state; the zero value is
// ready to use.
type Codec struct{}

var _ codec.Codec = Codec{}

// New returns the text/plain codec.
func New() Codec { return Codec{} }

// Format returns lwm2m.FormatText.
func (Codec) Format() lwm2m.ContentFormat { return format }

// Encode writes the text form of the single resource or resource instance n
// at p. Multiple resources, instances, objects and valueless (executable)
// resources are not representable.
func (Codec) Encode(p lwm2m.Path, n *lwm2m.Node) ([]byte, error) {
	if err := checkLeaf(p, n); err != nil {
		return nil, err
	}
	if n.Value.IsNone() {
		return nil, codec.NotRepresentable(format, "%s carries no value", p)
	}
	return []byte(n.Value.Text()), nil
}

// EncodeRecords encodes one untimestamped record at p.
func (c Codec) EncodeRecords(p lwm2m.Path, recs []lwm2m.Record) ([]byte, error) {
	return codec.NodeViaRecords(c, p, recs)
}

// Decode parses data as the value of the resource or resource instance at
// p, coerced to the type the model gives it. A resource the model does not
// know decodes as a string; an executable resource, or a multiple resource
// addressed as a whole, is not representable.
func (Codec) Decode(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) (lwm2m.Node, error) {
	if p.Len() < 3 {
		return lwm2m.Node{}, codec.NotRepresentable(format, "%s: only a single resource or resource instance value can be carried", p)
	}
	t := lwm2m.TypeString
	if r, ok := lwm2m.ResourceModelAt(m, p); ok {
		if r.Type == lwm2m.TypeNone {
			return lwm2m.Node{}, codec.NotRepresentable(format, "%s is executable and carries no value", p)
		}
		if r.Multiple && p.IsResource() {
			return lwm2m.Node{}, codec.NotRepresentable(format, "%s is a multiple resource; address one of its instances", p)
		}
		t = r.Type
	}
	if off := invalidUTF8(data); off >= 0 {
		return lwm2m.Node{}, codec.MalformedAt(format, off, p, "invalid UTF-8")
	}
	v, err := lwm2m.ParseValue(t, string(data))
	if err != nil {
		return lwm2m.Node{}, codec.MalformedAt(format, -1, p, "%v", err)
	}
	if p.IsResource() {
		return lwm2m.NewResource(p.Resource(), v), nil
	}
	return lwm2m.NewResourceInstance(p.ResourceInstance(), v), nil
}

// DecodeRecords decodes data into the single record at p.
func (c Codec) DecodeRecords(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) ([]lwm2m.Record, error) {
	return codec.RecordsViaNode(c, p, data, m)
}

// checkLeaf accepts a single resource at a resource path or a resource
// instance at a resource-instance path.
func checkLeaf(p lwm2m.Path, n *lwm2m.Node) error {
	switch {
	case p.IsResource() && n.Kind == lwm2m.KindResource:
	case p.IsResourceInstance() && n.Kind == lwm2m.KindResourceInstance:
	default:
		return codec.NotRepresentable(format, "%s: a %s cannot be carried, only a single resource or resource instance value", p, n.Kind)
	}
	if err := n.Validate(p); err != nil {
		return fmt.Errorf("%s: %w", format, err)
	}
	return nil
}

// invalidUTF8 returns the offset of the first byte that is not valid UTF-8,
// or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}
