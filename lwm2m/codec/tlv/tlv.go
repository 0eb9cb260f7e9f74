// Package tlv implements the OMA LwM2M TLV content format (11542, Core TS
// 1.1 §7.4.3): a binary encoding of objects, object instances, resources
// and resource instances, each a type byte (identifier type, identifier and
// length field sizes), an identifier, a length and a value.
//
// The raw layer (header.go, values.go) reads and writes TLV headers and
// value bytes; decode.go and encode.go map them onto lwm2m nodes. TLV
// carries no data types, so decoding takes them from the object model; a
// resource the model does not know decodes as opaque. TLV carries no
// timestamps and only one node, addressed by the request path.
package tlv

import (
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

const format = lwm2m.FormatTLV

// Codec encodes and decodes TLV. It has no state; the zero value is ready
// to use.
type Codec struct{}

var _ codec.Codec = Codec{}

// New returns the TLV codec.
func New() Codec { return Codec{} }

// Format returns lwm2m.FormatTLV.
func (Codec) Format() lwm2m.ContentFormat { return format }

// Decode decodes a payload addressed to p (the request path) into the node
// at p. At /o the payload is a sequence of object-instance TLVs; at /o/i the
// instance's resources, optionally wrapped in one object-instance TLV with
// the path's id; at /o/i/r one resource or multiple-resource TLV (or the
// bare resource-instance TLVs of a multiple resource, optionally wrapped in
// an object-instance TLV); at /o/i/r/ri one resource-instance TLV. Strings
// in the result share one copy of data; opaque values are copied, so the
// node never aliases data.
func (Codec) Decode(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) (lwm2m.Node, error) {
	if p.IsRoot() {
		return lwm2m.Node{}, codec.NotRepresentable(format, "TLV cannot carry the root path; use a composite format")
	}
	d := newDecoder(p, data, m)
	return d.decode(p)
}

// DecodeRecords decodes the payload into records with full paths.
func (c Codec) DecodeRecords(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) ([]lwm2m.Record, error) {
	return codec.RecordsViaNode(c, p, data, m)
}

// EncodeRecords assembles untimestamped records under p into one node and
// encodes it.
func (c Codec) EncodeRecords(p lwm2m.Path, recs []lwm2m.Record) ([]byte, error) {
	return codec.NodeViaRecords(c, p, recs)
}
