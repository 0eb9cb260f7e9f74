package lwcbor

import (
	"slices"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

const format = lwm2m.FormatLwM2MCBOR

// Codec is the LwM2M CBOR codec (format 11544). It holds no state and is
// safe for concurrent use.
type Codec struct{}

// New returns the LwM2M CBOR codec.
func New() *Codec { return &Codec{} }

// Format returns lwm2m.FormatLwM2MCBOR.
func (*Codec) Format() lwm2m.ContentFormat { return format }

// DecodeRecords decodes a payload into records with full paths, in payload
// order. Every record must lie at or under p. Null leaves become records
// with the none value (the paths of a Read-Composite request); other leaves
// need a resource or resource-instance path. A path given twice, or given
// together with a path below it, is an error.
func (*Codec) DecodeRecords(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) ([]lwm2m.Record, error) {
	d := decoder{r: reader{f: format, data: data}, base: p, models: modelCache{m: m}}
	d.recs = make([]lwm2m.Record, 0, min(len(data)/8+1, 64))
	if err := d.decode(); err != nil {
		return nil, err
	}
	if err := checkOverlaps(d.recs); err != nil {
		return nil, err
	}
	return d.recs, nil
}

// Decode decodes a payload into the node at p. Null leaves are refused: a
// node holds values. An empty payload map at a resource path gives an empty
// multiple resource (unless the model says the resource is single).
func (c *Codec) Decode(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) (lwm2m.Node, error) {
	recs, err := c.DecodeRecords(p, data, m)
	if err != nil {
		return lwm2m.Node{}, err
	}
	if p.IsRoot() {
		return lwm2m.Node{}, codec.NotRepresentable(format, "the root path holds no single node; decode records")
	}
	for _, r := range recs {
		if r.Value.IsNone() {
			return lwm2m.Node{}, codec.MalformedAt(format, -1, r.Path, "null (a path without a value) cannot be part of a node")
		}
	}
	return nodeAt(p, recs, m)
}

// nodeAt builds the node at p, also when recs is empty.
func nodeAt(p lwm2m.Path, recs []lwm2m.Record, m lwm2m.ModelProvider) (lwm2m.Node, error) {
	if len(recs) == 0 {
		switch p.Len() {
		case 1:
			return lwm2m.NewObject(p.Last()), nil
		case 2:
			return lwm2m.NewInstance(p.Last()), nil
		case 3:
			if multiple, known := codec.IsMultiple(m, p); known && !multiple {
				return lwm2m.Node{}, codec.MalformedAt(format, -1, p, "no value for a single resource")
			}
			return lwm2m.NewMultipleResource(p.Last()), nil
		}
		return lwm2m.Node{}, codec.MalformedAt(format, -1, p, "no value for the resource instance")
	}
	return codec.NodeFromRecords(format, p, recs)
}

// decoder turns the nested map into records.
type decoder struct {
	r      reader
	base   lwm2m.Path
	models modelCache
	recs   []lwm2m.Record
}

func (d *decoder) decode() error {
	if len(d.r.data) == 0 {
		return d.r.errAt(0, "empty payload")
	}
	h, err := d.r.readHead()
	if err != nil {
		return err
	}
	if h.major != majMap {
		return d.r.errAt(h.off, "payload must be a map, found %s", itemName(h))
	}
	if err := d.entries(lwm2m.Root, h); err != nil {
		return err
	}
	if d.r.remaining() != 0 {
		return d.r.errAt(d.r.off, "%d bytes after the end of the map", d.r.remaining())
	}
	return nil
}

// entries reads the map whose head is h; its keys continue prefix.
func (d *decoder) entries(prefix lwm2m.Path, h head) error {
	if !h.indef && h.arg > uint64(d.r.remaining()/2) {
		return d.r.errAt(h.off, "map claims %d entries but only %d bytes are left", h.arg, d.r.remaining())
	}
	for i := uint64(0); h.indef || i < h.arg; i++ {
		if h.indef && d.r.peekBreak() {
			return nil
		}
		p, err := d.key(prefix)
		if err != nil {
			return err
		}
		vh, err := d.r.readHead()
		if err != nil {
			return err
		}
		if vh.major == majMap {
			if p.Len() == 4 {
				return codec.MalformedAt(format, vh.off, p, "a resource instance cannot hold a map")
			}
			if err := d.entries(p, vh); err != nil {
				return err
			}
			continue
		}
		if err := d.leaf(p, vh); err != nil {
			return err
		}
	}
	return nil
}

// key reads one map key, an id or an array of ids, and appends it to prefix.
func (d *decoder) key(prefix lwm2m.Path) (lwm2m.Path, error) {
	h, err := d.r.readHead()
	if err != nil {
		return lwm2m.Path{}, err
	}
	switch h.major {
	case majUint:
		return d.push(prefix, h)
	case majArray:
	default:
		return lwm2m.Path{}, codec.MalformedAt(format, h.off, prefix, "map key must be an id or an array of ids, found %s", itemName(h))
	}
	p := prefix
	n := 0
	for i := uint64(0); h.indef || i < h.arg; i++ {
		if h.indef && d.r.peekBreak() {
			break
		}
		e, err := d.r.readHead()
		if err != nil {
			return lwm2m.Path{}, err
		}
		if e.major != majUint {
			return lwm2m.Path{}, codec.MalformedAt(format, e.off, p, "path array must hold ids, found %s", itemName(e))
		}
		if p, err = d.push(p, e); err != nil {
			return lwm2m.Path{}, err
		}
		n++
	}
	if n == 0 {
		return lwm2m.Path{}, codec.MalformedAt(format, h.off, prefix, "empty path array")
	}
	return p, nil
}

func (d *decoder) push(p lwm2m.Path, id head) (lwm2m.Path, error) {
	if p.Len() == 4 {
		return lwm2m.Path{}, codec.MalformedAt(format, id.off, p, "path deeper than 4 levels")
	}
	if id.arg > lwm2m.MaxID {
		return lwm2m.Path{}, codec.MalformedAt(format, id.off, p, "id %d out of range 0..%d", id.arg, lwm2m.MaxID)
	}
	return p.Child(uint16(id.arg)), nil
}

func (d *decoder) leaf(p lwm2m.Path, h head) error {
	it, err := d.r.readLeaf(h)
	if err != nil {
		return err
	}
	if !p.HasPrefix(d.base) {
		return codec.MalformedAt(format, h.off, p, "outside the request path %s", d.base)
	}
	if it.kind != kindNull && p.Len() < 3 {
		return codec.MalformedAt(format, h.off, p, "a value needs a resource or resource-instance path")
	}
	t, known := d.models.resourceType(p)
	v, err := d.r.value(it, p, t, known)
	if err != nil {
		return err
	}
	d.recs = append(d.recs, lwm2m.Record{Path: p, Value: v})
	return nil
}

// checkOverlaps rejects a path given twice, and an entry (value or null)
// whose path is a prefix of another entry's path: a resource cannot be both
// single and multiple, and a path-only list names each node once.
// Records in ascending path order, as canonical encoders write them, are
// checked in place; others are checked on a sorted copy.
func checkOverlaps(recs []lwm2m.Record) error {
	byPath := func(a, b lwm2m.Record) int { return a.Path.Compare(b.Path) }
	sorted := recs
	if !slices.IsSortedFunc(recs, byPath) {
		sorted = slices.Clone(recs)
		slices.SortStableFunc(sorted, byPath)
	}
	for i := 1; i < len(sorted); i++ {
		prev, cur := &sorted[i-1], &sorted[i]
		if prev.Path == cur.Path {
			return codec.MalformedAt(format, -1, cur.Path, "path appears twice")
		}
		if cur.Path.HasPrefix(prev.Path) {
			return codec.MalformedAt(format, -1, cur.Path, "lies under %s, which has an entry of its own", prev.Path)
		}
	}
	return nil
}

func itemName(h head) string {
	switch h.major {
	case majUint, majNeg:
		return "an integer"
	case majBytes:
		return "a byte string"
	case majText:
		return "a text string"
	case majTag:
		return "a tag"
	case majSimple:
		return "a simple value or float"
	}
	return majorName(h.major)
}
