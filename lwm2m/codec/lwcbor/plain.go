package lwcbor

import (
	"fmt"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

const plainFormat = lwm2m.FormatCBOR

// PlainCodec is the application/cbor codec (format 60): one CBOR data item
// holding the value of a single resource or resource instance. It holds no
// state and is safe for concurrent use.
type PlainCodec struct{}

// NewPlain returns the application/cbor codec.
func NewPlain() *PlainCodec { return &PlainCodec{} }

// Format returns lwm2m.FormatCBOR.
func (*PlainCodec) Format() lwm2m.ContentFormat { return plainFormat }

// Decode decodes one data item into the resource or resource instance at
// p, coerced to the model's type (the item's own type when the model does
// not know the resource). Any other path, a multiple resource at a resource
// path, null, arrays, maps and trailing bytes are errors.
func (*PlainCodec) Decode(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) (lwm2m.Node, error) {
	if p.Len() < 3 {
		return lwm2m.Node{}, codec.NotRepresentable(plainFormat, "%s: a single value belongs to a resource or resource instance", p)
	}
	if multiple, _ := codec.IsMultiple(m, p); multiple && p.IsResource() {
		return lwm2m.Node{}, codec.NotRepresentable(plainFormat, "%s is a multiple resource; address one of its instances", p)
	}
	r := reader{f: plainFormat, data: data}
	if len(data) == 0 {
		return lwm2m.Node{}, codec.MalformedAt(plainFormat, 0, p, "empty payload")
	}
	h, err := r.readHead()
	if err != nil {
		return lwm2m.Node{}, err
	}
	it, err := r.readLeaf(h)
	if err != nil {
		return lwm2m.Node{}, err
	}
	if it.kind == kindNull {
		return lwm2m.Node{}, codec.MalformedAt(plainFormat, it.off, p, "null is not a value")
	}
	if r.remaining() != 0 {
		return lwm2m.Node{}, r.errAt(r.off, "%d bytes after the value", r.remaining())
	}
	t, known := codec.ResourceType(m, p)
	v, err := r.value(it, p, t, known)
	if err != nil {
		return lwm2m.Node{}, err
	}
	if p.IsResource() {
		return lwm2m.NewResource(p.Last(), v), nil
	}
	return lwm2m.NewResourceInstance(p.Last(), v), nil
}

// DecodeRecords decodes the value at p as one record.
func (c *PlainCodec) DecodeRecords(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) ([]lwm2m.Record, error) {
	return codec.RecordsViaNode(c, p, data, m)
}

// Encode encodes the value of a single resource or resource instance; any
// other node is ErrNotRepresentable.
func (*PlainCodec) Encode(p lwm2m.Path, n *lwm2m.Node) ([]byte, error) {
	if !n.IsLeaf() {
		return nil, codec.NotRepresentable(plainFormat, "%s: a %s is not a single value", p, n.Kind)
	}
	if err := n.Validate(p); err != nil {
		return nil, fmt.Errorf("%s: %w", plainFormat, err)
	}
	if n.Value.IsNone() {
		return nil, codec.NotRepresentable(plainFormat, "%s has no value", p)
	}
	return appendValue(nil, n.Value), nil
}

// EncodeRecords encodes a single untimestamped record at p.
func (c *PlainCodec) EncodeRecords(p lwm2m.Path, recs []lwm2m.Record) ([]byte, error) {
	return codec.NodeViaRecords(c, p, recs)
}
