package lwjson

import (
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

const format = lwm2m.FormatLwM2MJSON

// Codec is the LwM2M JSON codec (format 11543). It is safe for concurrent
// use.
type Codec struct {
	now func() time.Time
}

// Option configures a Codec.
type Option func(*Codec)

// WithNow sets the clock that relative times ("t" and "bt" adding up to
// zero or less) count back from. The default is time.Now.
func WithNow(now func() time.Time) Option {
	return func(c *Codec) {
		if now != nil {
			c.now = now
		}
	}
}

// New returns the LwM2M JSON codec.
func New(opts ...Option) *Codec {
	c := &Codec{now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Format returns lwm2m.FormatLwM2MJSON.
func (*Codec) Format() lwm2m.ContentFormat { return format }

// DecodeRecords decodes a payload into records, in payload order, with
// their times (zero when the payload gives none). Every record must lie at
// or under p and name a resource or resource instance. The same path twice
// at the same time is an error; at different times it is history (a
// timestamped notification).
func (c *Codec) DecodeRecords(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) ([]lwm2m.Record, error) {
	pk, err := parse(data)
	if err != nil {
		return nil, err
	}
	d := resolver{pk: &pk, req: p, models: modelCache{m: m}, clock: c.now}
	recs := make([]lwm2m.Record, 0, len(pk.entries))
	for i := range pk.entries {
		r, err := d.record(&pk.entries[i])
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	if err := checkDuplicates(recs); err != nil {
		return nil, err
	}
	return recs, nil
}

// Decode decodes a payload into the node at p. All records must share one
// time (or none): several timestamps are ErrNotRepresentable, decode them
// with DecodeRecords. An empty "e" at a resource path gives an empty
// multiple resource unless the model says the resource is single.
func (c *Codec) Decode(p lwm2m.Path, data []byte, m lwm2m.ModelProvider) (lwm2m.Node, error) {
	if p.IsRoot() {
		return lwm2m.Node{}, codec.NotRepresentable(format, "the root path holds no single node; decode records")
	}
	recs, err := c.DecodeRecords(p, data, m)
	if err != nil {
		return lwm2m.Node{}, err
	}
	if len(recs) > 0 {
		return codec.NodeFromRecords(format, p, recs)
	}
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

// modelCache keeps the object model last looked up: entries mostly come
// object by object.
type modelCache struct {
	m     lwm2m.ModelProvider
	id    uint16
	obj   *lwm2m.ObjectModel
	found bool
	valid bool
}

// resourceType returns the model's type for the resource at p (depth >= 3).
func (c *modelCache) resourceType(p lwm2m.Path) (lwm2m.Type, bool) {
	if c.m == nil || p.Len() < 3 {
		return lwm2m.TypeNone, false
	}
	if !c.valid || c.id != p.Object() {
		c.id, c.valid = p.Object(), true
		c.obj, c.found = c.m.Object(p.Object(), "")
	}
	if !c.found {
		return lwm2m.TypeNone, false
	}
	r, ok := c.obj.Resource(p.Resource())
	if !ok {
		return lwm2m.TypeNone, false
	}
	return r.Type, true
}
