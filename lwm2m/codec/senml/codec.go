package senml

import (
	"math"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// Codec maps LwM2M nodes and records onto SenML packs in one of the two
// formats. Build it with NewJSON or NewCBOR; it is immutable and safe for
// concurrent use.
type Codec struct {
	format     lwm2m.ContentFormat
	packs      packFormat
	now        func() time.Time
	maxRecords int
	err        error // set only if the CBOR modes could not be built
}

// packFormat is the raw layer the mapping needs: JSONFormat or CBORFormat.
type packFormat interface {
	DecodePack(data []byte) (Pack, error)
	EncodePack(p Pack) ([]byte, error)
}

var (
	_ codec.Codec = (*Codec)(nil)
	_ packFormat  = JSONFormat{}
	_ packFormat  = (*CBORFormat)(nil)
)

// Option configures a Codec.
type Option func(*options)

type options struct {
	now        func() time.Time
	maxRecords int
}

// WithNow sets the clock that relative SenML times (below 2^28, RFC 8428
// §4.5.3) are resolved against. The default is time.Now; tests pass a fixed
// clock. It is called at most once per decoded payload.
func WithNow(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithMaxRecords bounds the records one payload may carry (default
// DefaultMaxRecords); a larger pack is malformed. Values below 1 keep the
// default.
func WithMaxRecords(n int) Option {
	return func(o *options) {
		if n >= 1 {
			o.maxRecords = min(n, math.MaxInt32)
		}
	}
}

func buildOptions(opts []Option) options {
	o := options{now: time.Now, maxRecords: DefaultMaxRecords}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// NewJSON returns the application/senml+json (110) codec.
func NewJSON(opts ...Option) *Codec {
	o := buildOptions(opts)
	return &Codec{format: lwm2m.FormatSenMLJSON, packs: JSONFormat{}, now: o.now, maxRecords: o.maxRecords}
}

// NewCBOR returns the application/senml+cbor (112) codec. Its decoding and
// encoding modes are configured once, here.
func NewCBOR(opts ...Option) *Codec {
	o := buildOptions(opts)
	c := &Codec{format: lwm2m.FormatSenMLCBOR, now: o.now, maxRecords: o.maxRecords}
	// The library needs an array limit of at least 16; the exact limit is
	// checked after decoding.
	f, err := NewCBORFormat(max(o.maxRecords, 16))
	if err != nil {
		c.err = err
	} else {
		c.packs = f
	}
	return c
}

// Format returns 110 or 112.
func (c *Codec) Format() lwm2m.ContentFormat { return c.format }
