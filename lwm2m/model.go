package lwm2m

import "strings"

// Operations is the set of operations a resource allows (DDF "Operations").
type Operations uint8

// Operation bits.
const (
	OpsRead Operations = 1 << iota
	OpsWrite
	OpsExecute
)

// ParseOperations reads the DDF spelling: "R", "W", "RW", "E" or "".
func ParseOperations(s string) Operations {
	var o Operations
	s = strings.ToUpper(s)
	if strings.ContainsRune(s, 'R') {
		o |= OpsRead
	}
	if strings.ContainsRune(s, 'W') {
		o |= OpsWrite
	}
	if strings.ContainsRune(s, 'E') {
		o |= OpsExecute
	}
	return o
}

// String returns "R", "RW", "E", …, or "" for none.
func (o Operations) String() string {
	var b []byte
	if o&OpsRead != 0 {
		b = append(b, 'R')
	}
	if o&OpsWrite != 0 {
		b = append(b, 'W')
	}
	if o&OpsExecute != 0 {
		b = append(b, 'E')
	}
	return string(b)
}

// Readable, Writable and Executable test the bits.
func (o Operations) Readable() bool   { return o&OpsRead != 0 }
func (o Operations) Writable() bool   { return o&OpsWrite != 0 }
func (o Operations) Executable() bool { return o&OpsExecute != 0 }

// ResourceModel describes one resource of an object (facts only).
type ResourceModel struct {
	ID         uint16
	Name       string
	Operations Operations
	Multiple   bool
	Mandatory  bool
	Type       Type
	Range      string // RangeEnumeration as written, e.g. "0..100" or "0..5"
	Units      string
}

// ObjectModel describes one object at one version.
type ObjectModel struct {
	ID           uint16
	Name         string
	URN          string
	Version      string // object version, "1.0" when the DDF gives none
	LwM2MVersion string // minimum enabler version
	Multiple     bool
	Mandatory    bool
	Resources    []ResourceModel // sorted by ID
}

// Resource returns the model of resource id.
func (o *ObjectModel) Resource(id uint16) (*ResourceModel, bool) {
	lo, hi := 0, len(o.Resources)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch r := &o.Resources[m]; {
		case r.ID == id:
			return r, true
		case r.ID < id:
			lo = m + 1
		default:
			hi = m
		}
	}
	return nil, false
}

// ModelProvider looks object models up by id and version. An empty version
// asks for the newest one known; an unknown version may be answered with the
// nearest known one (resources rarely change type between versions).
type ModelProvider interface {
	Object(id uint16, version string) (*ObjectModel, bool)
}

// ResourceModelAt returns the model of the resource p names (p must be a
// resource or resource-instance path) from m, at the newest version.
func ResourceModelAt(m ModelProvider, p Path) (*ResourceModel, bool) {
	if m == nil || p.Len() < 3 {
		return nil, false
	}
	o, ok := m.Object(p.Object(), "")
	if !ok {
		return nil, false
	}
	return o.Resource(p.Resource())
}

// NoModels is a ModelProvider that knows nothing: decoders then fall back
// to what the format itself says (opaque for TLV).
type NoModels struct{}

// Object always reports not found.
func (NoModels) Object(uint16, string) (*ObjectModel, bool) { return nil, false }
