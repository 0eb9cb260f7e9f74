package coap

import "slices"

// OptionID is a CoAP option number.
type OptionID uint16

// Option numbers (RFC 7252 §12.2, RFC 7641, RFC 7959, RFC 8613, RFC 7967).
const (
	OptIfMatch       OptionID = 1
	OptURIHost       OptionID = 3
	OptETag          OptionID = 4
	OptIfNoneMatch   OptionID = 5
	OptObserve       OptionID = 6
	OptURIPort       OptionID = 7
	OptLocationPath  OptionID = 8
	OptOSCORE        OptionID = 9
	OptURIPath       OptionID = 11
	OptContentFormat OptionID = 12
	OptMaxAge        OptionID = 14
	OptURIQuery      OptionID = 15
	OptHopLimit      OptionID = 16
	OptAccept        OptionID = 17
	OptLocationQuery OptionID = 20
	OptBlock2        OptionID = 23
	OptBlock1        OptionID = 27
	OptSize2         OptionID = 28
	OptProxyURI      OptionID = 35
	OptProxyScheme   OptionID = 39
	OptSize1         OptionID = 60
	OptNoResponse    OptionID = 258
)

// Critical reports whether an unrecognised option of this number must make
// the message be rejected (odd numbers, RFC 7252 §5.4.6).
func (id OptionID) Critical() bool { return id&1 == 1 }

// known lists the options Shoal understands; an unknown critical option in
// a request is answered 4.02 Bad Option.
func (id OptionID) known() bool {
	switch id {
	case OptIfMatch, OptURIHost, OptETag, OptIfNoneMatch, OptObserve, OptURIPort,
		OptLocationPath, OptURIPath, OptContentFormat, OptMaxAge, OptURIQuery,
		OptAccept, OptLocationQuery, OptBlock2, OptBlock1, OptSize2, OptSize1,
		OptNoResponse, OptHopLimit:
		return true
	}
	return false
}

// Option is one option instance.
type Option struct {
	ID    OptionID
	Value []byte
}

// Options are kept sorted by ID; repeated options keep their order.
type Options []Option

// Clone returns a copy that shares no memory with o.
func (o Options) Clone() Options {
	if o == nil {
		return nil
	}
	c := make(Options, len(o))
	for i, op := range o {
		c[i] = Option{ID: op.ID, Value: append([]byte(nil), op.Value...)}
	}
	return c
}

// Has reports whether option id is present.
func (o Options) Has(id OptionID) bool {
	for _, op := range o {
		if op.ID == id {
			return true
		}
	}
	return false
}

// Get returns the first value of option id.
func (o Options) Get(id OptionID) ([]byte, bool) {
	for _, op := range o {
		if op.ID == id {
			return op.Value, true
		}
	}
	return nil, false
}

// Strings returns every value of option id as strings.
func (o Options) Strings(id OptionID) []string {
	var out []string
	for _, op := range o {
		if op.ID == id {
			out = append(out, string(op.Value))
		}
	}
	return out
}

// Uint returns the first value of option id decoded as an unsigned integer
// (big-endian, at most 4 bytes; longer values are reported absent).
func (o Options) Uint(id OptionID) (uint32, bool) {
	v, ok := o.Get(id)
	if !ok || len(v) > 4 {
		return 0, false
	}
	var u uint32
	for _, b := range v {
		u = u<<8 | uint32(b)
	}
	return u, true
}

// Add inserts an option after any others of the same number.
func (o Options) Add(id OptionID, value []byte) Options {
	i := len(o)
	for i > 0 && o[i-1].ID > id {
		i--
	}
	return slices.Insert(o, i, Option{ID: id, Value: value})
}

// Set replaces every value of option id by one value.
func (o Options) Set(id OptionID, value []byte) Options {
	return o.Remove(id).Add(id, value)
}

// SetUint sets option id to v in its shortest encoding (0 is empty).
func (o Options) SetUint(id OptionID, v uint32) Options {
	return o.Set(id, encodeUint(v))
}

// Remove deletes every value of option id.
func (o Options) Remove(id OptionID) Options {
	return slices.DeleteFunc(o, func(op Option) bool { return op.ID == id })
}

func encodeUint(v uint32) []byte {
	switch {
	case v == 0:
		return []byte{}
	case v < 1<<8:
		return []byte{byte(v)}
	case v < 1<<16:
		return []byte{byte(v >> 8), byte(v)}
	case v < 1<<24:
		return []byte{byte(v >> 16), byte(v >> 8), byte(v)}
	}
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}
