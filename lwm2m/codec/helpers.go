package codec

import (
	"github.com/shoal-iot/shoal/lwm2m"
)

// RecordsViaNode implements DecodeRecords for formats that only carry a
// single node (text, opaque, TLV): decode the node, then flatten it.
func RecordsViaNode(d interface {
	Decode(lwm2m.Path, []byte, lwm2m.ModelProvider) (lwm2m.Node, error)
}, p lwm2m.Path, data []byte, m lwm2m.ModelProvider) ([]lwm2m.Record, error) {
	n, err := d.Decode(p, data, m)
	if err != nil {
		return nil, err
	}
	return n.Records(p), nil
}

// NodeViaRecords implements EncodeRecords for single-node formats: the
// records must be untimestamped and all lie under p; they are assembled into
// the node at p and encoded.
func NodeViaRecords(e interface {
	Format() lwm2m.ContentFormat
	Encode(lwm2m.Path, *lwm2m.Node) ([]byte, error)
}, p lwm2m.Path, recs []lwm2m.Record) ([]byte, error) {
	for _, r := range recs {
		if !r.Time.IsZero() {
			return nil, NotRepresentable(e.Format(), "timestamps cannot be carried")
		}
	}
	if p.IsRoot() {
		return nil, NotRepresentable(e.Format(), "several paths cannot be carried")
	}
	n, err := lwm2m.BuildNode(p, recs)
	if err != nil {
		return nil, err
	}
	return e.Encode(p, &n)
}

// NodeFromRecords builds the node at p from decoded records (for record
// formats implementing Decode). Timestamped records are accepted only when
// they all share one time; it is dropped.
func NodeFromRecords(f lwm2m.ContentFormat, p lwm2m.Path, recs []lwm2m.Record) (lwm2m.Node, error) {
	if len(recs) > 1 {
		t0 := recs[0].Time
		for _, r := range recs[1:] {
			if !r.Time.Equal(t0) {
				return lwm2m.Node{}, NotRepresentable(f, "records carry several timestamps; decode them as records")
			}
		}
	}
	n, err := lwm2m.BuildNode(p, recs)
	if err != nil {
		return lwm2m.Node{}, &DecodeError{Format: f, Offset: -1, Msg: err.Error()}
	}
	return n, nil
}

// ResourceType returns the model type of the resource at p (a resource or
// resource-instance path), and whether the model knows it.
func ResourceType(m lwm2m.ModelProvider, p lwm2m.Path) (lwm2m.Type, bool) {
	r, ok := lwm2m.ResourceModelAt(m, p)
	if !ok {
		return lwm2m.TypeNone, false
	}
	return r.Type, true
}

// IsMultiple reports whether the model says the resource at p (depth >= 3)
// is a multiple-instance resource; known is false when the model does not
// know it.
func IsMultiple(m lwm2m.ModelProvider, p lwm2m.Path) (multiple, known bool) {
	r, ok := lwm2m.ResourceModelAt(m, p)
	if !ok {
		return false, false
	}
	return r.Multiple, true
}
