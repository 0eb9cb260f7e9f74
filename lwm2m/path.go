package lwm2m

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxID is the largest object, instance, resource or resource-instance id.
// 65535 is reserved by the specification (it marks "no instance" in object
// links and must never address anything).
const MaxID = 65534

// ErrInvalidPath is wrapped by every path parsing error.
var ErrInvalidPath = errors.New("invalid path")

// Path addresses the root, an object, an object instance, a resource or a
// resource instance. It is a small comparable value, usable as a map key.
// The zero value is the root path "/".
type Path struct {
	ids [4]uint16
	n   uint8
}

// Root is the path "/".
var Root = Path{}

// ObjectPath returns /o.
func ObjectPath(o uint16) Path { return Path{ids: [4]uint16{o}, n: 1} }

// InstancePath returns /o/i.
func InstancePath(o, i uint16) Path { return Path{ids: [4]uint16{o, i}, n: 2} }

// ResourcePath returns /o/i/r.
func ResourcePath(o, i, r uint16) Path { return Path{ids: [4]uint16{o, i, r}, n: 3} }

// ResourceInstancePath returns /o/i/r/ri.
func ResourceInstancePath(o, i, r, ri uint16) Path {
	return Path{ids: [4]uint16{o, i, r, ri}, n: 4}
}

// NewPath builds a path from up to four ids, validating each.
func NewPath(ids ...uint16) (Path, error) {
	if len(ids) > 4 {
		return Path{}, fmt.Errorf("%w: %d segments, at most 4 allowed", ErrInvalidPath, len(ids))
	}
	var p Path
	for i, id := range ids {
		if id > MaxID {
			return Path{}, fmt.Errorf("%w: segment %d: id %d is reserved (max %d)", ErrInvalidPath, i+1, id, MaxID)
		}
		p.ids[i] = id
	}
	p.n = uint8(len(ids))
	return p, nil
}

// MustPath parses s and panics on error. For constants in code and tests only.
func MustPath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

// ParsePath parses "/", "/3", "/3/0", "/3/0/1" or "/3/0/1/2". A missing
// leading slash, empty segments (except the single "/"), trailing slashes,
// signs, leading zeros, non-digits, ids above MaxID and more than four
// segments are all rejected with an error saying which.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return Path{}, fmt.Errorf("%w: empty", ErrInvalidPath)
	}
	if s[0] != '/' {
		return Path{}, fmt.Errorf("%w: %q does not start with '/'", ErrInvalidPath, s)
	}
	if s == "/" {
		return Root, nil
	}
	var p Path
	rest := s[1:]
	for seg := 0; ; seg++ {
		end := strings.IndexByte(rest, '/')
		part := rest
		if end >= 0 {
			part = rest[:end]
		}
		if seg >= 4 {
			return Path{}, fmt.Errorf("%w: %q has more than 4 segments", ErrInvalidPath, s)
		}
		id, err := parseID(part)
		if err != nil {
			return Path{}, fmt.Errorf("%w: %q segment %d: %s", ErrInvalidPath, s, seg+1, err)
		}
		p.ids[seg] = id
		p.n = uint8(seg + 1)
		if end < 0 {
			return p, nil
		}
		rest = rest[end+1:]
	}
}

// PathFromSegments builds a path from CoAP Uri-Path option values, e.g.
// ["3","0","1"]. No segments means the root. An alternate root path
// (rt="oma.lwm2m") must be stripped by the caller first.
func PathFromSegments(segs []string) (Path, error) {
	if len(segs) > 4 {
		return Path{}, fmt.Errorf("%w: %d segments, at most 4 allowed", ErrInvalidPath, len(segs))
	}
	var p Path
	for i, s := range segs {
		id, err := parseID(s)
		if err != nil {
			return Path{}, fmt.Errorf("%w: segment %d: %s", ErrInvalidPath, i+1, err)
		}
		p.ids[i] = id
	}
	p.n = uint8(len(segs))
	return p, nil
}

func parseID(s string) (uint16, error) {
	if s == "" {
		return 0, errors.New("empty segment")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%q has a leading zero", s)
	}
	if len(s) > 5 {
		return 0, fmt.Errorf("%q is out of range 0..%d", s, MaxID)
	}
	var v uint32
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a decimal id", s)
		}
		v = v*10 + uint32(c-'0')
	}
	if v > MaxID {
		if v == 65535 {
			return 0, fmt.Errorf("id 65535 is reserved")
		}
		return 0, fmt.Errorf("%q is out of range 0..%d", s, MaxID)
	}
	return uint16(v), nil
}

// Len is the number of segments: 0 root, 1 object, 2 instance, 3 resource,
// 4 resource instance.
func (p Path) Len() int { return int(p.n) }

// IsRoot reports whether p is "/".
func (p Path) IsRoot() bool { return p.n == 0 }

// IsObject reports whether p addresses an object (/o).
func (p Path) IsObject() bool { return p.n == 1 }

// IsInstance reports whether p addresses an object instance (/o/i).
func (p Path) IsInstance() bool { return p.n == 2 }

// IsResource reports whether p addresses a resource (/o/i/r).
func (p Path) IsResource() bool { return p.n == 3 }

// IsResourceInstance reports whether p addresses a resource instance.
func (p Path) IsResourceInstance() bool { return p.n == 4 }

// ID returns segment i (0-based); it panics if i >= Len().
func (p Path) ID(i int) uint16 {
	if i >= int(p.n) {
		panic(fmt.Sprintf("lwm2m: path %s has no segment %d", p, i))
	}
	return p.ids[i]
}

// Object returns the object id (0 for the root).
func (p Path) Object() uint16 { return p.ids[0] }

// Instance returns the instance id (0 when absent).
func (p Path) Instance() uint16 { return p.ids[1] }

// Resource returns the resource id (0 when absent).
func (p Path) Resource() uint16 { return p.ids[2] }

// ResourceInstance returns the resource instance id (0 when absent).
func (p Path) ResourceInstance() uint16 { return p.ids[3] }

// Last returns the last segment's id; 0 for the root.
func (p Path) Last() uint16 {
	if p.n == 0 {
		return 0
	}
	return p.ids[p.n-1]
}

// Parent returns p without its last segment; the root's parent is the root.
func (p Path) Parent() Path {
	if p.n == 0 {
		return p
	}
	q := p
	q.n--
	q.ids[q.n] = 0
	return q
}

// Child appends id to p. It panics when p is already a resource instance
// path or id > MaxID: both are programming errors.
func (p Path) Child(id uint16) Path {
	if p.n >= 4 {
		panic(fmt.Sprintf("lwm2m: path %s has no children", p))
	}
	if id > MaxID {
		panic(fmt.Sprintf("lwm2m: id %d is reserved", id))
	}
	q := p
	q.ids[q.n] = id
	q.n++
	return q
}

// Truncate returns the first n segments of p (n is clamped to Len()).
func (p Path) Truncate(n int) Path {
	if n >= int(p.n) {
		return p
	}
	if n < 0 {
		n = 0
	}
	q := Path{n: uint8(n)}
	copy(q.ids[:n], p.ids[:n])
	return q
}

// HasPrefix reports whether q is p or an ancestor of p.
func (p Path) HasPrefix(q Path) bool {
	if q.n > p.n {
		return false
	}
	for i := 0; i < int(q.n); i++ {
		if p.ids[i] != q.ids[i] {
			return false
		}
	}
	return true
}

// Overlaps reports whether one of p and q is a prefix of the other.
func (p Path) Overlaps(q Path) bool { return p.HasPrefix(q) || q.HasPrefix(p) }

// Compare orders paths depth-first: parents before children, siblings by id.
func (p Path) Compare(q Path) int {
	n := min(p.n, q.n)
	for i := 0; i < int(n); i++ {
		if p.ids[i] != q.ids[i] {
			if p.ids[i] < q.ids[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case p.n < q.n:
		return -1
	case p.n > q.n:
		return 1
	}
	return 0
}

// Segments returns the ids as decimal strings (CoAP Uri-Path options).
func (p Path) Segments() []string {
	out := make([]string, p.n)
	for i := range out {
		out[i] = strconv.FormatUint(uint64(p.ids[i]), 10)
	}
	return out
}

// String returns the canonical form, e.g. "/3/0/1" or "/".
func (p Path) String() string {
	if p.n == 0 {
		return "/"
	}
	var buf [4 * 6]byte
	b := buf[:0]
	for i := 0; i < int(p.n); i++ {
		b = append(b, '/')
		b = strconv.AppendUint(b, uint64(p.ids[i]), 10)
	}
	return string(b)
}

// MarshalText implements encoding.TextMarshaler.
func (p Path) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Path) UnmarshalText(b []byte) error {
	q, err := ParsePath(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}
