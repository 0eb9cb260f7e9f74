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
// a resource instance one resource-instance TLV. The output is allocated
// once, at its exact size.
func (Codec) Encode(p lwm2m.Path, n *lwm2m.Node) ([]byte, error) {
	if p.IsRoot() {
		return nil, codec.NotRepresentable(format, "TLV cannot carry the root path; use a composite format")
	}
	if n.ID != p.Last() {
		return nil, fmt.Errorf("%s: %w: %s: node id %d does not match the path", format, lwm2m.ErrInvalidNode, p, n.ID)
	}
	if err := check(p, n); err != nil {
		return nil, err
	}
	if p.Len() <= 2 {
		// Objects and instances are written as their children.
		buf := make([]byte, 0, contentLen(n))
		for i := range n.Children {
			var err error
			if buf, err = appendTLV(buf, p, &n.Children[i]); err != nil {
				return nil, err
			}
		}
		return buf, nil
	}
	return appendTLV(make([]byte, 0, tlvLen(n)), p.Parent(), n)
}

// check validates the shape of n at p: the kind fits the depth, children
// have the kind their parent allows, sibling ids are unique and below 65535,
// leaves have no children.
func check(p lwm2m.Path, n *lwm2m.Node) error {
	var ok bool
	switch p.Len() {
	case 1:
		ok = n.Kind == lwm2m.KindObject
	case 2:
		ok = n.Kind == lwm2m.KindInstance
	case 3:
		ok = n.Kind == lwm2m.KindResource || n.Kind == lwm2m.KindMultipleResource
	case 4:
		ok = n.Kind == lwm2m.KindResourceInstance
	}
	if !ok {
		return fmt.Errorf("%s: %w: %s: a %s node cannot live at depth %d", format, lwm2m.ErrInvalidNode, p, n.Kind, p.Len())
	}
	if n.IsLeaf() {
		if len(n.Children) != 0 {
			return fmt.Errorf("%s: %w: %s: a %s has no children", format, lwm2m.ErrInvalidNode, p, n.Kind)
		}
		return nil
	}
	var seen dupCheck
	for i := range n.Children {
		c := &n.Children[i]
		if c.ID > lwm2m.MaxID {
			return fmt.Errorf("%s: %w: %s: child id %d is reserved", format, lwm2m.ErrInvalidNode, p, c.ID)
		}
		cp := p.Child(c.ID)
		if seen.add(c.ID, n.Children[:i]) {
			return fmt.Errorf("%s: %w: %s appears twice", format, lwm2m.ErrInvalidNode, cp)
		}
		if err := check(cp, c); err != nil {
			return err
		}
	}
	return nil
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

// contentLen is the size of n's value: its encoded value for a leaf, the
// TLVs of its children otherwise.
func contentLen(n *lwm2m.Node) int {
	if n.IsLeaf() {
		return valueLen(n.Value)
	}
	l := 0
	for i := range n.Children {
		l += tlvLen(&n.Children[i])
	}
	return l
}

// tlvLen is the size of n written as one TLV.
func tlvLen(n *lwm2m.Node) int {
	l := contentLen(n)
	return headerLen(n.ID, l) + l
}

// appendTLV writes n, a child of parent, as one TLV.
func appendTLV(dst []byte, parent lwm2m.Path, n *lwm2m.Node) ([]byte, error) {
	l := contentLen(n)
	if l > maxLen {
		return nil, codec.NotRepresentable(format, "%s: %d bytes exceed the 24-bit TLV length", parent.Child(n.ID), l)
	}
	dst = appendHeader(dst, tlvType(n.Kind), n.ID, l)
	if n.IsLeaf() {
		return appendValue(dst, n.Value), nil
	}
	p := parent.Child(n.ID)
	var err error
	for i := range n.Children {
		if dst, err = appendTLV(dst, p, &n.Children[i]); err != nil {
			return nil, err
		}
	}
	return dst, nil
}
