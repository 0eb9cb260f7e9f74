package lwcbor

import (
	"fmt"
	"slices"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// Encode encodes n, which lives at p. The output is the same as
// EncodeRecords(p, n.Records(p)); empty objects, instances and multiple
// resources below p leave no trace (there is nothing to key them by), and an
// empty node at p itself encodes as the empty map.
func (c *Codec) Encode(p lwm2m.Path, n *lwm2m.Node) ([]byte, error) {
	if err := n.Validate(p); err != nil {
		return nil, fmt.Errorf("%s: %w", format, err)
	}
	recs := n.AppendRecords(make([]lwm2m.Record, 0, countLeaves(n)), p, time.Time{})
	for _, r := range recs {
		if r.Value.IsNone() {
			return nil, fmt.Errorf("%s: %w: %s has no value", format, lwm2m.ErrInvalidNode, r.Path)
		}
	}
	return c.EncodeRecords(p, recs)
}

// EncodeRecords encodes records that lie at or under p as one nested map.
// Keys come in ascending path order and each key covers the longest run of
// ids that all the records below it share, so a single instance read as
// /3/0 encodes as {[3, 0]: {0: …, 6: {0: 1, 1: 5}, …}}. None values encode
// as null (path-only entries). LwM2M CBOR cannot carry timestamps: a
// timestamped record is ErrNotRepresentable.
func (*Codec) EncodeRecords(p lwm2m.Path, recs []lwm2m.Record) ([]byte, error) {
	for i := range recs {
		r := &recs[i]
		if !r.Time.IsZero() {
			return nil, codec.NotRepresentable(format, "%s: LwM2M CBOR has no timestamps (use SenML CBOR)", r.Path)
		}
		if !r.Path.HasPrefix(p) {
			return nil, fmt.Errorf("%s: %w: %s is not under %s", format, lwm2m.ErrInvalidNode, r.Path, p)
		}
		if r.Path.IsRoot() {
			return nil, fmt.Errorf("%s: %w: a record needs a path", format, lwm2m.ErrInvalidNode)
		}
	}
	byPath := func(a, b lwm2m.Record) int { return a.Path.Compare(b.Path) }
	if !slices.IsSortedFunc(recs, byPath) {
		recs = slices.Clone(recs)
		slices.SortStableFunc(recs, byPath)
	}
	return appendLevel(make([]byte, 0, 16*len(recs)+8), recs, 0)
}

// appendLevel writes the map holding recs, which all share their first
// depth ids and are sorted by path.
func appendLevel(b []byte, recs []lwm2m.Record, depth int) ([]byte, error) {
	groups := 0
	for i := 0; i < len(recs); i = groupEnd(recs, i, depth) {
		groups++
	}
	b = appendHead(b, majMap, uint64(groups))
	for i := 0; i < len(recs); {
		j := groupEnd(recs, i, depth)
		g := recs[i:j]
		end := sharedLen(g, depth)
		first := g[0].Path
		if end-depth == 1 {
			b = appendHead(b, majUint, uint64(first.ID(depth)))
		} else {
			b = appendHead(b, majArray, uint64(end-depth))
			for k := depth; k < end; k++ {
				b = appendHead(b, majUint, uint64(first.ID(k)))
			}
		}
		var err error
		switch {
		case len(g) == 1 && first.Len() == end:
			b = appendValue(b, g[0].Value)
		case first.Len() == end: // sorted: a record at end comes first
			return nil, conflict(g)
		default:
			if b, err = appendLevel(b, g, end); err != nil {
				return nil, err
			}
		}
		i = j
	}
	return b, nil
}

// countLeaves counts the values below n (n included), so that flattening
// allocates once.
func countLeaves(n *lwm2m.Node) int {
	if n.IsLeaf() {
		return 1
	}
	c := 0
	for i := range n.Children {
		c += countLeaves(&n.Children[i])
	}
	return c
}

// groupEnd returns the end of the run of records starting at i that share
// the id at position depth.
func groupEnd(recs []lwm2m.Record, i, depth int) int {
	id := recs[i].Path.ID(depth)
	j := i + 1
	for j < len(recs) && recs[j].Path.Len() > depth && recs[j].Path.ID(depth) == id {
		j++
	}
	return j
}

// sharedLen returns how many leading ids all records of g share (at least
// depth+1, since a group shares the id at depth).
func sharedLen(g []lwm2m.Record, depth int) int {
	first := g[0].Path
	n := depth + 1
	for ; n < first.Len(); n++ {
		for _, r := range g[1:] {
			if r.Path.Len() <= n || r.Path.ID(n) != first.ID(n) {
				return n
			}
		}
	}
	return n
}

func conflict(g []lwm2m.Record) error {
	if g[0].Path == g[1].Path {
		return fmt.Errorf("%s: %w: %s appears twice", format, lwm2m.ErrInvalidNode, g[0].Path)
	}
	return fmt.Errorf("%s: %w: %s has a value and values below it", format, lwm2m.ErrInvalidNode, g[0].Path)
}
