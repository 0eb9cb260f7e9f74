// Package opaque implements the LwM2M application/octet-stream content
// format (42, Core TS 1.1 §7.3.2): the raw bytes of one opaque resource or
// resource instance, such as a firmware package written to /5/0/0.
package opaque

import (
	"bytes"
	"fmt"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

const format = lwm2m.FormatOpaque

// Codec encodes and decodes application/octet-stream. It has no state; the
// zero value is ready to use.
type Codec struct{}

var _ codec.Codec = Codec{}

// New returns the opaque codec.
func New() Codec { return Codec{} }

// Format returns lwm2m.FormatOpaque.
func (Codec) Format() lwm2m.ContentFormat { return format }

// Encode returns the bytes of the opaque resource or resource instance n at
// p (shared with n, not copied). Values of any other type, and anything but
// a single value, are not representable.
func (Codec) Encode(p lwm2m.Path, n *lwm2m.Node) ([]byte, error) {
	switch {
	case p.IsResource() && n.Kind == lwm2m.KindResource:
	case p.IsResourceInstance() && n.Kind == lwm2m.KindResourceInstance:
	default:
		return nil, codec.NotRepresentable(format, "%s: a %s cannot be carried, only an opaque resource or resource instance", p, n.Kind)
	}
	if err := n.Validate(p); err != nil {
		return nil, fmt.Errorf("%s: %w", format, err)
	}
	if n.Value.Type() != lwm2m.TypeOpaque {
		return nil, codec.NotRepresentable(format, "%s holds a %s value, not opaque", p, n.Value.Type())
	}
	return n.Value.Bytes(), nil
}

// EncodeRecords encodes one untimestamped opaque record at p.
func (c Codec) EncodeRecords(p lwm2m.Path, recs []lwm2m.Record) ([]byte, error) {
	return codec.NodeViaRecords(c, p, recs)
}

// Decode returns data as the opaque value of the resource or resource
// instance at p. The bytes are copied, so the node does not alias the
// caller's buffer. A resource the model does not know is taken as opaque; a
// resource the model types otherwise, a multiple resource addressed as a
// whole, or a path above the resource level is not representable.
func (Codec) Decode(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) (lwm2m.Node, error) {
	if p.Len() < 3 {
		return lwm2m.Node{}, codec.NotRepresentable(format, "%s: only an opaque resource or resource instance can be carried", p)
	}
	if r, ok := lwm2m.ResourceModelAt(m, p); ok {
		if r.Type != lwm2m.TypeOpaque {
			return lwm2m.Node{}, codec.NotRepresentable(format, "%s is a %s resource, not opaque", p, r.Type)
		}
		if r.Multiple && p.IsResource() {
			return lwm2m.Node{}, codec.NotRepresentable(format, "%s is a multiple resource; address one of its instances", p)
		}
	}
	v := lwm2m.OpaqueValue(bytes.Clone(data))
	if p.IsResource() {
		return lwm2m.NewResource(p.Resource(), v), nil
	}
	return lwm2m.NewResourceInstance(p.ResourceInstance(), v), nil
}

// DecodeRecords decodes data into the single record at p.
func (c Codec) DecodeRecords(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) ([]lwm2m.Record, error) {
	return codec.RecordsViaNode(c, p, data, m)
}
