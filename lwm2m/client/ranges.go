package client

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
)

// valueRange is a DDF RangeEnumeration the client can enforce: a numeric
// interval ("0..100"), a set ("16,32,48"), or a length in bytes for strings
// and opaque values ("0..255 bytes", "32 bytes"). Free text is not enforced.
type valueRange struct {
	ok      bool
	bytes   bool
	lo, hi  float64
	set     []float64
	literal string
}

func parseRange(s string) valueRange {
	s = strings.TrimSpace(s)
	r := valueRange{literal: s}
	if s == "" {
		return r
	}
	if rest, found := strings.CutSuffix(s, "bytes"); found {
		r.bytes = true
		s = strings.TrimSpace(rest)
	}
	if a, b, found := strings.Cut(s, ".."); found {
		lo, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
		hi, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
		if err1 == nil && err2 == nil && lo <= hi {
			r.lo, r.hi, r.ok = lo, hi, true
		}
		return r
	}
	for _, part := range strings.Split(s, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil {
			return valueRange{literal: r.literal}
		}
		r.set = append(r.set, f)
	}
	if len(r.set) == 1 {
		r.lo, r.hi, r.set = r.set[0], r.set[0], nil
	}
	r.ok = true
	return r
}

// check reports whether v lies in the range; values of types the range does
// not speak about pass.
func (r valueRange) check(v lwm2m.Value) error {
	if !r.ok {
		return nil
	}
	var x float64
	switch {
	case r.bytes && v.Type() == lwm2m.TypeString:
		x = float64(len(v.Str()))
	case r.bytes && v.Type() == lwm2m.TypeOpaque:
		x = float64(len(v.Bytes()))
	case r.bytes:
		return nil
	default:
		n, numeric := v.Numeric()
		if !numeric || v.Type() == lwm2m.TypeBoolean {
			return nil
		}
		x = n
	}
	if r.set != nil {
		for _, s := range r.set {
			if x == s {
				return nil
			}
		}
		return fmt.Errorf("%v is not one of %s", x, r.literal)
	}
	if x < r.lo || x > r.hi {
		if r.bytes {
			return fmt.Errorf("length %v is outside %s", x, r.literal)
		}
		return fmt.Errorf("%v is outside %s", x, r.literal)
	}
	return nil
}
