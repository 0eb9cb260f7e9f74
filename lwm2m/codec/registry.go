package codec

import (
	"fmt"
	"sort"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Registry maps content formats to codecs. It is built once and then only
// read, so it is safe for concurrent use.
type Registry struct {
	codecs map[lwm2m.ContentFormat]Codec
}

// NewRegistry registers each codec under its format. A later codec for the
// same format replaces an earlier one.
func NewRegistry(codecs ...Codec) *Registry {
	r := &Registry{codecs: make(map[lwm2m.ContentFormat]Codec, len(codecs))}
	for _, c := range codecs {
		r.codecs[c.Format()] = c
	}
	return r
}

// With returns a registry that also maps f to c (e.g. a legacy number).
func (r *Registry) With(f lwm2m.ContentFormat, c Codec) *Registry {
	n := &Registry{codecs: make(map[lwm2m.ContentFormat]Codec, len(r.codecs)+1)}
	for k, v := range r.codecs {
		n.codecs[k] = v
	}
	n.codecs[f] = c
	return n
}

// Lookup returns the codec for f or an error wrapping ErrUnsupportedFormat.
func (r *Registry) Lookup(f lwm2m.ContentFormat) (Codec, error) {
	if c, ok := r.codecs[f]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedFormat, f)
}

// Has reports whether f is registered.
func (r *Registry) Has(f lwm2m.ContentFormat) bool {
	_, ok := r.codecs[f]
	return ok
}

// Formats lists the registered formats in ascending order.
func (r *Registry) Formats() []lwm2m.ContentFormat {
	out := make([]lwm2m.ContentFormat, 0, len(r.codecs))
	for f := range r.codecs {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Encode encodes n at p in format f.
func (r *Registry) Encode(f lwm2m.ContentFormat, p lwm2m.Path, n *lwm2m.Node) ([]byte, error) {
	c, err := r.Lookup(f)
	if err != nil {
		return nil, err
	}
	return c.Encode(p, n)
}

// EncodeRecords encodes records in format f.
func (r *Registry) EncodeRecords(f lwm2m.ContentFormat, p lwm2m.Path, recs []lwm2m.Record) ([]byte, error) {
	c, err := r.Lookup(f)
	if err != nil {
		return nil, err
	}
	return c.EncodeRecords(p, recs)
}

// Decode decodes a payload of format f addressed to p.
func (r *Registry) Decode(f lwm2m.ContentFormat, p lwm2m.Path, data []byte, m lwm2m.ModelProvider) (lwm2m.Node, error) {
	c, err := r.Lookup(f)
	if err != nil {
		return lwm2m.Node{}, err
	}
	return c.Decode(p, data, m)
}

// DecodeRecords decodes a payload of format f into records.
func (r *Registry) DecodeRecords(f lwm2m.ContentFormat, p lwm2m.Path, data []byte, m lwm2m.ModelProvider) ([]lwm2m.Record, error) {
	c, err := r.Lookup(f)
	if err != nil {
		return nil, err
	}
	return c.DecodeRecords(p, data, m)
}
