package tlv

import (
	"fmt"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// Encode encodes n, which lives at p, in canonical TLV: minimal identifier
// and length fields, values in their shortest encoding. An object becomes a
// sequence of object-instance TLVs, an instance the sequence of its
// resources (no wrapper), a resource one resource or multiple-resource TLV,
// a resource instance one resource-instance TLV. A first pass validates the
// node and sizes the output, which is then allocated once.
func (Codec) Encode(p lwm2m.Path, n *lwm2m.Node) ([]byte, error) {
	if p.IsRoot() {
		return nil, codec.NotRepresentable(format, "TLV cannot carry the root path; use a composite format")
	}
	if n.ID != p.Last() {
		return nil, fmt.Errorf("%s: %w: %s: node id %d does not match the path", format, lwm2m.ErrInvalidNode, p, n.ID)
	}
	size, err := check(p, n)
	if err != nil {
		return nil, err
	}
	if p.Len() <= 2 {
		// Objects and instances are written as their children.
		buf := make([]byte, 0, size+reserveSlack)
		for i := range n.Children {
			buf = appendTLV(buf, &n.Children[i])
		}
		return buf, nil
	}
	if size > maxLen {
		return nil, tooLong(p, size)
	}
	buf := make([]byte, 0, headerLen(n.ID, size)+size+reserveSlack)
	return appendTLV(buf, n), nil
}

// check validates the shape of n at p — the kind fits the depth, children
// have the kind their parent allows, sibling ids are unique and below 65535,
// leaves have no children, no value exceeds the 24-bit length — and returns
// the size of n's content: its value for a leaf, its children's TLVs
// otherwise. Paths are built only to descend into containers or to report
// an error.
func check(p lwm2m.Path, n *lwm2m.Node) (int, error) {
	if n.Kind != kindAt(p.Len(), n.Kind) {
		return 0, fmt.Errorf("%s: %w: %s: a %s node cannot live at depth %d", format, lwm2m.ErrInvalidNode, p, n.Kind, p.Len())
	}
	if n.IsLeaf() {
		if len(n.Children) != 0 {
			return 0, fmt.Errorf("%s: %w: %s: a %s has no children", format, lwm2m.ErrInvalidNode, p, n.Kind)
		}
		return valueLen(n.Value), nil
	}
	var leaf lwm2m.Kind // the kind of children that carry values
	switch p.Len() {
	case 2:
		leaf = lwm2m.KindResource
	case 3:
		leaf = lwm2m.KindResourceInstance
	}
	total := 0
	var seen dupCheck
	for i := range n.Children {
		c := &n.Children[i]
		if c.ID > lwm2m.MaxID {
			return 0, fmt.Errorf("%s: %w: %s: child id %d is reserved", format, lwm2m.ErrInvalidNode, p, c.ID)
		}
		if seen.add(c.ID, n.Children[:i]) {
			return 0, fmt.Errorf("%s: %w: %s appears twice", format, lwm2m.ErrInvalidNode, p.Child(c.ID))
		}
		var l int
		if c.Kind == leaf && len(c.Children) == 0 {
			l = valueLen(c.Value)
		} else {
			var err error
			if l, err = check(p.Child(c.ID), c); err != nil {
				return 0, err
			}
		}
		if l > maxLen {
			return 0, tooLong(p.Child(c.ID), l)
		}
		total += headerLen(c.ID, l) + l
	}
	return total, nil
}

// kindAt is the kind a node at depth d must have; at depth 3, where a
// resource may be single or multiple, it is k when k is either.
func kindAt(d int, k lwm2m.Kind) lwm2m.Kind {
	switch d {
	case 1:
		return lwm2m.KindObject
	case 2:
		return lwm2m.KindInstance
	case 3:
		if k == lwm2m.KindMultipleResource {
			return k
		}
		return lwm2m.KindResource
	case 4:
		return lwm2m.KindResourceInstance
	}
	return 0
}

func tooLong(p lwm2m.Path, l int) error {
	return codec.NotRepresentable(format, "%s: %d bytes exceed the 24-bit TLV length", p, l)
}

// tlvType is the identifier type a node of kind k is written with.
func tlvType(k lwm2m.Kind) idType {
	switch k {
	case lwm2m.KindInstance:
		return typeObjectInstance
	case lwm2m.KindMultipleResource:
		return typeMultiple
	case lwm2m.KindResourceInstance:
		return typeResourceInstance
	}
	return typeResource
}

// A container's length is known only after its children are written, so
// appendTLV reserves room for the longest header, writes the children, then
// writes the real header and closes the gap. At most two containers are
// open at once (instance, multiple resource), each holding back at most
// maxHeader-2 spare bytes.
const (
	maxHeader    = 6 // type, 16-bit identifier, 24-bit length
	reserveSlack = 2 * (maxHeader - 2)
)

// appendTLV writes n as one TLV. n must have passed check.
func appendTLV(dst []byte, n *lwm2m.Node) []byte {
	if n.IsLeaf() {
		l := valueLen(n.Value)
		dst = appendHeader(dst, tlvType(n.Kind), n.ID, l)
		return appendValue(dst, n.Value, l)
	}
	mark := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0)
	for i := range n.Children {
		dst = appendTLV(dst, &n.Children[i])
	}
	l := len(dst) - mark - maxHeader
	var hb [maxHeader]byte
	h := appendHeader(hb[:0], tlvType(n.Kind), n.ID, l)
	copy(dst[mark:], h)
	copy(dst[mark+len(h):], dst[mark+maxHeader:])
	return dst[:mark+len(h)+l]
}
