package tlv

import (
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// decoder maps TLVs onto nodes for one payload. Offsets in errors are
// absolute byte offsets of the offending TLV's type byte.
type decoder struct {
	data []byte
	str  string             // data as a string, made on the first string value
	obj  *lwm2m.ObjectModel // nil when the model does not know the object
	slab []lwm2m.Node       // preallocated nodes for the resource instances of an instance
}

// take returns an empty slice of capacity n, carved from the slab when it
// has room, else freshly made. Its capacity is capped, so appending to it
// cannot overwrite a sibling.
func (d *decoder) take(n int) []lwm2m.Node {
	if n <= len(d.slab) {
		s := d.slab[:0:n]
		d.slab = d.slab[n:]
		return s
	}
	return make([]lwm2m.Node, 0, n)
}

func newDecoder(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) decoder {
	d := decoder{data: data}
	if m != nil {
		d.obj, _ = m.Object(p.Object(), "")
	}
	return d
}

// resource finds the model of resource rid (nil when unknown) by a binary
// search over the object's resources, which are sorted by id.
func (d *decoder) resource(rid uint16) *lwm2m.ResourceModel {
	if d.obj == nil {
		return nil
	}
	rs := d.obj.Resources
	lo, hi := 0, len(rs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if rs[mid].ID < rid {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(rs) && rs[lo].ID == rid {
		return &rs[lo]
	}
	return nil
}

// resourceType is the model type of resource rid; opaque when unknown.
func (d *decoder) resourceType(rid uint16) lwm2m.Type {
	if r := d.resource(rid); r != nil {
		return r.Type
	}
	return lwm2m.TypeOpaque
}

// modelSaysMultiple reports whether the model knows rid as a multiple
// resource.
func (d *decoder) modelSaysMultiple(rid uint16) bool {
	r := d.resource(rid)
	return r != nil && r.Multiple
}

func (d *decoder) decode(p lwm2m.Path) (lwm2m.Node, error) {
	end := len(d.data)
	switch p.Len() {
	case 1:
		insts, err := d.instances(p, 0, end)
		if err != nil {
			return lwm2m.Node{}, err
		}
		return lwm2m.Node{Kind: lwm2m.KindObject, ID: p.Object(), Children: insts}, nil
	case 2:
		res, err := d.instanceAt(p, 0, end)
		if err != nil {
			return lwm2m.Node{}, err
		}
		return lwm2m.Node{Kind: lwm2m.KindInstance, ID: p.Instance(), Children: res}, nil
	case 3:
		return d.resourceAt(p, 0, end, false)
	}
	return d.resourceInstanceAt(p, 0, end)
}

// instances decodes a sequence of object-instance TLVs (a payload at /o).
func (d *decoder) instances(op lwm2m.Path, off, end int) ([]lwm2m.Node, error) {
	n, err := countTLVs(d.data, off, end)
	if err != nil {
		return nil, err
	}
	out := make([]lwm2m.Node, 0, n)
	var seen dupCheck
	for off < end {
		h, err := readHeader(d.data, off, end)
		if err != nil {
			return nil, err
		}
		if h.typ != typeObjectInstance {
			return nil, codec.MalformedAt(format, off, op, "expected an object instance TLV, found a %s TLV (id %d)", h.typ, h.id)
		}
		ip := op.Child(h.id)
		if seen.add(h.id, out) {
			return nil, codec.MalformedAt(format, off, ip, "object instance appears twice")
		}
		res, err := d.resources(ip, h.start, h.end)
		if err != nil {
			return nil, err
		}
		out = append(out, lwm2m.Node{Kind: lwm2m.KindInstance, ID: h.id, Children: res})
		off = h.end
	}
	return out, nil
}

// instanceAt decodes a payload at /o/i: the resources, optionally wrapped
// in one object-instance TLV carrying the path's instance id.
func (d *decoder) instanceAt(ip lwm2m.Path, off, end int) ([]lwm2m.Node, error) {
	if off < end {
		h, err := readHeader(d.data, off, end)
		if err != nil {
			return nil, err
		}
		if h.typ == typeObjectInstance {
			if h.id != ip.Instance() {
				return nil, codec.MalformedAt(format, off, ip, "object instance TLV has id %d, the path names instance %d", h.id, ip.Instance())
			}
			if h.end != end {
				return nil, codec.MalformedAt(format, h.end, ip, "trailing data after the object instance TLV")
			}
			off, end = h.start, h.end
		}
	}
	return d.resources(ip, off, end)
}

// resources decodes the resource and multiple-resource TLVs of an instance.
// The nodes of the resources and of all their resource instances come from
// one allocation.
func (d *decoder) resources(ip lwm2m.Path, off, end int) ([]lwm2m.Node, error) {
	n, nested, err := countResources(d.data, off, end)
	if err != nil {
		return nil, err
	}
	d.slab = make([]lwm2m.Node, n+nested)
	out := d.take(n)
	var seen dupCheck
	for off < end {
		h, err := readHeader(d.data, off, end)
		if err != nil {
			return nil, err
		}
		if h.typ != typeResource && h.typ != typeMultiple {
			return nil, codec.MalformedAt(format, off, ip, "a %s TLV (id %d) cannot appear among the resources of an instance", h.typ, h.id)
		}
		if seen.add(h.id, out) {
			return nil, codec.MalformedAt(format, off, ip.Child(h.id), "resource appears twice")
		}
		out = out[:len(out)+1] // within the counted capacity; filled in place
		node := &out[len(out)-1]
		node.ID = h.id
		if h.typ == typeResource {
			node.Kind = lwm2m.KindResource
			node.Value, err = d.decodeValue(d.resourceType(h.id), h, off, ip)
		} else {
			node.Kind = lwm2m.KindMultipleResource
			node.Children, err = d.multiple(ip, h.id, h.start, h.end)
		}
		if err != nil {
			return nil, err
		}
		off = h.end
	}
	return out, nil
}

// multiple decodes the resource-instance TLVs of multiple resource rid of
// instance ip. Paths are built only for error messages.
func (d *decoder) multiple(ip lwm2m.Path, rid uint16, off, end int) ([]lwm2m.Node, error) {
	// Inside resources() the slab holds room for every nested resource
	// instance, so the TLVs need no separate counting pass: fill the slab's
	// free part and keep what was used.
	out := d.slab[:0]
	fromSlab := len(d.slab) > 0
	if !fromSlab {
		n, err := countTLVs(d.data, off, end)
		if err != nil {
			return nil, err
		}
		out = make([]lwm2m.Node, 0, n)
	}
	t := d.resourceType(rid)
	rp := ip.Child(rid)
	var seen dupCheck
	for off < end {
		h, err := readHeader(d.data, off, end)
		if err != nil {
			return nil, err
		}
		if h.typ != typeResourceInstance {
			return nil, codec.MalformedAt(format, off, rp, "a %s TLV (id %d) cannot appear inside a multiple resource", h.typ, h.id)
		}
		if seen.add(h.id, out) {
			return nil, codec.MalformedAt(format, off, rp.Child(h.id), "resource instance appears twice")
		}
		if len(out) < cap(out) {
			out = out[:len(out)+1] // filled in place
		} else {
			out = append(out, lwm2m.Node{}) // not reached: capacity was counted
		}
		node := &out[len(out)-1]
		node.Kind, node.ID = lwm2m.KindResourceInstance, h.id
		if node.Value, err = d.decodeValue(t, h, off, rp); err != nil {
			return nil, err
		}
		off = h.end
	}
	if fromSlab {
		out = out[:len(out):len(out)]
		d.slab = d.slab[min(len(out), len(d.slab)):]
	}
	return out, nil
}

// resourceAt decodes a payload at /o/i/r: one resource TLV, one
// multiple-resource TLV, or (as some clients send for a multiple resource)
// its bare resource-instance TLVs. One object-instance TLV with the path's
// instance id may wrap it. An empty payload is an empty multiple resource
// when the model says the resource is multiple.
func (d *decoder) resourceAt(rp lwm2m.Path, off, end int, wrapped bool) (lwm2m.Node, error) {
	rid := rp.Resource()
	if off == end {
		if d.modelSaysMultiple(rid) {
			return lwm2m.Node{Kind: lwm2m.KindMultipleResource, ID: rid, Children: []lwm2m.Node{}}, nil
		}
		return lwm2m.Node{}, codec.MalformedAt(format, off, rp, "no resource TLV")
	}
	h, err := readHeader(d.data, off, end)
	if err != nil {
		return lwm2m.Node{}, err
	}
	if h.typ == typeResourceInstance {
		insts, err := d.multiple(rp.Parent(), rid, off, end)
		if err != nil {
			return lwm2m.Node{}, err
		}
		return lwm2m.Node{Kind: lwm2m.KindMultipleResource, ID: rid, Children: insts}, nil
	}
	want, what := rid, "resource"
	if h.typ == typeObjectInstance {
		if wrapped {
			return lwm2m.Node{}, codec.MalformedAt(format, off, rp, "object instance TLV nested in an object instance TLV")
		}
		want, what = rp.Instance(), "instance"
	}
	if h.id != want {
		return lwm2m.Node{}, codec.MalformedAt(format, off, rp, "%s TLV has id %d, the path names %s %d", h.typ, h.id, what, want)
	}
	if h.end != end {
		return lwm2m.Node{}, codec.MalformedAt(format, h.end, rp, "trailing data after the %s TLV", h.typ)
	}
	switch h.typ {
	case typeObjectInstance:
		return d.resourceAt(rp, h.start, h.end, true)
	case typeMultiple:
		insts, err := d.multiple(rp.Parent(), rid, h.start, h.end)
		if err != nil {
			return lwm2m.Node{}, err
		}
		return lwm2m.Node{Kind: lwm2m.KindMultipleResource, ID: rid, Children: insts}, nil
	}
	v, err := d.decodeValue(d.resourceType(rid), h, off, rp.Parent())
	if err != nil {
		return lwm2m.Node{}, err
	}
	return lwm2m.Node{Kind: lwm2m.KindResource, ID: rid, Value: v}, nil
}

// resourceInstanceAt decodes a payload at /o/i/r/ri: one resource-instance
// TLV with the path's id.
func (d *decoder) resourceInstanceAt(rip lwm2m.Path, off, end int) (lwm2m.Node, error) {
	if off == end {
		return lwm2m.Node{}, codec.MalformedAt(format, off, rip, "no resource instance TLV")
	}
	h, err := readHeader(d.data, off, end)
	if err != nil {
		return lwm2m.Node{}, err
	}
	if h.typ != typeResourceInstance {
		return lwm2m.Node{}, codec.MalformedAt(format, off, rip, "expected a resource instance TLV, found a %s TLV", h.typ)
	}
	if h.id != rip.ResourceInstance() {
		return lwm2m.Node{}, codec.MalformedAt(format, off, rip, "resource instance TLV has id %d, the path names %d", h.id, rip.ResourceInstance())
	}
	if h.end != end {
		return lwm2m.Node{}, codec.MalformedAt(format, h.end, rip, "trailing data after the resource instance TLV")
	}
	v, err := d.decodeValue(d.resourceType(rip.Resource()), h, off, rip.Parent())
	if err != nil {
		return lwm2m.Node{}, err
	}
	return lwm2m.Node{Kind: lwm2m.KindResourceInstance, ID: h.id, Value: v}, nil
}

// dupCheck detects repeated sibling ids. Ids usually arrive in ascending
// order, which proves them unique for free; out-of-order ids are checked
// against the siblings so far, switching to a bitmap for long lists so
// that a hostile payload cannot make the check quadratic.
type dupCheck struct {
	max  int32    // largest id so far (while bits is nil)
	any  bool     // whether max is set
	bits []uint64 // one bit per id, once the list is long and unordered
}

const linearLimit = 16

func (c *dupCheck) add(id uint16, prev []lwm2m.Node) bool {
	if c.bits != nil {
		w, b := id>>6, uint64(1)<<(id&63)
		if c.bits[w]&b != 0 {
			return true
		}
		c.bits[w] |= b
		return false
	}
	if !c.any || int32(id) > c.max {
		c.any, c.max = true, int32(id)
		return false
	}
	if len(prev) < linearLimit {
		for i := range prev {
			if prev[i].ID == id {
				return true
			}
		}
		return false
	}
	c.bits = make([]uint64, 1<<10)
	for i := range prev {
		c.bits[prev[i].ID>>6] |= 1 << (prev[i].ID & 63)
	}
	return c.add(id, prev)
}
