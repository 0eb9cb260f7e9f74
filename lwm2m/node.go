package lwm2m

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Kind says what a Node is.
type Kind uint8

// Node kinds, one per path depth; a resource is either single or multiple.
const (
	KindObject Kind = iota + 1
	KindInstance
	KindResource         // single-instance resource: has a Value
	KindMultipleResource // multiple-instance resource: has resource-instance children
	KindResourceInstance // has a Value
)

var kindNames = [...]string{"", "object", "instance", "resource", "multiple", "resource-instance"}

// String returns the name used in JSON.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Depth is the path length a node of kind k lives at.
func (k Kind) Depth() int {
	switch k {
	case KindObject:
		return 1
	case KindInstance:
		return 2
	case KindResource, KindMultipleResource:
		return 3
	case KindResourceInstance:
		return 4
	}
	return 0
}

// ErrInvalidNode is wrapped by node validation and building errors.
var ErrInvalidNode = errors.New("invalid node")

// Node is one element of the LwM2M data model: an object with instances, an
// instance with resources, a single resource with a value, a multiple
// resource with resource instances, or a resource instance with a value.
// Children are kept in the order they were decoded or added; Sort orders
// them by id.
type Node struct {
	Kind     Kind
	ID       uint16
	Value    Value  // KindResource and KindResourceInstance
	Children []Node // instances, resources or resource instances
}

// NewObject returns an object node.
func NewObject(id uint16, instances ...Node) Node {
	return Node{Kind: KindObject, ID: id, Children: instances}
}

// NewInstance returns an object-instance node.
func NewInstance(id uint16, resources ...Node) Node {
	return Node{Kind: KindInstance, ID: id, Children: resources}
}

// NewResource returns a single-instance resource node.
func NewResource(id uint16, v Value) Node { return Node{Kind: KindResource, ID: id, Value: v} }

// NewMultipleResource returns a multiple-instance resource node.
func NewMultipleResource(id uint16, instances ...Node) Node {
	return Node{Kind: KindMultipleResource, ID: id, Children: instances}
}

// NewResourceInstance returns a resource-instance node.
func NewResourceInstance(id uint16, v Value) Node {
	return Node{Kind: KindResourceInstance, ID: id, Value: v}
}

// IsLeaf reports whether n carries a value.
func (n *Node) IsLeaf() bool { return n.Kind == KindResource || n.Kind == KindResourceInstance }

// Child returns the direct child with the given id.
func (n *Node) Child(id uint16) (*Node, bool) {
	for i := range n.Children {
		if n.Children[i].ID == id {
			return &n.Children[i], true
		}
	}
	return nil, false
}

// Find returns the descendant at ids relative to n (empty ids: n itself).
func (n *Node) Find(ids ...uint16) (*Node, bool) {
	cur := n
	for _, id := range ids {
		c, ok := cur.Child(id)
		if !ok {
			return nil, false
		}
		cur = c
	}
	return cur, true
}

// Sort orders children by id, recursively.
func (n *Node) Sort() {
	slices.SortStableFunc(n.Children, func(a, b Node) int { return int(a.ID) - int(b.ID) })
	for i := range n.Children {
		n.Children[i].Sort()
	}
}

// Equal reports deep equality (children compared in order).
func (n *Node) Equal(m *Node) bool {
	if n.Kind != m.Kind || n.ID != m.ID || !n.Value.Equal(m.Value) || len(n.Children) != len(m.Children) {
		return false
	}
	for i := range n.Children {
		if !n.Children[i].Equal(&m.Children[i]) {
			return false
		}
	}
	return true
}

// Validate checks that n is well formed for path p: its kind matches the
// path depth (and its ID the path's last id), children have the right kind,
// ids are unique among siblings and leaves hold a value. The root path takes
// no single node.
func (n *Node) Validate(p Path) error {
	if p.IsRoot() {
		return fmt.Errorf("%w: the root path holds no single node", ErrInvalidNode)
	}
	if n.Kind.Depth() != p.Len() {
		return fmt.Errorf("%w: %s: a %s node cannot live at depth %d", ErrInvalidNode, p, n.Kind, p.Len())
	}
	if n.ID != p.Last() {
		return fmt.Errorf("%w: %s: node id %d does not match the path", ErrInvalidNode, p, n.ID)
	}
	return n.validate(p)
}

func (n *Node) validate(p Path) error {
	var want Kind
	switch n.Kind {
	case KindObject:
		want = KindInstance
	case KindInstance:
		want = 0 // resource or multiple resource
	case KindMultipleResource:
		want = KindResourceInstance
	case KindResource, KindResourceInstance:
		if len(n.Children) != 0 {
			return fmt.Errorf("%w: %s: a %s has no children", ErrInvalidNode, p, n.Kind)
		}
		return nil
	default:
		return fmt.Errorf("%w: %s: unknown kind %d", ErrInvalidNode, p, n.Kind)
	}
	for i := range n.Children {
		c := &n.Children[i]
		if c.ID > MaxID {
			return fmt.Errorf("%w: %s: child id %d is reserved", ErrInvalidNode, p, c.ID)
		}
		cp := p.Child(c.ID)
		if want != 0 && c.Kind != want || want == 0 && c.Kind != KindResource && c.Kind != KindMultipleResource {
			return fmt.Errorf("%w: %s: a %s cannot hold a %s", ErrInvalidNode, cp, n.Kind, c.Kind)
		}
		for j := 0; j < i; j++ {
			if n.Children[j].ID == c.ID {
				return fmt.Errorf("%w: %s appears twice", ErrInvalidNode, cp)
			}
		}
		if err := c.validate(cp); err != nil {
			return err
		}
	}
	return nil
}

// Record is one leaf value at a full path (a resource or a resource
// instance), optionally timestamped: the flat form that SenML, LwM2M JSON
// and LwM2M CBOR carry, and that composite operations, Send and historical
// notifications use. A zero Time means "not timestamped" (the time of
// arrival applies). A Record whose Value is none names a path without a
// value, as a Read-Composite request does.
type Record struct {
	Path  Path
	Value Value
	Time  time.Time
}

// Records flattens n, which lives at path p, into records in tree order.
// Empty containers produce no records.
func (n *Node) Records(p Path) []Record {
	return n.AppendRecords(make([]Record, 0, n.LeafCount()), p, time.Time{})
}

// LeafCount is the number of values under n (1 for a leaf).
func (n *Node) LeafCount() int {
	if n.IsLeaf() {
		return 1
	}
	c := 0
	for i := range n.Children {
		c += n.Children[i].LeafCount()
	}
	return c
}

// AppendRecords appends n's leaves (n lives at p) to dst with time t.
func (n *Node) AppendRecords(dst []Record, p Path, t time.Time) []Record {
	if n.IsLeaf() {
		return append(dst, Record{Path: p, Value: n.Value, Time: t})
	}
	for i := range n.Children {
		c := &n.Children[i]
		if p.Len() >= 4 {
			break
		}
		dst = c.AppendRecords(dst, p.Child(c.ID), t)
	}
	return dst
}

// BuildNode assembles the node at path p from records whose paths lie at or
// under p (records elsewhere are an error). A record at a resource path
// makes a single resource; records at resource-instance paths make a
// multiple resource. Timestamps are ignored: group records by time first if
// they matter. Children come out sorted by id.
func BuildNode(p Path, recs []Record) (Node, error) {
	if p.IsRoot() {
		return Node{}, fmt.Errorf("%w: cannot build a single node at the root", ErrInvalidNode)
	}
	if n, ok := buildSorted(p, recs); ok {
		return n, nil
	}
	return buildGeneral(p, recs)
}

// buildGeneral inserts records one by one, in any order.
func buildGeneral(p Path, recs []Record) (Node, error) {
	root := Node{ID: p.Last(), Kind: kindAt(p.Len(), false)}
	for _, r := range recs {
		if !r.Path.HasPrefix(p) {
			return Node{}, fmt.Errorf("%w: %s is not under %s", ErrInvalidNode, r.Path, p)
		}
		if r.Path.Len() < 3 {
			return Node{}, fmt.Errorf("%w: %s: a value needs a resource or resource-instance path", ErrInvalidNode, r.Path)
		}
		if err := root.insert(p, r.Path, r.Value); err != nil {
			return Node{}, err
		}
	}
	root.Sort()
	return root, nil
}

// buildSorted is BuildNode's fast path for the usual input: records
// strictly increasing in path order, all below p at resource depth or more,
// no resource both single and multiple. It makes two passes — one counting
// each container's children, one filling them into a single slab — so the
// whole tree costs two allocations. It reports false for any other input,
// which the general path then handles (or rejects with a precise error).
func buildSorted(p Path, recs []Record) (Node, bool) {
	d := p.Len()
	if len(recs) == 0 || d > 3 {
		return Node{}, false
	}
	for i := range recs {
		rp := recs[i].Path
		if rp.Len() < 3 || rp.Len() <= d || !rp.HasPrefix(p) {
			return Node{}, false
		}
		if i > 0 {
			prev := recs[i-1].Path
			if prev.Compare(rp) >= 0 || rp.HasPrefix(prev) {
				return Node{}, false
			}
		}
	}
	// Pass 1: number every node below the root in creation order and count
	// each container's children (the root is container -1 → counts[0]).
	counts := make([]int32, 1, 2*len(recs)+1)
	var open [5]int32 // creation index+1 of the open node at each depth; open[d] is the root (0)
	total := 0
	for i := range recs {
		rp := recs[i].Path
		start := d + 1
		if i > 0 {
			start = commonDepth(recs[i-1].Path, rp) + 1
			if start <= d {
				start = d + 1
			}
		}
		for lvl := start; lvl <= rp.Len(); lvl++ {
			counts[open[lvl-1]]++
			total++
			counts = append(counts, 0)
			open[lvl] = int32(len(counts) - 1)
		}
	}
	// Pass 2: give every container a contiguous run of the slab.
	slab := make([]Node, total)
	next := 0
	reserve := func(idx int32) []Node {
		c := int(counts[idx])
		s := slab[next : next : next+c]
		next += c
		return s
	}
	root := Node{ID: p.Last(), Kind: kindAt(d, false)}
	root.Children = reserve(0)
	var stack [5]*Node
	stack[d] = &root
	created := int32(0)
	for i := range recs {
		rp := recs[i].Path
		start := d + 1
		if i > 0 {
			start = commonDepth(recs[i-1].Path, rp) + 1
			if start <= d {
				start = d + 1
			}
		}
		for lvl := start; lvl <= rp.Len(); lvl++ {
			created++
			parent := stack[lvl-1]
			n := Node{ID: rp.ID(lvl - 1), Kind: kindAt(lvl, lvl == 3 && rp.Len() == 4)}
			if lvl == rp.Len() {
				n.Value = recs[i].Value
			} else {
				n.Children = reserve(created)
			}
			parent.Children = append(parent.Children, n)
			stack[lvl] = &parent.Children[len(parent.Children)-1]
		}
	}
	if root.Kind == KindResource && d == 3 && len(root.Children) > 0 {
		root.Kind = KindMultipleResource
	}
	if d == 3 && root.Kind == KindResource {
		// A single resource built at its own path: its value is the record's.
		return Node{}, false
	}
	return root, true
}

// commonDepth is the number of leading segments a and b share.
func commonDepth(a, b Path) int {
	n := min(a.n, b.n)
	for i := 0; i < int(n); i++ {
		if a.ids[i] != b.ids[i] {
			return i
		}
	}
	return int(n)
}

func kindAt(depth int, multiple bool) Kind {
	switch depth {
	case 1:
		return KindObject
	case 2:
		return KindInstance
	case 3:
		if multiple {
			return KindMultipleResource
		}
		return KindResource
	}
	return KindResourceInstance
}

// insert places v at full path target below n, which lives at at.
func (n *Node) insert(at, target Path, v Value) error {
	if at.Len() == target.Len() {
		switch {
		case n.Kind == KindResource && at.Len() == 3 && n.Value.IsNone():
			n.Value = v
			return nil
		case n.Kind == KindResourceInstance && n.Value.IsNone():
			n.Value = v
			return nil
		}
		return fmt.Errorf("%w: %s has more than one value", ErrInvalidNode, target)
	}
	if at.Len() == 3 {
		// A resource receiving a resource-instance record is multiple.
		if n.Kind == KindResource && n.Value.IsNone() && len(n.Children) == 0 {
			n.Kind = KindMultipleResource
		}
		if n.Kind != KindMultipleResource {
			return fmt.Errorf("%w: %s is both a single and a multiple resource", ErrInvalidNode, at)
		}
	}
	id := target.ID(at.Len())
	var c *Node
	ok := false
	if k := len(n.Children); k > 0 && n.Children[k-1].ID == id {
		c, ok = &n.Children[k-1], true
	} else {
		c, ok = n.Child(id)
	}
	if !ok {
		multiple := at.Len()+1 == 3 && target.Len() == 4
		n.Children = append(n.Children, Node{Kind: kindAt(at.Len()+1, multiple), ID: id})
		c = &n.Children[len(n.Children)-1]
	} else if at.Len()+1 == 3 && c.Kind == KindResource && target.Len() == 4 {
		if !c.Value.IsNone() {
			return fmt.Errorf("%w: %s is both a single and a multiple resource", ErrInvalidNode, at.Child(id))
		}
	}
	return c.insert(at.Child(id), target, v)
}

// PathNode pairs a node with the path it lives at: one element of a
// composite result.
type PathNode struct {
	Path Path
	Node Node
}
